"""The F key as the fluoroscopy pedal: pressed, the C-arm panel starts live fluoroscopy; released, it stops.

One held key is one exposure, however the keyboard repeats it: a repeat marked by Qt is ignored, and a
release followed by a press within :attr:`FluoroPedal.RELEASE_GRACE_MS` is an unmarked repeat pair (X sends
auto-repeat as release/press pairs), not the pedal lifted and pressed again.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from trainer.ui.carm_panel import CArmPanel

__all__ = ["FluoroPedal"]


class FluoroPedal(QObject):
    """The pedal of ``carm`` (a :class:`~trainer.ui.carm_panel.CArmPanel`).

    Parameters
    ----------
    carm : CArmPanel
        Starts and stops the fluoroscopy; its clock (s) times the release.
    may_shoot : callable
        Asked at each new press; False: no exposure starts (the caller says why).
    parent : QObject, optional
        Owner (the window).
    """

    #: a release of F followed by a press within this time (ms) is keyboard auto-repeat, not the pedal
    #: lifted: X sends auto-repeat as release/press pairs, which Qt does not always mark
    RELEASE_GRACE_MS = 120

    def __init__(self, carm: CArmPanel, may_shoot: Callable[[], bool], parent: QObject | None = None):
        super().__init__(parent)
        self._carm = carm
        self._may_shoot = may_shoot
        self._release = QTimer(self)
        self._release.setSingleShot(True)
        self._release.setInterval(self.RELEASE_GRACE_MS)
        self._release.timeout.connect(self._key_up)
        self._released_at: float | None = None       # the C-arm clock (s) at the last release

    def key(self, pressed: bool, auto_repeat: bool) -> None:
        """A press (``pressed``) or release of F, ``auto_repeat`` as Qt marked it."""
        if pressed:
            if self._release.isActive():       # a repeat pair: the pedal never came up
                self._release.stop()
                return
            if not auto_repeat and self._may_shoot():      # the checklist decision first
                self._carm.start_fluoro()
            return
        if auto_repeat:
            return
        self._released_at = self._carm.clock()
        self._release.start()

    def _key_up(self) -> None:
        self._carm.stop_fluoro(at=self._released_at)

    def release(self) -> None:
        """Stop now (the window closes): no pending release, no exposure running."""
        self._release.stop()
        self._carm.stop_fluoro()
