"""A word-wrapped label that keeps room for a fixed number of lines in the font it is drawn with.

The landmark editor's coverage and status lines change their text while the instructor drags a marker or
clicks a vertebra; a label that grew by a line pushed the views below it down under the pointer.  Their room
was computed from the font at construction (9 pt), but the application's style sheet (``trainer.ui.app``:
10.5 pt) reaches a widget only when it is polished: two lines of the real font did not fit in the room held
and the views moved 4 px on each change (round 28).  This label measures its room again whenever its font or
style changes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QWidget


class HeldLinesLabel(QLabel):
    """A word-wrapped, top-aligned :class:`QLabel` whose minimum height is ``lines`` lines of its current font
    plus ``pad_px`` pixels.

    Parameters
    ----------
    text : str
        The first text.
    lines : int
        Lines of room held (at least 1); a longer text still grows the label.
    pad_px : int
        Pixels added to the lines' height (the label's margins).
    parent : QWidget, optional
        The parent widget.
    """

    def __init__(self, text: str = "", lines: int = 1, pad_px: int = 2, parent: QWidget | None = None):
        super().__init__(text, parent)
        self.lines = max(1, int(lines))
        self.pad_px = int(pad_px)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._hold()

    def held_height_px(self) -> int:
        """The minimum height (px) the label holds in its current font."""
        return self.lines * self.fontMetrics().lineSpacing() + self.pad_px

    def _hold(self) -> None:
        self.setMinimumHeight(self.held_height_px())

    def event(self, e: QEvent) -> bool:  # noqa: D401 (Qt's name)
        """Qt's event handler: the room is measured again when the font or the style changes (polish)."""
        handled = super().event(e)
        if e.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.Polish):
            self._hold()
        return handled
