"""The "Assessment notes" block: what ``vptrainer assess`` prints about a session file, shown in the GUI.

The notes (:func:`trainer.core.session.notes.assessment_notes`, their one home) say that the session's line ends
were converted to CR LF on the way, that the scenario file it was recorded on was edited since, that its case
differs from the built-in one, that its CT series was found by its fingerprint or replayed unchecked, that a
cut-off last line was dropped.  Until round 39 the GUI said none of it: a resumed or reviewed session, and the
debrief of one, looked like any other.  :class:`AssessmentNotes` shows them, one ``LABEL: text`` line each as
``assess`` prints them after ``vptrainer assess:``, in a framed amber block like the HTML report's, and is hidden
when there are none; the text is selectable (an assessor copies a path from it).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from trainer.core.one_line import one_line
from trainer.core.session.notes import note_lines

__all__ = ["AssessmentNotes", "WARN_COLOUR"]

#: the block's colour: the debrief's "warn" amber (a WARNING line is bold)
WARN_COLOUR = "#f0b030"


class AssessmentNotes(QLabel):
    """A framed block of the notes on a session, under a heading; hidden while it holds none.

    Parameters
    ----------
    heading : str
        The block's first line ("Assessment notes", or what the notes are about).
    """

    def __init__(self, heading: str = "Assessment notes", parent: QWidget | None = None):
        super().__init__(parent)
        self.heading = heading
        self.notes: list[tuple[str, str]] = []
        self.setObjectName("assessmentNotes")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setStyleSheet(f"QLabel#assessmentNotes {{ border: 2px solid {WARN_COLOUR}; border-radius: 4px; "
                           "background: #2e2610; color: #f3e6c4; padding: 6px; }")
        self.setVisible(False)

    def show_notes(self, notes, heading: str | None = None) -> None:
        """Show ``notes`` (``(label, text)`` pairs; none hides the block); ``heading`` replaces the heading."""
        self.notes = [(str(label), str(text)) for label, text in notes]
        if heading is not None:
            self.heading = heading
        if not self.notes:
            self.setText("")
            self.setToolTip("")
            self.setVisible(False)
            return
        rows = "".join(
            f"<li><b style='color:{WARN_COLOUR if label != 'note' else '#f3e6c4'}'>{html.escape(label)}:</b> "
            f"{html.escape(one_line(text))}</li>" for label, text in self.notes)
        self.setText(f"<b style='color:{WARN_COLOUR}'>{html.escape(self.heading)}</b>"
                     f"<ul style='margin-left:-20px; margin-top:2px'>{rows}</ul>")
        self.setToolTip("What 'vptrainer assess' says about this session file (docs/session-format.md)")
        self.setVisible(True)

    def lines(self) -> list[str]:
        """The notes as shown, ``LABEL: text`` each (for checks against ``assess``'s stderr)."""
        return note_lines(self.notes)
