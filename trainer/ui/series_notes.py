"""The landmark editor's notes on how a series was read: the reader's ``meta["notes"]``, as ``import-ct`` prints them.

The DICOM reader (:func:`~trainer.core.anatomy.dicom_io.read_ct_series`) reads some imperfect series instead of
refusing them and says so in one line each: an exact copy of a slice ignored, junk bytes after the pixel data
ignored, an oblique series resampled onto the axes.  ``vptrainer scenarios import-ct`` prints each as
``FOLDER: note: ...``; until round 33 Session > Import patient CT showed none of them but the oblique angle, in its
coverage line.  :class:`SeriesNotesLabel` shows them beside the landmarks table, above the warnings and in the
warnings' style (``Note: ...`` against ``Warning: ...``), in a calm blue: the series was read, nothing needs
correcting, but the instructor should know which files were left out or that the slices are resampled.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from trainer.core.one_line import one_line

__all__ = ["NOTE_COLOUR", "SeriesNotesLabel", "series_notes"]

#: the notes' colour: informational (the status line's OK is green, a warning amber, an error red)
NOTE_COLOUR = "#9cc8ff"


def series_notes(vol) -> list[str]:
    """The reader's notes on ``vol``, one line each, as ``import-ct`` prints them after ``FOLDER: note:``.

    Parameters
    ----------
    vol : Volume
        A volume read by :func:`~trainer.core.anatomy.dicom_io.read_ct_series` (``meta["notes"]``; a volume
        without the key has none).

    Returns
    -------
    list of str
        Each note with its control characters escaped (:func:`~trainer.core.one_line.one_line`): a file named
        with a newline stays on one line, spelled as the command line spells it.
    """
    return [one_line(str(n)) for n in (vol.meta.get("notes") or ())]


class SeriesNotesLabel(QLabel):
    """A word-wrapped label holding one ``Note: ...`` paragraph per note, hidden while there is none.

    Parameters
    ----------
    parent : QWidget, optional
        The parent widget.

    Attributes
    ----------
    notes : list of str
        The notes shown (:func:`series_notes`), without the prefix.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__("", parent)
        self.notes: list[str] = []
        self.setObjectName("ctNotes")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)        # a file name holding "<b>" is shown as it is
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setStyleSheet(f"color: {NOTE_COLOUR};")
        self.setVisible(False)

    def show_notes(self, notes) -> None:
        """Show ``notes`` (lines of :func:`series_notes`), or hide the label when there is none.

        Parameters
        ----------
        notes : iterable of str
            The notes on the series shown.
        """
        self.notes = list(notes)
        self.setText("\n\n".join(f"Note: {n}." for n in self.notes))
        self.setVisible(bool(self.notes))
        self.setToolTip("How the series was read (vptrainer scenarios import-ct prints the same notes): the "
                        "series is read and can be imported; nothing to correct" if self.notes else "")
