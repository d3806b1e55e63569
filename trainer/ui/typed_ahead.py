"""Keys that were not typed at a dialog: dropped before they press its buttons.

Round 42 (realct-log pass 217), a first-time walk under Xvfb with X's auto-repeat on: keys typed while the trainer
was starting (a path and Return meant for another dialog) reached the case picker once it opened, and its Return
started the default case; a Return held a moment too long on the resume offer resumed the session, and its repeats
then pressed Cancel on the "Preparing" dialog that followed, cancelling the build.  A :class:`KeyGuard` on a dialog
drops, for the dialog's widgets:

- every key event before the dialog's window was exposed (X delivers the keys typed earlier ahead of that expose);
- a key whose press the dialog did not see (held from before): its X repeats, release/press pairs carrying one
  timestamp or presses marked as repeats, until it is let go and pressed again.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget

__all__ = ["KeyGuard"]

_KEYS = (QEvent.Type.KeyPress, QEvent.Type.KeyRelease)


class KeyGuard(QObject):
    """Drops the key events a dialog's user did not type at it (see the module).

    Parameters
    ----------
    dialog : QWidget
        The top-level widget guarded (its child widgets' key events are judged too).
    install : bool
        Install the guard as an application event filter while the dialog is shown (default; removed when it is
        hidden, so that a dialog kept hidden costs nothing); False: the dialog calls :meth:`drops` from its own
        filter (to judge before its own key handling).
    """

    def __init__(self, dialog: QWidget, install: bool = True):
        super().__init__(dialog)
        self._dialog = dialog
        self._armed = False
        self._pressed_here: set[int] = set()        # keys pressed since the window was exposed
        self._stale: dict[int, int] = {}            # key held from before -> its last release's timestamp (ms)
        self._install = install
        if install:
            dialog.installEventFilter(self)             # its Show and Hide: the application's filter follows them
            if dialog.isVisible():
                QApplication.instance().installEventFilter(self)

    def armed(self) -> bool:
        """Whether the dialog takes keys: its window has been exposed since it was last shown."""
        return self._armed

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        return self.drops(watched, event)

    def drops(self, watched: QObject, event: QEvent) -> bool:
        """Whether ``event`` sent to ``watched`` is dropped (True only for a key event of the dialog's widgets);
        follows the dialog's window being exposed, shown and hidden."""
        kind = event.type()
        if kind == QEvent.Type.Expose:
            if watched is self._dialog.windowHandle() and watched.isExposed() and self._dialog.isVisible():
                self._armed = True
            return False
        if kind == QEvent.Type.Show and watched is self._dialog and self._install:
            QApplication.instance().removeEventFilter(self)     # once, however often it is shown
            QApplication.instance().installEventFilter(self)
            return False
        if kind == QEvent.Type.Hide and watched is self._dialog:
            self._armed = False
            self._pressed_here.clear()
            if self._install:
                QApplication.instance().removeEventFilter(self)
            return False
        if kind not in _KEYS or not isinstance(watched, QWidget) or watched.window() is not self._dialog:
            return False
        return self._foreign(event)

    def _foreign(self, event) -> bool:
        key, kind = event.key(), event.type()
        if not self._armed:
            if kind == QEvent.Type.KeyRelease:
                self._stale[key] = event.timestamp()
            else:
                self._stale.setdefault(key, -1)
            return True
        if kind == QEvent.Type.KeyRelease:
            if key in self._pressed_here:
                if not event.isAutoRepeat():
                    self._pressed_here.discard(key)
                return False
            self._stale[key] = event.timestamp()        # a key this dialog did not see pressed: held from before
            return True
        if key in self._stale or (event.isAutoRepeat() and key not in self._pressed_here):
            # QTest's events carry no timestamp (0); an X server's never do
            if event.isAutoRepeat() or 0 != event.timestamp() == self._stale.get(key):
                return True
            self._stale.pop(key, None)                  # let go and pressed again: the dialog's
        self._pressed_here.add(key)
        return False
