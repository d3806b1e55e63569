"""Import patient CT: the instructor's landmark editor (Session > Import patient CT…).

The dialog reads a DICOM series off the GUI thread (progress bar, Cancel; a study folder's subfolders searched
for its series there too, and listed to choose from), finds and numbers
the column (:func:`trainer.core.anatomy.ct_spine.detect_column`, shown numbered on a sagittal
overview, :class:`trainer.ui.ct_overview.ColumnOverview`, with the chosen level highlighted;
a click on a vertebra of a numbered column picks it under its number, the target level following, and
takes it as the target level against the numbering only when the instructor says so: the
"override" box ticked, or a level the numbering does not hold chosen first; on an uncertain numbering
a click takes the vertebra as the target level), asks the core for the
landmarks ``import-ct`` publishes (:func:`trainer.core.scenario.ct_import_landmarks.import_landmarks`:
the estimate, and at slices thicker than 3 mm the labels' body centre, with progress and Cancel),
re-estimates them when the target level changes (asking first when a hand correction would be
lost; a Cancel goes back to the level the landmarks are for), shows three orthogonal bone-window
slices with a draggable marker per landmark and a
table of the landmarks in mm, and saves the scenario with the core's writer
(:func:`~trainer.core.scenario.ct_import.relative_inside`,
:func:`~trainer.core.scenario.ct_import.scenario_toml`), then validates it with
:func:`~trainer.core.scenario.loader.load_scenario`.  The dialog only edits numbers.

The slices and markers are :class:`trainer.ui.ct_slices.SliceViews`.

The dialog is in seven modules (round 40; until then this one file of 1,389 lines).  This one holds the dialog's
widgets and wiring, the start of a read (:meth:`CTLandmarkDialog.load`), what a finished job shows, its messages
and questions, and closing.  Its parts, mixed into the dialog (they use its attributes; the dialog owns them all):
:class:`~trainer.ui.ct_series_loading.SeriesLoading` (choosing the series, the bar and Cancel),
:class:`~trainer.ui.ct_level_picking.LevelPicking` (the target level, clicks on the overview, re-estimates),
:class:`~trainer.ui.ct_landmark_table.LandmarkEditing` (the table, selecting and setting landmarks, redrawing) and
:class:`~trainer.ui.ct_scenario_save.ScenarioSaving` (the title, the save, the warnings panel).  The worker jobs
are in :mod:`trainer.ui.ct_estimate_jobs` (no Qt), the words worked out from data in :mod:`trainer.ui.ct_editor_text`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from trainer.core.anatomy.params import LEVELS
from trainer.core.errors import VPTrainerError
from trainer.core.scenario.ct_import import LANDMARK_KEYS, default_title
from trainer.core.shown_path import shown_path
from trainer.ui.ct_editor_text import SEE_THE_WARNINGS
from trainer.ui.ct_estimate_jobs import SEARCHING as SEARCHING  # re-exported: tests import it from here
from trainer.ui.ct_estimate_jobs import _load_job  # looked up here by load(): a test slows it through this module
from trainer.ui.ct_landmark_table import LandmarkEditing, build_landmark_table
from trainer.ui.ct_level_picking import LevelPicking
from trainer.ui.ct_overview import ColumnOverview
from trainer.ui.ct_scenario_save import ScenarioSaving
from trainer.ui.ct_series_loading import SeriesLoading
from trainer.ui.ct_slices import PLANES, SliceViews
from trainer.ui.held_lines_label import HeldLinesLabel
from trainer.ui.series_notes import SeriesNotesLabel, series_notes
from trainer.ui.workers import Runner

__all__ = ["CTLandmarkDialog"]


#: After the last marker move, the warnings are checked again this many ms later (a drag moves a marker
#: many times a second; each check labels the vertebra, about 1 s of CPU on the abdominal CT)
CHECK_DELAY_MS = 600


class CTLandmarkDialog(SeriesLoading, LevelPicking, LandmarkEditing, ScenarioSaving, QDialog):
    """Choose a series and a level, check or correct the landmarks, save the scenario.

    Attributes
    ----------
    landmarks : dict
        The current values (mm, 0.1 mm steps), keys :data:`LANDMARK_KEYS`.
    source : dict
        Per landmark ``'estimated'``, ``'edited'`` or ``'unplaced'`` (estimation failed).
    markers : dict
        ``markers[key][view]`` of :attr:`views` (:class:`~trainer.ui.ct_slices.SliceViews`).
    landmarks_level : str or None
        The level the shown landmarks are for: the one they were estimated for, or the one the
        instructor kept them for after a level change (None before the first estimate).
    """

    loaded = Signal()                 #: the series is shown (estimated or not)
    scenarioSaved = Signal(object)    #: the validated Scenario
    openRequested = Signal(object)    #: "Open in trainer" with the saved Scenario

    def __init__(self, parent: QWidget | None = None, folder=None, level: str = "L1"):
        super().__init__(parent)
        self.setObjectName("ctLandmarkDialog")
        self.setWindowTitle("Import patient CT")
        self.folder: Path | None = None    # the series shown (and saved)
        self._pending: Path | None = None
        self.series: str | None = None       # the shown series' SeriesInstanceUID when its folder holds several
        self._pending_series: str | None = None
        self.volume = None
        self.landmarks: dict = {}
        self.source: dict = {}
        self.selected = LANDMARK_KEYS[0]
        self.saved = self._saved_before_level = None
        self.dialogs: list = []
        self._syncing = False
        self._editable = False                      # table and Save open to the instructor (no job in flight)
        self.runner = Runner(1, self)
        # the saved landmarks' patient written to the patient cache off the GUI thread (store_labelled), on a runner
        # of its own: Open in trainer and Close wait for that write only, not for a check in flight
        self.store_runner = Runner(1, self)
        self.labelled = None        # the last estimate's or check's labelled patient (ct_estimate_jobs._checked)
        self.runner.channel("ct", latest_only=True)
        self.runner.channel("est", latest_only=True)
        self.runner.channel("check", latest_only=True)
        # the import warnings for the landmarks as moved, checked off the GUI thread once the dragging pauses
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self._check_landmarks)
        self.column = None
        self.landmarks_level: str | None = None
        self._landmarks_index: int | None = None   # the column vertebra the landmarks are around
        self._busy: str | None = None               # the channel of the job in flight ("ct", "est")
        self._question: QMessageBox | None = None   # "re-estimate for the new level?" while open
        self._by_hand: str | None = None            # a level the numbering does not hold, for the next click
        self._discard_on_close = False              # "Close without saving" answered: close, dropping the corrections
        self.warnings: list[str] = []               # import-ct's warnings for the landmarks shown
        self.true_ap = ()                           # the true AP's lines (scenarios show's) for them
        self.runner.finished.connect(self._on_done)
        self.runner.progress.connect(self._on_progress)

        top = QHBoxLayout()
        # typed or pasted, Return reads it (until round 28 the field was read-only: only the chooser)
        self.folder_edit = QLineEdit()
        self.folder_edit.setObjectName("ctSeriesFolder")
        self.folder_edit.setPlaceholderText("DICOM series folder: type or paste its path, then Return")
        self.folder_edit.returnPressed.connect(self.typed_folder)
        self.choose_button = QPushButton("Choose series folder…")
        self.choose_button.clicked.connect(self.choose_folder)
        self.level_box = QComboBox()
        self.level_box.addItems(list(LEVELS))
        self.level_box.setCurrentText(level)
        self.level_box.currentTextChanged.connect(self._level_changed)
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText(default_title(level))
        for w in (QLabel("Series:"), self.folder_edit, self.choose_button, QLabel("Target level:"), self.level_box,
                  QLabel("Title:"), self.title_edit):
            top.addWidget(w)
        top.setStretch(1, 3)
        top.setStretch(6, 2)
        prog = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress_text = QLabel("")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_load)
        for w in (self.progress_text, self.progress, self.cancel_button):
            # hidden, the row keeps its height: showing it pushed the views 30 px down under the pointer
            # (and hiding it back up) each time a click started an estimate
            policy = w.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            w.setSizePolicy(policy)
            prog.addWidget(w)
        self._show_progress(False)
        # what the series holds and how far it reaches round the target (import-ct's coverage line)
        # two lines held from the start, in the font it is drawn with: a line that grows when the body centre moves
        # (covered -> "needs N mm more") would push the views down under the pointer during a drag
        self.coverage = HeldLinesLabel("", lines=2, pad_px=2)
        self.coverage.setObjectName("ctCoverage")

        self.overview = ColumnOverview()
        self.overview.vertebraClicked.connect(self.vertebra_clicked)
        self.override_box = QCheckBox("Override the numbering for the next click")
        self.override_box.setObjectName("overrideNumbering")
        self.override_box.setToolTip(
            "Off: a click on a numbered vertebra picks it under its number (the Target level follows).\n"
            "On: the next click takes the vertebra as the Target level, whatever its number (you count\n"
            "differently); the box then clears itself, so later clicks follow the numbering again.")
        self.override_box.setEnabled(False)
        self.views = SliceViews()
        self.views.markerMoved.connect(self._marker_moved)
        self.plots, self.images, self.markers = self.views.plots, self.views.images, self.views.markers

        # a row per landmark, "—" and locked until a series is read (ct_landmark_table)
        self.table, self.spins = build_landmark_table(self._spin_changed)
        self.table.currentCellChanged.connect(lambda row, *_: self.select(LANDMARK_KEYS[row]) if row >= 0 else None)

        self.save_button = QPushButton("Save scenario…")
        self.save_button.clicked.connect(self._choose_out)
        self.open_button = QPushButton("Open in trainer")
        self.open_button.clicked.connect(self._open_saved)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QVBoxLayout()
        help_text = QLabel("Drag a marker (or type a value) to correct a landmark; the slices follow the "
                           "selected row. Bone window W 1500 / L 300 HU.")
        help_text.setWordWrap(True)
        buttons.addWidget(help_text)
        for b in (self.save_button, self.open_button, close):
            buttons.addWidget(b)
        for b in (self.choose_button, self.cancel_button, self.save_button, self.open_button, close):
            # Return in a value typed into the table commits it; as a dialog's auto-default button the first
            # button (Choose series folder…) also took it and opened the folder chooser over the edit
            b.setAutoDefault(False)
        buttons.addStretch(1)
        # beside the landmarks, every warning import-ct prints for them, kept current as markers move (round 25)
        self.warnings_panel = QLabel("")
        self.warnings_panel.setObjectName("ctWarnings")
        self.warnings_panel.setWordWrap(True)
        self.warnings_panel.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.warnings_panel.setStyleSheet("color: #ffc060;")
        self.warnings_panel.setVisible(False)      # shown only while there is a warning: the table keeps its width
        # above the warnings, the reader's notes on how the series was read (import-ct's "note:" lines, round 33):
        # set once per series, so a re-check of moved landmarks ("Checking…") never hides them
        self.notes_panel = SeriesNotesLabel()
        messages = QVBoxLayout()
        messages.setSpacing(12)         # the notes' block and the warnings' apart, as their paragraphs are
        messages.addWidget(self.notes_panel, 0, Qt.AlignmentFlag.AlignTop)
        # the true AP's tilt for the landmarks shown, the line `scenarios show` prints (round 42: until then the editor
        # never said it, and the 5 mm abdominal L2's endplates lean 9 deg)
        # always three lines high, shown or empty: a line of another length (or "checking…" while a marker is
        # dragged) never moves the views under the pointer (HeldLinesLabel, as the status line below)
        self.true_ap_label = HeldLinesLabel("", lines=3, pad_px=4, grow=False)
        self.true_ap_label.setObjectName("ctTrueAp")
        messages.addWidget(self.warnings_panel, 1, Qt.AlignmentFlag.AlignTop)
        bottom = QHBoxLayout()
        under_table = QVBoxLayout()
        under_table.addWidget(self.table, 0, Qt.AlignmentFlag.AlignTop)     # level with the first note or warning
        under_table.addStretch(1)
        bottom.addLayout(under_table, 5)
        bottom.addLayout(messages, 0)   # its stretch follows its panels (_fit_messages)
        bottom.addLayout(buttons, 2)
        self._bottom, self._messages = bottom, messages
        # always four lines high (the chest CT's load message takes four at 1500 px): a message of another length
        # never moves or resizes the views (pass 180: the three lines held grew for that message and shrank back
        # for the one-line save's); a longer one is cut there with its whole text in the tooltip
        self.status = HeldLinesLabel("Type or paste a DICOM series folder's path in Series (then Return), or "
                                     "click Choose series folder…", lines=4, pad_px=4, grow=False)
        self.status.setObjectName("ctStatus")

        # named inside the window, as My progress and Cohort: with no window manager (a bare X server, a kiosk)
        # there is no title bar, and the editor opened at the top left with nothing naming it (round 45's walk)
        self.heading = QLabel("<b>Import patient CT</b> — the landmarks of a patient's CT series, saved as a "
                              "scenario")
        self.heading.setObjectName("windowHeading")
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addLayout(top)
        lay.addLayout(prog)
        lay.addWidget(self.coverage)
        middle = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.overview, 1)
        left.addWidget(self.override_box)
        middle.addLayout(left, 2)
        middle.addWidget(self.views, 5)
        lay.addLayout(middle, 1)
        lay.addLayout(bottom)
        # the true AP's lines across the whole width, under the table and the warnings: under the table alone (round
        # 42) its three lines cut a turned vertebra's orbital line and tilt beside a warning (round 43, 22)
        lay.addWidget(self.true_ap_label)
        lay.addWidget(self.status)
        self._set_editable(False)
        self.resize(1500, 920)
        if folder is not None:
            self.load(folder)

    # ------------------------------------------------------------------ reading (its job: ct_series_loading)
    def load(self, folder, series: str | None = None) -> None:
        """Read ``folder`` (``series``: the one chosen among several there) off the GUI thread; the estimate
        follows; :attr:`loaded` when shown."""
        self.runner.invalidate("ct")
        self._pending = Path(folder)       # becomes self.folder once its series is shown
        self._pending_series = series
        self.folder_edit.setText(shown_path(self._pending))
        self.folder_edit.setToolTip(str(self._pending))
        self._set_editable(False)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress_text.setText(f"Reading {self._pending.name}…")
        self._show_progress(True)
        self.note(f"Reading {self._pending}…")
        self._close_question()
        self.runner.invalidate("est")
        self.runner.invalidate("check")
        self._check_timer.stop()
        self._show_true_ap(())              # another series: the line said of the one before goes
        self._busy = "ct"
        self.runner.submit("ct", _load_job, (str(self._pending), self.level(), series))

    def _on_done(self, resp) -> None:
        if resp.channel == "check":         # no bar, no Cancel: the editing goes on meanwhile
            if resp.error is None and (resp.value["landmarks"], resp.value["level"]) == (self.landmarks, self.level()):
                self.labelled = resp.value["labelled"]
                self._show_warnings(resp.value["warnings"])
                self._show_true_ap(resp.value["true_ap"])
            return
        self._show_progress(False)
        self._busy = None
        if resp.error is not None:
            self._load_ended()
            if resp.channel == "est":
                self.overview.set_chosen(self._landmarks_index)
                self._back_to_landmarks_level()
            elif self.volume is None and self._pending is not None:
                # no series shown to go back to: the path that failed stays in the field to be mended (until round
                # 35 the field was emptied, and a long pasted path with one wrong folder had to be found again)
                self.folder_edit.setText(shown_path(self._pending))
            self.error("Cannot read the CT series", str(resp.error) if isinstance(resp.error, VPTrainerError)
                       else f"{type(resp.error).__name__}: {resp.error}")
            return
        out = resp.value
        if resp.channel == "ct" and ("side_by_side" in out or "study" in out):
            # a folder of several series (side by side, or a study's in subfolders) and none chosen: nothing read;
            # the one picked is read (the unsaved corrections' question, if any, was answered before this folder
            # was read)
            pending = self._pending
            self._load_ended()
            # the folder typed stays in the field while its list is open, as a study folder's does (it was emptied
            # there when no series was shown yet, and cancelling the list left nothing to mend)
            self.folder_edit.setText(shown_path(pending))
            self.folder_edit.setToolTip(str(pending))
            if "study" in out:
                self._open_list(pending, out["study"], lambda s: self.load(str(s.path)))
            else:
                self._open_list(pending, out["side_by_side"], lambda s: self.load(str(s.path), s.uid))
            return
        if resp.channel == "ct":
            self.volume, self.folder, self.column = out["volume"], self._pending, out["column"]
            self.series = self._pending_series
            self.notes_panel.show_notes(series_notes(self.volume))
            self._fit_messages()
            self.overview.show_column(self.volume, self.column, out["slab"], out["chosen"])
            self.override_box.setEnabled(self.column.certain)   # an uncertain numbering: every click is by hand
            self.override_box.setChecked(False)     # ticked for the series before: not an override of this one
            g = self.volume.grid
            self._lo = np.asarray(g.origin_mm) - 0.5 * np.asarray(g.spacing_xyz_mm)
            self._hi = g.upper_mm + 0.5 * np.asarray(g.spacing_xyz_mm)
            for (_key, axis), spin in self.spins.items():
                a = "xyz".index(axis)
                spin.blockSignals(True)
                spin.setRange(round(self._lo[a], 1), round(self._hi[a], 1))
                spin.blockSignals(False)
        else:
            self.overview.set_chosen(out["chosen"])
        self._landmarks_index = out["chosen"]
        self.landmarks_level = out["level"]
        self._show_estimate(out["estimate"], out["problem"], out["warning"], loaded=resp.channel == "ct",
                            advised=out["advised"])
        self.labelled = out["labelled"]
        self._show_warnings(out["warnings"])
        self._show_true_ap(out["true_ap"])
        if self._against_numbering():
            self.overview.name_chosen(self.level())
        if out["level"] != self.level():        # the level changed while the series was read
            self._reestimate()

    def _show_estimate(self, est, problem: str, warning: str = "", loaded: bool = False,
                       advised: bool = False) -> None:
        """Show ``est`` (None: markers to place); ``loaded``: it follows a series load, so the status
        names the series first (a re-estimate for another level does not); ``advised``: ``problem`` already
        says which marker goes where (:func:`_estimate`), else the editor's advice follows it."""
        g = self.volume.grid
        if est is None:
            centre = 0.5 * (self._lo + self._hi)
            if self.overview.chosen is not None:
                centre = np.asarray(self.column.vertebrae[self.overview.chosen].body_centre_mm, float)
            start = np.clip(centre + np.array([[0, 0, 0], [15, 25, 0], [-15, 25, 0], [0, 0, 10], [0, 0, -10]]),
                            self._lo, self._hi)     # starting points to drag from, inside the series
            est = {"body_centre_mm": start[0], "pedicle_left_centre_mm": start[1], "pedicle_right_centre_mm": start[2],
                   "superior_endplate_z_mm": start[3, 2], "inferior_endplate_z_mm": start[4, 2]}
            self.source = dict.fromkeys(LANDMARK_KEYS, "unplaced")
            if (problem and not advised and self.overview.chosen is None and self.column is not None
                    and self.column.vertebrae):
                # the series' middle missed the spine (a short series cut from a larger scan): a click on a
                # box estimates around that vertebra, five markers need not be dragged
                self.error("Landmarks not found", f"{problem}: click the target vertebra's box on the column "
                           "view to estimate around it, or drag every marker onto the anatomy.")
            elif problem:       # LandmarksNotFound's line already says which marker goes where
                self.error("Landmarks not found", problem if advised else f"{problem}\nDrag every marker onto the anatomy.")
            else:
                self.note(self._column_text())
        else:
            self.source = dict.fromkeys(LANDMARK_KEYS, "estimated")
            series = (f"Loaded {g.shape[0]} slices of {g.shape[2]} x {g.shape[1]} pixels "
                      f"({g.spacing_xyz_mm[0]:g} x {g.spacing_xyz_mm[1]:g} x {g.spacing_xyz_mm[2]:g} mm). "
                      if loaded else "")
            # the warnings themselves are in the panel beside the table (_show_warnings): said once (until round 26
            # the status line repeated them)
            self.note(f"{series}{self._column_text(estimated=True)} {self._check_next()}"
                      + (f" {SEE_THE_WARNINGS}" if warning else ""), warning=bool(warning) or self._against_numbering())
        self.landmarks = {k: (round(float(v), 1) if k in PLANES else tuple(round(float(a), 1) for a in v))
                          for k, v in est.items() if k in LANDMARK_KEYS}
        self.saved = self._saved_before_level = None
        self._set_editable(True)
        self.select(self.selected, force=True, fit=True)
        self.loaded.emit()

    # ------------------------------------------------------------------ messages
    def _ask(self, name: str, title: str, text: str, act: tuple, keep: tuple) -> QMessageBox:
        """Open (non-modal) the editor's question ``name``: ``act`` = (label, role, slot) for the button that
        drops the hand corrections, ``keep`` = (label, slot) for the one that keeps them, the default (Return and
        Escape answer it).  It is :attr:`_question` (one at a time) and kept in :attr:`dialogs`."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, self)
        box.setObjectName(name)
        act_button = box.addButton(act[0], act[1])
        keep_button = box.addButton(keep[0], QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep_button)
        act_button.clicked.connect(act[2])
        keep_button.clicked.connect(keep[1])
        self._question = box
        self.dialogs.append(box)
        box.open()
        return box

    def _close_question(self) -> None:
        if self._question is not None:
            box, self._question = self._question, None
            box.close()

    def note(self, text: str, error: bool = False, warning: bool = False) -> None:
        """Status line: red for an error, amber for a warning (the instructor checks, nothing refused)."""
        self.status.setText(text)
        self.status.setStyleSheet("color: #ff7070;" if error else "color: #ffc060;" if warning else "color: #a8e0a8;")

    def error(self, title: str, text: str) -> QMessageBox:
        """Status line in red and a non-modal message box."""
        self.note(text.splitlines()[0], error=True)
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("ctError")
        self.dialogs.append(box)
        box.open()
        return box

    # ------------------------------------------------------------------ closing
    def _may_close(self) -> bool:
        """True when the editor may close: nothing corrected by hand is unsaved, or the instructor said to drop it.
        Else the question "Close without saving?" opens (once) and False: until round 35 Close, Escape, the title
        bar's close and Session > Quit dropped the corrections without a word (loading another series and a level
        change ask)."""
        edited = self.unsaved_corrections()
        if not edited or self._discard_on_close:
            return True
        if self._question is not None and self._question.objectName() == "closeConfirm" and self._question.isVisible():
            self._question.raise_()             # a second Escape or close while it is open: the same question
            return False
        self._close_question()
        self._ask("closeConfirm", "Close without saving?",
                  f"You corrected these {self.landmarks_level} landmarks of {self.folder.name} by hand and "
                  f"did not save them: {', '.join(edited)}.\nClose the editor (your corrections are lost), or "
                  "keep editing (Save scenario… first)?",
                  ("Close without saving", QMessageBox.ButtonRole.DestructiveRole, self._close_dropping_corrections),
                  ("Keep editing", self._keep_editing_not_closed))
        return False

    def _keep_editing_not_closed(self) -> None:
        """"Keep editing" (or Escape) at "Close without saving?": the editor stays open with its corrections."""
        self._question = None
        self.note(f"Still editing {shown_path(self.folder)}: your corrections are kept (Save scenario… to keep them "
                  "in a file).")

    def _close_dropping_corrections(self) -> None:
        """"Close without saving": the editor closes and its unsaved corrections go."""
        self._question = None
        self._discard_on_close = True
        self.close()

    def _open_saved(self) -> None:
        """Open in trainer: the saved scenario, once its patient is in the cache (a write still running after a
        save just made: about 0.1 s), so the trainer reads it and does not label the vertebra again."""
        self.wait_stored()
        self.openRequested.emit(self.saved)

    def _stop_jobs(self) -> None:
        """No job of this editor runs on once it closes (a cache write of the saved patient is let finish)."""
        self.wait_stored()
        self.runner.invalidate("ct")
        self.runner.invalidate("est")
        self.runner.invalidate("check")
        self._check_timer.stop()
        # a job left running is waited for again by the pool's destructor, without releasing Python's lock: let
        # the longest (an estimate on a loaded machine) finish here
        self.runner.wait_done(120000)

    def reject(self) -> None:
        """Escape (and the close below): as Close, after the question when corrections are unsaved; until round 35
        Escape hid the editor without it, and without stopping a read or estimate in flight."""
        if not self._may_close():
            return
        self._stop_jobs()
        super().reject()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if not self._may_close():
            event.ignore()
            return
        self._stop_jobs()
        super().closeEvent(event)
