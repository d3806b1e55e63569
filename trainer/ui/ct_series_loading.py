"""Choosing and reading the landmark editor's series: the Series field and folder chooser, a study folder's (or a
folder's side-by-side) series list, the question before unsaved corrections are dropped, and the progress bar
with Cancel.

:class:`SeriesLoading` is a part of :class:`~trainer.ui.ct_landmarks.CTLandmarkDialog` (a mixin): its methods
read and set the dialog's folder, series, progress widgets and runner.  The reading itself is
:meth:`CTLandmarkDialog.load <trainer.ui.ct_landmarks.CTLandmarkDialog.load>` (off the GUI thread,
:func:`~trainer.ui.ct_estimate_jobs._load_job`) and its result is shown by the dialog's ``_on_done``.  Split out
of ``ct_landmarks.py`` in round 40 (the methods unchanged).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from trainer.core.scenario.ct_import import LANDMARK_KEYS
from trainer.core.shown_path import shown_path
from trainer.ui.ct_estimate_jobs import SEARCHING
from trainer.ui.ct_slices import NAMES
from trainer.ui.series_chooser import open_series_chooser

__all__ = ["SeriesLoading"]


class SeriesLoading:
    """Which series the editor reads, and the bar while it does (mixed into ``CTLandmarkDialog``)."""

    def choose_folder(self) -> None:
        """Choose series folder…: the chosen series is read, after a question when hand corrections on the shown
        series were not saved (until round 27 they were dropped without one, where a level change asks)."""
        d = QFileDialog.getExistingDirectory(self, "Choose the DICOM series folder",
                                             str(self.folder or Path.home()))
        if d:
            self.ask_load(d)

    def typed_folder(self) -> None:
        """Return in the Series field: read the folder typed or pasted there (quotes and a leading ``~``
        as a file manager or shell copies them are read as such); a path that is no folder is said in one line
        and the shown series stays."""
        text = self.folder_edit.text().strip()
        if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1]
        path = Path(text).expanduser() if text else None
        if path is None or not path.is_dir():
            self.note(f"Series: {text or '(empty)'} is not a folder: type or paste the folder that holds the "
                      "series' DICOM files, or use Choose series folder…", error=True)
            return
        if (self.folder is not None and path.resolve() == self.folder.resolve() and self.volume is not None
                and self.series is None):      # a folder of several series: its list opens again
            self.folder_edit.setText(shown_path(self.folder))      # the series shown: nothing to read again
            return
        # after this key press is handled: the press goes on to this dialog, whose QDialog Return handling clicks
        # the default button of any visible child, so a question opened here (the study's series list, "Load
        # another series?") was answered by the very Return that typed the folder (round 34)
        QTimer.singleShot(0, lambda: self.ask_load(str(path)))

    def ask_load(self, d: str, series: str | None = None) -> None:
        """Read the series in folder ``d`` (``series``: the SeriesInstanceUID of the one chosen among several side by
        side there), after a question when hand corrections on the shown series were not saved (the chooser and
        the typed field both come here).  A study folder (its series in subfolders, a CD or PACS export) opens a
        list of its series first (round 34; the reader's one-line refusal said only which folders it held), and
        so does a folder holding several series flat (a Horos export, a PACS zip; round 35): the reading job finds
        them, off the GUI thread with progress and Cancel (round 36: a study folder was searched here, on the GUI
        thread, and a large CD froze the window), so the question comes first and the series picked is read."""
        edited = self.unsaved_corrections()
        if not edited:
            self.load(d, series)
            return
        self._close_question()
        self._ask("loadConfirm", "Load another series?",
                  f"You corrected these {self.landmarks_level} landmarks of {self.folder.name} by hand and "
                  f"did not save them: {', '.join(edited)}.\nLoad {Path(d).name} (your corrections are "
                  "lost), or keep editing this series (Save scenario… first)?",
                  (f"Load {Path(d).name}", QMessageBox.ButtonRole.AcceptRole, lambda: self.load(d, series)),
                  ("Keep editing", self._keep_editing))

    def _open_list(self, folder: Path, found: list, then) -> None:
        """Open the list of ``found`` series (a study folder's subfolders, or the series side by side in
        ``folder``); ``then(series)`` with the one picked."""
        flat = bool(found[0].files)
        self._close_question()
        self._question = open_series_chooser(self, folder, found, then)
        self._question.rejected.connect(lambda: self.note(
            f"No series read: {folder.name} holds several series; choose one of them." if flat else
            f"No series read: {folder.name} is a study folder; type or choose one of its series' folders."))
        self.dialogs.append(self._question)
        self.note(f"{folder.name} holds {len(found)} series "
                  f"{'side by side' if flat else 'in its subfolders'}: choose the one to read.")

    def unsaved_corrections(self) -> list[str]:
        """The landmarks corrected by hand and not saved since (their names in lower case); [] when there are
        none, or what is shown is the saved file."""
        if self.volume is None or self.saved is not None:
            return []
        return [NAMES[k].lower() for k in LANDMARK_KEYS if self.source.get(k) == "edited"]

    def _keep_editing(self) -> None:
        """Load another series answered "keep editing": the shown series and its corrections stay."""
        self._question = None
        self.folder_edit.setText(shown_path(self.folder))      # a typed path not read: the shown series' again
        self.note(f"Still editing {shown_path(self.folder)}: your corrections are kept (Save scenario… to keep "
                  "them in a file).")

    def cancel_load(self) -> None:
        was = self._busy
        self.runner.invalidate("ct")
        self.runner.invalidate("est")
        self._busy = None
        self._load_ended()
        if self.volume is None:
            # the path typed (or chosen) stays in the field, to be read again with Return; round 39's first use
            # cancelled a read and found the Series field empty, the path to be typed again
            if was == "ct" and self._pending is not None:
                self.folder_edit.setText(shown_path(self._pending))
                self.folder_edit.setToolTip(str(self._pending))
                self.note("Cancelled: no series loaded (Return in the Series field reads it again).")
                return
            self.note("Cancelled: no series loaded.")
            return
        if was == "est":     # the shown landmarks stay, around the vertebra they are for
            self.overview.set_chosen(self._landmarks_index)
        self.note(f"Cancelled: still editing {self.folder}{self._back_to_landmarks_level()}.")

    def _back_to_landmarks_level(self) -> str:
        """Put the level box back to :attr:`landmarks_level` (chosen while an estimate or another series
        was on its way, which did not come); the clause saying so, or ""."""
        if self.landmarks_level is None or self.level() == self.landmarks_level:
            return ""
        self._set_level_quietly(self.landmarks_level)
        return f"; the target level is back to {self.landmarks_level}, the level its landmarks are for"

    def _load_ended(self) -> None:
        """No new series: back to the one shown before, if any."""
        self._show_progress(False)
        self.folder_edit.setText(shown_path(self.folder) if self.folder else "")
        self.folder_edit.setToolTip(str(self.folder) if self.folder else "")
        self._set_editable(self.volume is not None)

    def _show_progress(self, on: bool) -> None:
        for w in (self.progress, self.progress_text, self.cancel_button):
            w.setVisible(on)

    def _on_progress(self, _rid: int, fraction: float, text: str) -> None:
        # the estimate reports no steps (about 1 s on a 300 x 512 x 512 series): a busy bar until a step
        # comes; at slices over 3 mm up to four labellings of a few s each follow, each one a step at which
        # Cancel stops it, and the bar moves forward with them (until round 24 it turned busy again after a
        # load's 85 % and jumped back to a bar at 82-98 % for the last labelling)
        if self._busy is None:          # a check of moved landmarks (no bar), or a job cancelled
            return
        busy = fraction == 0.0 and text.startswith(("Estimating the landmarks for", SEARCHING))
        self.progress.setRange(0, 0 if busy else 100)
        self.progress.setValue(int(100 * fraction + 1e-9))     # 100 % only once the job says it is done
        self.progress_text.setText(text)
