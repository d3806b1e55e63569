"""Choose one series of a study folder: the landmark editor given a CD or PACS export's top folder, or a folder
that holds several series side by side (a Horos export, a PACS zip: :mod:`trainer.core.anatomy.dicom_mixed`).

The core names a study's series (:mod:`trainer.core.anatomy.dicom_study`); here the instructor picks
one from a list that shows each as the reader describes it (folder, modality, description, files,
slice thickness), with the CT with the most slices selected, so Return reads it.  The list opens on a
Return in the editor's Series field; if that key is held, the keyboard's auto-repeat must not answer the
list unseen, so repeated Return/Enter presses are dropped (:class:`~trainer.ui.key_repeat.KeyRepeatJudge`,
which also tells X's unmarked repeats).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QComboBox, QInputDialog, QWidget

from trainer.core.anatomy.dicom_folder import series_files
from trainer.core.anatomy.dicom_listing import FolderHeaders, folder_headers
from trainer.core.anatomy.dicom_study import SeriesFolder, SeriesList, find_series, likely_series, search_stopped
from trainer.core.one_line import one_line
from trainer.ui.key_repeat import KeyRepeatJudge

__all__ = ["listed_headers", "series_below", "series_side_by_side", "side_by_side_in", "open_series_chooser"]


_ANSWER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class _NoRepeatedAnswer(QObject):
    """Drops the auto-repeat of Return/Enter anywhere in the list (a held key that opened it), keeps a new press."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._judge = KeyRepeatJudge()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride) \
                and event.key() in _ANSWER_KEYS:
            return self._judge.is_repeat(event)
        return False


def series_below(folder: Path, progress: Callable[[int, str], None] | None = None) -> SeriesList | None:
    """The series in ``folder``'s subfolders when ``folder`` holds no slice files itself; None when it does, or
    cannot be listed (not searched: the folder is read as a series, or the reader names why not;
    :func:`series_side_by_side` says whether its files hold several).  Up to 2000 folders are searched (a CD with a
    viewer program holds hundreds), so the editor calls this in its reading job, off the GUI thread (round 36; it
    froze the window before), ``progress`` being :func:`~trainer.core.anatomy.dicom_study.find_series`'s (its Cancel
    raises there).  An empty list (searched, nothing found) is handed to the reader, which refuses the folder from
    it instead of searching it again (round 37)."""
    try:
        if series_files(folder):
            return None
    except OSError:
        return None
    return find_series(folder, progress=progress)


def series_side_by_side(folder: Path) -> list[SeriesFolder]:
    """The series side by side among ``folder``'s own files when they hold more than one (a Horos export, a PACS
    zip), each with its ``files``; [] otherwise.  Every file's header is read (no pixels; about 0.3 ms a file, 0.6 s
    at 2000 files), so the editor calls this in its reading job, off the GUI thread."""
    listed = listed_headers(folder)
    return side_by_side_in(listed)


def listed_headers(folder: Path) -> FolderHeaders | None:
    """``folder``'s slice files and their series (every header read, no pixel;
    :func:`~trainer.core.anatomy.dicom_listing.folder_headers`), for :func:`side_by_side_in` and then the reader
    (``read_ct_series(..., headers=...)``, which reads them again only when a file changed since: round 45); None
    when the folder holds no slice files or cannot be listed (the reader names why)."""
    try:
        files = series_files(folder)
        return folder_headers(folder, files) if files else None
    except OSError:
        return None


def side_by_side_in(listed: FolderHeaders | None) -> list[SeriesFolder]:
    """:func:`series_side_by_side` of a listing made by :func:`listed_headers`: its series when more than one."""
    return list(listed.series) if listed is not None and len(listed.series) > 1 else []


def open_series_chooser(parent: QWidget, folder: Path, found: list[SeriesFolder],
                        on_chosen: Callable[[SeriesFolder], None]) -> QInputDialog:
    """Open (window-modal, not blocking) a list of ``found`` series; ``on_chosen(series)`` when one is taken.

    Parameters
    ----------
    parent : QWidget
        The dialog's parent.
    folder : Path
        The folder given (named in the question).
    found : list of SeriesFolder
        :func:`series_below`'s result, at least one.
    on_chosen : callable
        Called with the chosen :class:`~trainer.core.anatomy.dicom_study.SeriesFolder` (its ``path``; for a series
        side by side with others, its ``uid`` and ``files`` too).

    Returns
    -------
    QInputDialog
        The open dialog (object name ``seriesChooser``).
    """
    # one printable line each (a folder name's newline, escape or undecodable byte written as its escape): Qt drops a
    # lone surrogate, so "a\udcffz" came back as "az", was not found among the items (a ValueError in the slot, nothing
    # read) and two such names showed alike (hostile34); the series is found by its place in the list, not its text
    items = [one_line(s.text()) for s in found]
    best = likely_series(found)
    box = QInputDialog(parent)
    box.setObjectName("seriesChooser")
    box.setWindowTitle("Choose a series")
    where = (f"{folder.name} holds {len(found)} series side by side (a study exported to one folder)" if found[0].files
             else f"{folder.name} holds no slices itself: its subfolders hold {len(found)} series{search_stopped(found)}")
    box.setLabelText(f"{where}.\n"
                     "Choose the axial CT series to read"
                     + (" (the CT with the most slices is selected):" if best is not None else ":"))
    box.setComboBoxItems(items)
    box.setComboBoxEditable(False)
    if best is not None:
        box.setTextValue(items[found.index(best)])
    box.setOkButtonText("Read series")
    combo = box.findChild(QComboBox)

    def chosen(text: str) -> None:
        at = combo.currentIndex() if combo is not None and 0 <= combo.currentIndex() < len(found) else -1
        if at < 0 and text in items:
            at = items.index(text)
        if at >= 0:
            on_chosen(found[at])

    box.textValueSelected.connect(chosen)
    box.open()
    repeats = _NoRepeatedAnswer(box)
    for w in (box, *box.findChildren(QWidget)):
        w.installEventFilter(repeats)
    return box
