"""A word-wrapped label that keeps room for a fixed number of lines in the font it is drawn with.

The landmark editor's coverage and status lines change their text while the instructor drags a marker or
clicks a vertebra; a label that grew by a line pushed the views below it down under the pointer.  Their room
was computed from the font at construction (9 pt), but the application's style sheet (``trainer.ui.app``:
10.5 pt) reaches a widget only when it is polished: two lines of the real font did not fit in the room held
and the views moved 4 px on each change (round 28).  This label measures its room again whenever its font or
style changes.

A label made with ``grow=False`` never changes height (round 37): the status line held three lines and grew for
the chest CT's four-line load message, so the slice views shrank by a line when it came and grew back when the
one-line save message replaced it.  Such a label is exactly ``lines`` lines high; a text that needs more is
drawn cut at the last line with "…" and :data:`MORE`, its whole text in the tooltip (:meth:`text` still
returns the whole text).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QPainter, QTextLayout, QTextOption
from PySide6.QtWidgets import QLabel, QWidget

#: what ends a cut text's last line: where the rest is
MORE = "… (point here for the whole message)"


class HeldLinesLabel(QLabel):
    """A word-wrapped, top-aligned :class:`QLabel` whose minimum height is ``lines`` lines of its current font
    plus ``pad_px`` pixels.

    Parameters
    ----------
    text : str
        The first text.
    lines : int
        Lines of room held (at least 1).
    pad_px : int
        Pixels added to the lines' height (the label's margins).
    parent : QWidget, optional
        The parent widget.
    grow : bool
        True: a longer text still grows the label.  False: the label is always ``lines`` lines high and a longer
        text is cut there ("…" and :data:`MORE`), whole in the tooltip.
    """

    def __init__(self, text: str = "", lines: int = 1, pad_px: int = 2, parent: QWidget | None = None,
                 grow: bool = True):
        super().__init__(text, parent)
        self.lines = max(1, int(lines))
        self.pad_px = int(pad_px)
        self.grow = bool(grow)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._hold()

    def held_height_px(self) -> int:
        """The minimum height (px) the label holds in its current font."""
        return self.lines * self.fontMetrics().lineSpacing() + self.pad_px

    def _hold(self) -> None:
        if self.grow:
            self.setMinimumHeight(self.held_height_px())
        else:
            self.setFixedHeight(self.held_height_px())
            self._tip()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        """Qt's setText; a label that does not grow says a cut text whole in its tooltip."""
        super().setText(text)
        if not self.grow:
            self._tip()

    def _wrapped(self, width: int) -> list[str]:
        """The text's lines word-wrapped to ``width`` px in the label's font (a newline starts a line)."""
        text = self.text().replace("\n", "\u2028")
        layout = QTextLayout(text, self.font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WordWrap)
        layout.setTextOption(option)
        out = []
        layout.beginLayout()
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(max(1, width))
            out.append(text[line.textStart():line.textStart() + line.textLength()])
        layout.endLayout()
        return [s.replace("\u2028", "").rstrip() for s in out]

    def _text_width(self) -> int:
        """The width (px) the text is wrapped to: the contents less the margins."""
        return self.contentsRect().width() - 2 * max(0, self.margin())

    def shown_lines(self) -> list[str]:
        """The lines as drawn: the wrapped text, or for a cut text its first lines and a last one ending in
        :data:`MORE`."""
        lines = self._wrapped(self._text_width())
        return lines if self.grow or len(lines) <= self.lines else self._cut(lines)

    def _cut(self, lines: list[str]) -> list[str]:
        """``lines`` (wrapped, more than the label holds) cut to its :attr:`lines`, the last ending in :data:`MORE`."""
        width = self._text_width()
        keep = lines[:self.lines - 1]
        rest = " ".join(lines[self.lines - 1:])
        fm = self.fontMetrics()
        room = max(0, width - fm.horizontalAdvance(MORE))
        last = fm.elidedText(rest, Qt.TextElideMode.ElideRight, room)
        last = last[:-1].rstrip() if last.endswith("…") else last
        return [*keep, last + MORE]

    def is_cut(self) -> bool:
        """True when the text needs more lines than the label (which does not grow) shows."""
        return not self.grow and len(self._wrapped(self._text_width())) > self.lines

    def _tip(self) -> None:
        self.setToolTip(self.text() if self.is_cut() else "")

    def resizeEvent(self, e) -> None:  # noqa: N802 (Qt's name)
        """Qt's resize handler: a text cut at one width may fit at another."""
        super().resizeEvent(e)
        if not self.grow:
            self._tip()

    def paintEvent(self, e) -> None:  # noqa: N802 (Qt's name)
        """Qt's paint handler; a cut text is drawn line by line (QLabel would clip it mid-word, mid-line)."""
        lines = [] if self.grow else self._wrapped(self._text_width())     # wrapped once a paint
        if len(lines) <= self.lines:
            super().paintEvent(e)
            return
        painter = QPainter(self)
        painter.setFont(self.font())
        painter.setPen(self.palette().color(self.foregroundRole()))
        fm = self.fontMetrics()
        r = self.contentsRect()
        x, y = r.x() + max(0, self.margin()), r.y() + max(0, self.margin()) + fm.ascent()
        for line in self._cut(lines):
            painter.drawText(QPointF(x, y), line)
            y += fm.lineSpacing()
        painter.end()

    def event(self, e: QEvent) -> bool:  # noqa: D401 (Qt's name)
        """Qt's event handler: the room is measured again when the font or the style changes (polish)."""
        handled = super().event(e)
        if e.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.Polish):
            self._hold()
        return handled
