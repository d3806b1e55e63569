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
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trainer.core.anatomy.ct_facing import refuse_turned
from trainer.core.anatomy.ct_spine import detect_column
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.anatomy.dicom_mixed import refuse_unnamed_series
from trainer.core.anatomy.params import LEVELS, modelled_span
from trainer.core.errors import DicomError, VPTrainerError
from trainer.core.safe_write import atomic_write_text, check_output
from trainer.core.scenario.ct_import import (
    LANDMARK_KEYS,
    EstimateNotFound,
    coverage_note,
    default_title,
    landmarks_as_written,
    relative_inside,
    scenario_toml,
)
from trainer.core.scenario.ct_import_landmarks import LandmarksNotFound, import_landmarks
from trainer.core.scenario.ct_plausible import import_warnings
from trainer.core.scenario.loader import parse_scenario
from trainer.core.shown_path import shown_path
from trainer.core.xray.geometry import CArmGeometry
from trainer.ui.ct_overview import ColumnOverview, sagittal_slab, vertebra_names
from trainer.ui.ct_slices import COLOURS, NAMES, PLANES, SHORT, SliceViews
from trainer.ui.held_lines_label import HeldLinesLabel
from trainer.ui.save_dialogs import ask_save_path, save_with_confirmation
from trainer.ui.series_chooser import open_series_chooser, series_below, series_side_by_side
from trainer.ui.series_notes import SeriesNotesLabel, series_notes
from trainer.ui.workers import Runner

__all__ = ["CTLandmarkDialog"]


#: the status line's pointer to the warnings panel after an estimate that warns
SEE_THE_WARNINGS = "Check the warning beside the landmarks table first."


def _estimate(vol, near, column, level, progress):
    """(landmarks or None, problem text, whether that text carries its advice, warnings) around ``near``
    (None: a short series): those ``import-ct`` writes for ``level`` (the same core function) and every
    warning it prints about them (:func:`_warnings`); ``column``: the column detected on ``vol`` (its bone
    threshold, outline).  ``progress`` raises once the dialog cancelled: the thick-slice refinement and
    labelling stop at their next step.

    The problem carries its advice only as :meth:`LandmarksNotFound.in_editor
    <trainer.core.scenario.ct_import_landmarks.LandmarksNotFound.in_editor>` words it (which marker goes where);
    an estimate that found nothing (:class:`~trainer.core.scenario.ct_import.EstimateNotFound`) gives its problem
    without import-ct's "give the landmarks by hand", and the dialog adds the editor's advice once
    (:meth:`CTLandmarkDialog._show_estimate`).  Until round 27 the dialog sniffed the word "marker" in the line
    and showed both advices after a failed estimate around a point."""
    try:
        # a short series (no column point) is estimated at the default threshold, as import-ct does
        est, _ = import_landmarks(vol, near, column.thresholds.bone_hu if near is not None else None, level,
                                  progress=_refine_progress(progress), column=column)
    except LandmarksNotFound as exc:        # nothing to estimate around: what to give, in the editor's words
        return None, exc.in_editor(), True, []
    except EstimateNotFound as exc:         # import-ct's advice left out: the dialog gives the editor's
        return None, exc.problem, False, []
    except DicomError as exc:
        return None, str(exc), False, []
    warnings = _warnings(vol, est, level, LANDMARK_KEYS, column, _labels_check_progress(progress))
    progress(1.0, LABELS_CHECKED)           # the bar's 100 %: the work is done
    return est, "", False, warnings


def _warnings(vol, landmarks, level, estimated, column, progress=None) -> list[str]:
    """The lines ``import-ct`` prints after its estimate for ``landmarks`` (``estimated``: the keys still as
    estimated), in the editor's words (:func:`~trainer.core.scenario.ct_plausible.import_warnings`); until
    round 25 the editor showed the thick-slice line only, not a thin series' "do not label the vertebra"."""
    try:    # judged as the file will hold them: the trainer labels those (import-ct too)
        return import_warnings(vol, landmarks_as_written(landmarks), level, estimated, column=column,
                               progress=progress, in_editor=True)
    except ValueError:      # not labelled at all: the trainer says so when the scenario is opened
        return []


def _save_inside_advice(folder: Path) -> str:
    """What to do when the chosen scenario file's folder does not contain the series ``folder``, in the editor's
    words (until round 27 the editor said import-ct's "write --out into a folder that contains the series")."""
    return (f"save it into {shown_path(folder.parent)} or a folder above it (a series on a read-only disc: copy its "
            "folder beside your scenarios first)")


def _check_job(payload, progress):
    """Worker: the warnings for the landmarks as the instructor left them (moved, or kept for another level)."""
    vol, landmarks, level, estimated, column = payload
    return {"warnings": _warnings(vol, landmarks, level, estimated, column, progress), "landmarks": landmarks,
            "level": level}


#: Share of an estimate's bar (0-1) that the thick-slice refinement's labellings take (up to three); the
#: check of the labels (one more labelling, :func:`_warnings`) takes the rest.
REFINE_SHARE = 0.75
#: Where the check's labelling ends on the estimate's bar (0-1): the labels' note is read after it, and the bar
#: reaches 100 % only with :data:`LABELS_CHECKED` (until round 27 it read 100 % at the labelling's "patient CT
#: ready" while the check still ran).
CHECK_LABELLED = 0.95
LABELS_CHECKED = "Estimating the landmarks: labels checked"


def _refine_progress(progress):
    """``progress`` for the thick-slice refinement: its fractions (0, 1/3, 2/3 before each labelling)
    scaled into the first :data:`REFINE_SHARE` of the estimate's bar."""
    return lambda f, msg: progress(REFINE_SHARE * f, msg)


def _labels_check_progress(progress):
    """``progress`` for the check of the labels: one more labelling, after the refinement's, in the rest of
    the estimate's bar, its steps named as part of the estimate (the labelling's own words, "cropping the
    target", alone on the bar's line read as another task until round 24); the check's start is reported
    at once."""
    def report(f, msg):
        progress(REFINE_SHARE + (CHECK_LABELLED - REFINE_SHARE) * f,
                 f"Estimating the landmarks: checking the labels ({msg})…")
    report(0.0, "labelling the vertebra")
    return report


#: how the progress line starts while a study folder is searched for its series (the bar is busy: no total known)
SEARCHING = "Searching"


def _load_job(payload, progress):
    """Worker: read the series, detect and number the column, estimate the chosen level's landmarks.

    ``progress`` raises (the runner's Cancelled) once the dialog cancelled: reading stops at
    its next slice, the column detection at its next step.
    """
    folder, level, *chosen = payload        # (folder, level) or (folder, level, the series chosen among several)
    series = chosen[0] if chosen else None
    study = None                            # the search's result, when searched: the reader does not search again
    name = Path(folder).name

    def searching(n: int, rel: str) -> None:
        """The search below ``folder``'s progress, the job's or the reader's (a folder of slices is searched for
        its subfolders' note): Cancel raises here (round 38: the reader's search had neither)."""
        progress(0.0, f"{SEARCHING} {name} for series: {n} folder{'s' if n != 1 else ''} looked in ({rel})…")

    if series is None:
        # a study folder (a CD's or PACS export's top folder: series in subfolders) and none chosen: their list, for
        # the instructor to pick one.  Searched here, off the GUI thread, with Cancel (up to 2000 folders: until
        # round 36 on the GUI thread, and a CD with a viewer program froze the window)
        study = series_below(Path(folder), progress=searching)
        if study:
            return {"study": study}
        # several series side by side and none chosen: their list, for the instructor to pick one (every file's
        # header read here, off the GUI thread; no pixel)
        flat = series_side_by_side(Path(folder))
        if flat:
            return {"side_by_side": flat}
    vol = read_ct_series(folder, progress=lambda done, total: progress(0.45 * done / total,
                                                                        f"Reading slice {done} of {total}…"),
                         series=series, below=study, searching=searching)
    column = detect_column(vol, progress=lambda f, m: progress(0.45 + 0.4 * f, f"Finding the column: {m}…"))
    refuse_turned(vol, folder, column)      # a prone patient's pixels under a supine orientation (ct_facing)
    slab, _ = sagittal_slab(vol, column)
    chosen = _index_of(column, level)
    if chosen is None and not column.short:
        # several vertebrae, none named: the instructor clicks the target on the overview first
        est, problem, advised, warnings = None, "", False, []
    else:                   # the named level, or a short series taken as centred on the target
        progress(0.9, f"Estimating the landmarks for {level}…")
        near = column.vertebrae[chosen].body_centre_mm if chosen is not None else None
        est, problem, advised, warnings = _estimate(vol, near, column, level,
                                                    lambda f, m: progress(0.9 + 0.1 * f, m))
    return {"volume": vol, "column": column, "slab": slab, "chosen": chosen, "estimate": est, "problem": problem,
            "advised": advised, "warning": "; ".join(warnings), "warnings": warnings, "level": level}


def _estimate_job(payload, progress):
    """Worker: the landmarks around one vertebra (the instructor clicked it, or chose its level), or
    around a short series' vertebra (``near`` None)."""
    vol, near, column, chosen, level = payload
    progress(0.0, f"Estimating the landmarks for {level}…")
    est, problem, advised, warnings = _estimate(vol, near, column, level, progress)
    return {"chosen": chosen, "estimate": est, "problem": problem, "advised": advised,
            "warning": "; ".join(warnings), "warnings": warnings, "level": level}


#: After the last marker move, the warnings are checked again this many ms later (a drag moves a marker
#: many times a second; each check labels the vertebra, about 1 s of CPU on the abdominal CT)
CHECK_DELAY_MS = 600

#: The title field's placeholder while no level in view is chosen (no level named: none can be saved yet).
_NO_LEVEL_TITLE = "Title (default: the level's, once a level in view is chosen)"


def _vertebrae(n: int) -> str:
    """``'1 vertebra'``, ``'3 vertebrae'``."""
    return f"{n} vertebra" if n == 1 else f"{n} vertebrae"


def _not_in_view_text(level: str, column) -> str:
    """One line: ``level`` is not among the numbered vertebrae of ``column``."""
    named = [v.level for v in column.vertebrae if v.level]
    held = f"{named[0]} to {named[-1]}" if len(named) > 1 else named[0] if named else "none"
    # the Target level box holds the levels the trainer models only: on the angiogram (C7 to T12) "choose one
    # of those levels" sent the instructor looking for C7-T7 there until round 24
    ours = modelled_span(named)
    if all(lv in LEVELS for lv in named):
        choose = "choose one of those levels"
    elif ours:
        choose = f"choose {ours} in Target level (the trainer models {LEVELS[0]} to {LEVELS[-1]})"
    else:
        choose = f"none of them is a level the trainer models ({LEVELS[0]} to {LEVELS[-1]})"
    return f"{level} is not in this series' field of view (numbered by {column.numbered_by}: {held}): {choose}."


def coverage_text(vol, column, centre_mm=None) -> str:
    """One line: the levels ``vol`` covers (numbered ``column``), its slice spacing (mm) and size (columns x rows x
    slices), then import-ct's words on how far it reaches round the target body centre ``centre_mm`` (mm, series
    coordinates; None: no target placed yet) and how many mm more a render with the default C-arm needs
    (:func:`~trainer.core.scenario.ct_import.coverage_note`).  Until round 28 the editor said neither.  How the
    series was read (an oblique series resampled, a slice copy or junk ignored) is not said here but among the
    reader's notes beside the landmarks table (:class:`~trainer.ui.series_notes.SeriesNotesLabel`)."""
    g = vol.grid
    names = vertebra_names(column) if column is not None else []
    named = [n for n in names if not n.startswith("#")]       # as the overview labels them (S1 below L5)
    if column is not None and column.certain and named:
        span = f"{named[0]} to {named[-1]}" if len(named) > 1 else named[0]
        if len(named) < len(names):
            span += f" (and {_vertebrae(len(names) - len(named))} not numbered)"
    elif names:
        span = f"{_vertebrae(len(names))}, not numbered"
    else:
        span = "no column found"
    text = (f"Series: covers {span}, {g.spacing_xyz_mm[2]:.1f} mm slices, "
            f"{g.shape[2]} x {g.shape[1]} x {g.shape[0]} voxels")
    if centre_mm is None:
        return text + "."
    return f"{text}; {coverage_note(g, centre_mm, CArmGeometry())}."


def _landmark_origin(source: dict) -> str:
    """Whose the saved landmarks are, for the scenario's description (a resident reads it on the chart):
    the ones corrected by hand named, the others as estimated.  Until round 23 every GUI import said
    "landmarks checked in the GUI editor", also when none was moved and the file marked all five estimated."""
    edited = [NAMES[k].lower() for k in LANDMARK_KEYS if source.get(k) == "edited"]
    if not edited:
        return "landmarks as estimated (none corrected in the GUI editor)"
    if len(edited) == len(LANDMARK_KEYS):
        return "landmarks all corrected by hand in the GUI editor"
    return f"corrected by hand in the GUI editor: {', '.join(edited)}; the other landmarks as estimated"


def _index_of(column, level: str):
    """Index of ``level`` in a certainly numbered column, else None."""
    if not column.certain:
        return None
    for i, v in enumerate(column.vertebrae):
        if v.level == level:
            return i
    return None


def _show_value(spin: QDoubleSpinBox, value_mm: float | None, blank: bool) -> None:
    """Show ``value_mm`` (mm) in a table cell's spin box, or, ``blank``, "—" with the box locked.

    Parameters
    ----------
    spin : QDoubleSpinBox
        One coordinate's cell of the landmark table.
    value_mm : float or None
        The coordinate (mm); not read when ``blank``.
    blank : bool
        No value to show (no series read, or no level in view): the box shows "—" (its special value
        text, drawn at its minimum) and takes no input.
    """
    spin.setSpecialValueText("—" if blank else "")
    spin.setEnabled(not blank)
    shown = spin.minimum() if blank else value_mm
    if spin.value() != shown:
        spin.setValue(shown)


class CTLandmarkDialog(QDialog):
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

        self.table = QTableWidget(len(LANDMARK_KEYS), 5)
        self.table.setHorizontalHeaderLabels(["Landmark", "x (mm)", "y (mm)", "z (mm)", "Source"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        # the names as wide as they need, the numbers share the rest: the notes and warnings beside the table get
        # the width it does not need (round 33: notes and two warnings at 1400 x 900 left the slices 325 px high)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.spins: dict = {}
        for row, key in enumerate(LANDMARK_KEYS):
            name = QTableWidgetItem(NAMES[key])
            name.setForeground(pg.mkColor(COLOURS[key]))
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(row, 0, name)
            for col, axis in enumerate("xyz", start=1):
                if key in PLANES and axis != "z":
                    item = QTableWidgetItem("—")
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                    self.table.setItem(row, col, item)
                    continue
                spin = QDoubleSpinBox()
                spin.setDecimals(1)
                spin.setSingleStep(0.5)
                spin.setKeyboardTracking(False)
                spin.setRange(-5000.0, 5000.0)
                spin.valueChanged.connect(
                    lambda value, k=key, a="xyz".index(axis): self._spin_changed(k, a, value))  # noqa: B008
                self.table.setCellWidget(row, col, spin)
                self.spins[key, axis] = spin
            src = QTableWidgetItem("")
            src.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            self.table.setItem(row, 4, src)
        # before a series is read there is no value to show: "—", locked (until round 40 each cell read 0.0, which an
        # instructor could take for a measurement)
        for spin in self.spins.values():
            _show_value(spin, None, blank=True)
        self.table.currentCellChanged.connect(lambda row, *_: self.select(LANDMARK_KEYS[row]) if row >= 0 else None)
        self.table.setMaximumHeight(36 + 34 * len(LANDMARK_KEYS))
        self.table.verticalHeader().setDefaultSectionSize(32)

        self.save_button = QPushButton("Save scenario…")
        self.save_button.clicked.connect(self._choose_out)
        self.open_button = QPushButton("Open in trainer")
        self.open_button.clicked.connect(lambda: self.openRequested.emit(self.saved))
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
        messages.addWidget(self.warnings_panel, 1, Qt.AlignmentFlag.AlignTop)
        bottom = QHBoxLayout()
        bottom.addWidget(self.table, 5, Qt.AlignmentFlag.AlignTop)     # level with the first note or warning
        bottom.addLayout(messages, 0)   # its stretch follows its panels (_fit_messages)
        bottom.addLayout(buttons, 2)
        self._bottom, self._messages = bottom, messages
        # always four lines high (the chest CT's load message takes four at 1500 px): a message of another length
        # never moves or resizes the views (pass 180: the three lines held grew for that message and shrank back
        # for the one-line save's); a longer one is cut there with its whole text in the tooltip
        self.status = HeldLinesLabel("Type or paste a DICOM series folder's path in Series (then Return), or "
                                     "click Choose series folder…", lines=4, pad_px=4, grow=False)
        self.status.setObjectName("ctStatus")

        lay = QVBoxLayout(self)
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
        lay.addWidget(self.status)
        self._set_editable(False)
        self.resize(1500, 920)
        if folder is not None:
            self.load(folder)

    # ------------------------------------------------------------------ loading
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
        self._busy = "ct"
        self.runner.submit("ct", _load_job, (str(self._pending), self.level(), series))

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

    def _fit_messages(self) -> None:
        """The notes' and warnings' column takes 5 / 12 of the row while one of them shows, none while both are
        hidden: a hidden layout with a stretch factor still takes its share (round 33's look at 07: the table held
        5 / 12 of the row beside an empty column)."""
        shown = not (self.notes_panel.isHidden() and self.warnings_panel.isHidden())
        self._bottom.setStretchFactor(self._messages, 5 if shown else 0)

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

    def _on_done(self, resp) -> None:
        if resp.channel == "check":         # no bar, no Cancel: the editing goes on meanwhile
            if resp.error is None and (resp.value["landmarks"], resp.value["level"]) == (self.landmarks, self.level()):
                self._show_warnings(resp.value["warnings"])
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
        self._show_warnings(out["warnings"])
        if self._against_numbering():
            self.overview.name_chosen(self.level())
        if out["level"] != self.level():        # the level changed while the series was read
            self._reestimate()

    def _column_text(self, estimated: bool = False) -> str:
        """What the column detection found and what to do about it; ``estimated``: the landmarks are
        shown estimated (a short series' are around its middle: nothing to click first)."""
        col, level = self.column, self.level()
        if col is None or not col.vertebrae:
            return "No column found: the landmarks are estimated around the middle of the series."
        found = _vertebrae(len(col.vertebrae))
        if col.certain:
            if self.overview.chosen is None:
                return _not_in_view_text(level, col)
            if self._against_numbering():
                numbered = col.vertebrae[self.overview.chosen].level
                return (f"{found} found, numbered ({col.note}); the highlighted body, numbered "
                        f"{numbered or 'none'}, is taken as {level} by hand: check the count from a level you trust.")
            return (f"{found} found, numbered ({col.note}); {level} is highlighted, numbered from the "
                    f"{col.numbered_by}: check the numbering. A click picks a vertebra under its number; to name "
                    f"one yourself, tick \"{self.override_box.text()}\".")
        if self.overview.chosen is not None:
            return (f"{found} found, numbering uncertain: #{self.overview.chosen + 1} from the top is taken as "
                    f"{level} by hand (your Target level): check that it is {level} by counting from the lowest "
                    f"ribs (T12) or the sacrum (L5 sits on it), on this series or a longer one of the patient.")
        if estimated:         # a short series: estimated around its middle, no click needed
            return (f"{found} found, not numbered (no ribs or sacrum in view): a short series, taken as "
                    f"centred on {level}.")
        return f"{found} found, numbering uncertain (#1 is the top one): click the {level} body on the column view."

    def _level_not_in_view(self) -> bool:
        """The column is numbered and does not hold the Target level."""
        return self.column is not None and self.column.certain and _index_of(self.column, self.level()) is None

    def _against_numbering(self) -> bool:
        """The highlighted vertebra is numbered, with another level than the chosen one (a click)."""
        col, i = self.column, self.overview.chosen
        return col is not None and col.certain and i is not None and col.vertebrae[i].level != self.level()

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

    def _show_warnings(self, warnings: list) -> None:
        """The warnings panel: ``warnings`` (import-ct's lines for the landmarks shown), or nothing."""
        self.warnings = list(warnings)
        self.warnings_panel.setText("\n\n".join(f"Warning: {w}." for w in self.warnings))
        self.warnings_panel.setVisible(bool(self.warnings))
        self._fit_messages()
        self.warnings_panel.setToolTip("The warnings vptrainer scenarios import-ct prints for these landmarks"
                                       if self.warnings else "")

    def _schedule_check(self) -> None:
        """Check the landmarks again once the instructor pauses (:data:`CHECK_DELAY_MS`); meanwhile the panel
        says the warnings are being checked, so an old line is not read as the moved landmarks'."""
        if self.volume is None or self.landmarks_level is None:
            return
        self.runner.invalidate("check")
        if self.warnings:
            self.warnings_panel.setText("Checking the landmarks as moved…")
        self._check_timer.start()

    def _check_landmarks(self) -> None:
        estimated = tuple(k for k in LANDMARK_KEYS if self.source.get(k) == "estimated")
        if self.volume is None or self._busy is not None or any(s == "unplaced" for s in self.source.values()):
            return
        self.runner.submit("check", _check_job, (self.volume, dict(self.landmarks), self.level(), estimated,
                                                 self.column))

    def _check_next(self) -> str:
        """The sentence after an estimate: where the landmarks are and what to check before saving."""
        # a short series is estimated in its vertebra nearest the middle (pass 110); "around the series'
        # middle" read as a point in soft tissue
        where = "in the vertebra nearest the series' middle" if self.overview.chosen is None else \
            "in the highlighted vertebra"
        return (f"Landmarks estimated for {self.landmarks_level} {where} (the white box on the column view): "
                "check that it is that body, then the markers on the slices (drag one to correct it), then "
                "Save scenario.")

    def vertebra_clicked(self, index: int) -> None:
        """The instructor clicked vertebra ``index`` on the column view.

        On a numbered column the vertebra is picked under its number and the target level follows,
        unless the instructor overrides the numbering for this click (:attr:`override_box` ticked, it
        clears itself, or a level the numbering does not hold just chosen): then it is taken as that
        level, whatever its number.  On
        an uncertain numbering it is taken as the chosen level.  Hand corrections are not lost without
        a question, and a click on the vertebra the landmarks are already for, as the same level, changes
        nothing."""
        if (self.column is None or self.volume is None or self._busy == "ct"
                or not 0 <= index < len(self.column.vertebrae)):
            return
        level, self._by_hand = self._by_hand, None
        if level is None:
            level = self.level()
            if self.column.certain and not self.override_box.isChecked():
                level = self._numbered_level(index)
                if level is None:           # not a target level: the status line says why, nothing changes
                    return
        self.override_box.setChecked(False)     # one click overrides, on purpose; the next follows the numbering
        if index == self._landmarks_index and level == self.landmarks_level == self.level() and self._busy is None:
            self.note(f"The landmarks shown are already those of this vertebra as {level}: nothing changed. "
                      + self._column_text(estimated=True), warning=self._against_numbering())
            return
        edited = [NAMES[k].lower() for k in LANDMARK_KEYS if self.source.get(k) == "edited"]
        if edited:
            self._ask_reestimate(level, edited, then=lambda: self._estimate_clicked(index, level), clicked=index)
            return
        self._estimate_clicked(index, level)

    def _numbered_level(self, index: int) -> str | None:
        """The target level the numbering gives vertebra ``index``; None (the status line says why) for
        the sacrum, an unnumbered vertebra or a level outside :data:`LEVELS`."""
        v, name = self.column.vertebrae[index], self.overview.names[index]
        if v.level in LEVELS:
            return v.level
        if v.level is not None:
            what = f"numbered {v.level}, not a level the trainer takes ({LEVELS[0]} to {LEVELS[-1]})"
        elif name == "S1":
            what = "the sacrum (S1), never a target"
        else:
            what = f"not numbered ({name}: the count does not reach it)"
        self.note(f"That vertebra is {what}: nothing changed. Click a numbered vertebra, or tick "
                  f"\"{self.override_box.text()}\" to take the one you click as {self.level()}.", warning=True)
        return None

    def _estimate_clicked(self, index: int, level: str) -> None:
        """Estimate the landmarks of the clicked vertebra ``index`` as ``level`` (the level box follows)."""
        if level != self.level():
            self._set_level_quietly(level)
        self._unsaved()
        self.choose_vertebra(index)

    def choose_vertebra(self, index: int) -> None:
        """Estimate the landmarks around vertebra ``index`` of the column (off the GUI thread)."""
        if self.column is None or self.volume is None or not 0 <= index < len(self.column.vertebrae):
            return
        self.overview.set_chosen(index)
        v = self.column.vertebrae[index]
        self._submit_estimate(v.body_centre_mm, index)

    def _submit_estimate(self, near, index) -> None:
        """Estimate for :meth:`level` around ``near`` (None: the series' middle) off the GUI thread,
        with the busy bar and Cancel."""
        self._close_question()
        self._set_editable(False)
        self.progress.setRange(0, 0)
        self.progress_text.setText(f"Estimating the landmarks for {self.level()}…")
        self._show_progress(True)
        self.runner.invalidate("est")           # an estimate for another level stops at its next step
        self.runner.invalidate("check")
        self._check_timer.stop()
        self._busy = "est"
        self.runner.submit("est", _estimate_job, (self.volume, near, self.column, index, self.level()))

    def _reestimate(self) -> None:
        """The landmarks of :meth:`level`: its vertebra when the column is numbered, else the vertebra
        picked on the overview, else (a short series) around the series' middle, as a load does."""
        level, col = self.level(), self.column
        index = self.overview.chosen
        if col is not None and col.certain:
            index = _index_of(col, level)
            if index is None:           # not in view: the old level's landmarks must not pass for it
                self._not_in_view(level)
                return
        if index is not None:
            self.choose_vertebra(index)
        elif col is not None and not col.short:
            self.note(self._column_text())      # several vertebrae, none picked: the click comes first
        else:
            self._submit_estimate(None, None)

    def _not_in_view(self, level: str) -> None:
        """``level`` is not numbered in this series: one line says so; the landmarks shown (estimated or
        corrected by hand) are kept with the level they are for, and nothing is written.  With nothing
        to keep (every marker unplaced), the markers wait for ``level`` as before."""
        if self._busy == "est":                 # an estimate for the level before: it is not wanted now
            self.runner.invalidate("est")
            self._busy = None
            self._load_ended()
            self.overview.set_chosen(self._landmarks_index)
        kept = self.landmarks_level
        if kept is None or kept == level or set(self.source.values()) <= {"unplaced"}:
            self.overview.set_chosen(None)
            self._landmarks_index = None
            self.landmarks_level = level
            self._title_hint()
            self._show_estimate(None, "")
            return
        self._set_level_quietly(kept)
        self._by_hand = level
        self.note(f"{_not_in_view_text(level, self.column)} Nothing changed: the landmarks are still those for {kept}. "
                  f"If the numbering is wrong, click the body that is {level} on the column view.", warning=True)

    # ------------------------------------------------------------------ model edits
    def _unsaved(self) -> None:
        """What is shown is no longer the saved file: save again before opening it in the trainer."""
        self.saved = self._saved_before_level = None
        self.open_button.setEnabled(False)

    def _set_editable(self, on: bool) -> None:
        self._editable = on
        self.table.setEnabled(on)
        self._enable_save()
        self.open_button.setEnabled(on and self.saved is not None)

    def _nothing_in_view(self) -> bool:
        """No marker placed and the Target level not in the numbered series: nothing a save could write."""
        return not any(self.source.get(k) != "unplaced" for k in LANDMARK_KEYS) and self._level_not_in_view()

    def _enable_save(self) -> None:
        """Save scenario… only while there is something to save: until round 24 it stayed enabled with no level
        in view, and a save was then refused ("Place these landmarks on the slices first")."""
        blank = self._nothing_in_view()
        self.save_button.setEnabled(self._editable and not blank)
        self.save_button.setToolTip("Choose a level in view in Target level first" if blank else "")

    def cursor_mm(self) -> np.ndarray:
        """The slice positions (x, y, z mm): the selected landmark (an endplate at the body centre)."""
        if self.selected in PLANES:
            x, y, _ = self.landmarks["body_centre_mm"]
            return np.array([x, y, self.landmarks[self.selected]])
        return np.asarray(self.landmarks[self.selected], float)

    def select(self, key: str, force: bool = False, fit: bool = False) -> None:
        """Make ``key`` the selected landmark (table row, slices through it)."""
        if key == self.selected and not force:
            return
        self.selected = key
        row = LANDMARK_KEYS.index(key)
        if self.table.currentRow() != row:
            self.table.selectRow(row)
        if self.volume is not None:
            self._refresh(fit=fit)

    def set_landmark(self, key: str, value, edited: bool = True) -> None:
        """Set one landmark ((x, y, z) mm, or z mm for an endplate), rounded to 0.1 mm."""
        value = round(float(value), 1) if key in PLANES else tuple(round(float(a), 1) for a in value)
        if self.landmarks.get(key) == value:
            return
        self.landmarks[key] = value
        if edited:
            self.source[key] = "edited"
        self._unsaved()
        self._refresh()
        self._schedule_check()

    def _marker_moved(self, key: str, value) -> None:
        """A marker was dragged (its new value comes from the views)."""
        if self.volume is None:
            return
        self.select(key)
        self.set_landmark(key, value)

    def _spin_changed(self, key: str, axis: int, value: float) -> None:
        if self._syncing or self.volume is None:
            return
        new = value
        if key not in PLANES:
            new = list(self.landmarks[key])
            new[axis] = value
        self.select(key)
        self.set_landmark(key, new)

    # ------------------------------------------------------------------ drawing
    def _refresh(self, fit: bool = False) -> None:
        """Slices through the cursor with the markers, then the table's values and sources."""
        placed = any(self.source.get(k) != "unplaced" for k in LANDMARK_KEYS)
        blank = self._nothing_in_view()
        # a level the numbered series does not hold: no marker drawn anywhere (until round 23 five unplaced
        # markers sat on the series' middle, the heart on the chest CT, labelled "body")
        self.views.draw(self.volume, self.landmarks, self.selected, self.cursor_mm(), fit=fit, markers=not blank)
        self.overview.show_landmarks(self.landmarks["body_centre_mm"] if placed else None,
                                     self.landmarks["superior_endplate_z_mm"], self.landmarks["inferior_endplate_z_mm"])
        self._title_hint()
        self._enable_save()
        self.coverage.setText(coverage_text(self.volume, self.column, self.landmarks["body_centre_mm"]
                                            if placed and not blank else None))
        # with no marker drawn the table's numbers were the starting points' (the series' middle), read as a
        # position next to "unplaced" (round 24): blank ("—", the spin's minimum) and locked until a level is in view
        self._syncing = True
        try:
            for row, key in enumerate(LANDMARK_KEYS):
                vals = (None, None, self.landmarks[key]) if key in PLANES else self.landmarks[key]
                for axis, val in zip("xyz", vals):
                    spin = self.spins.get((key, axis))
                    if spin is None:
                        continue
                    _show_value(spin, val, blank)
                self.table.item(row, 4).setText(self.source.get(key, ""))
        finally:
            self._syncing = False

    # ------------------------------------------------------------------ saving
    def _choose_out(self) -> QMessageBox | None:
        """Save…: choose a file; an existing one is replaced only after "Replace?" (our own question)."""
        start = (self.folder.parent if self.folder else Path.home()) / f"ct-{self.level().lower()}.toml"
        out = ask_save_path(self, "Save the CT scenario", start, "Scenario (*.toml)")
        if out is None:
            return None
        if out.suffix != ".toml":
            out = out.with_suffix(".toml")
        return save_with_confirmation(self, out, lambda p, force: self.save_scenario(p, force=force),
                                      what="the CT scenario", inputs=[self.folder] if self.folder else [],
                                      suffixes=(".toml",), on_error=self.error, dialogs=self.dialogs)

    def _level_changed(self, level: str) -> None:
        """A new target level: its landmarks are estimated again (off the GUI thread).

        When the instructor corrected a landmark by hand, a question first: re-estimate (the
        corrections are lost) or keep the landmarks for the new level.  While a series is read
        nothing starts: the load estimates the level chosen when it lands."""
        self._by_hand = None
        if (self.volume is not None and self._busy != "ct" and self.column is not None and self.column.certain
                and _index_of(self.column, level) is None):
            self._close_question()
            self._not_in_view(level)        # before any question: no landmarks are lost or renamed, no save undone
            return
        self._title_hint()
        saved = self.saved
        self._unsaved()                    # the saved file names the old level: save again first
        self._saved_before_level = saved   # valid again if "Keep my landmarks" puts the level back
        self._close_question()
        if self.volume is None or self._busy == "ct":
            return
        if self._busy == "est":            # an estimate in flight, nothing edited since: the new level's instead
            self._reestimate()
            return
        if level == self.landmarks_level:
            return
        edited = [NAMES[k].lower() for k in LANDMARK_KEYS if self.source.get(k) == "edited"]
        if edited:
            self._ask_reestimate(level, edited)
        else:
            self._reestimate()

    def _ask_reestimate(self, level: str, edited: list, then=None, clicked: int | None = None) -> QMessageBox:
        """Ask (non-modal) whether to re-estimate for ``level``, losing the hand corrections ``edited``;
        ``then``: what re-estimating runs (default: the level's own vertebra, :meth:`_reestimate`);
        ``clicked``: the vertebra clicked on the column view (its index), when a click asks: keeping the
        landmarks undoes the click (they stay those of their level and vertebra)."""
        if clicked is None and self._numbered_elsewhere(level):
            # the landmarks sit on another numbered vertebra: kept, they stay its level (never relabelled)
            where, keep_as = "", (f"or keep your {self.landmarks_level} landmarks (the Target level goes back to "
                                  f"{self.landmarks_level}: they sit on that vertebra, not on {level})?")
        elif clicked is None:
            where, keep_as = "", f"or keep them as the {level} landmarks?"
        else:
            name = self.overview.names[clicked]
            where = (f" at the vertebra you clicked ({name})" if name == level else
                     f" at the vertebra you clicked, numbered {name}, taken as {level} by hand,")
            keep_as = f"or keep your {self.landmarks_level} landmarks (the click changes nothing)?"
        if clicked is not None:
            keep = self._keep_after_click
        elif self._numbered_elsewhere(level):
            keep = self._keep_level
        else:
            keep = lambda: self._keep_for(level)  # noqa: E731
        return self._ask("reestimateConfirm", "Re-estimate the landmarks?",
                         f"The landmarks were estimated for {self.landmarks_level} and you corrected these by "
                         f"hand: {', '.join(edited)}.\nRe-estimate them for {level}{where} (your corrections "
                         f"are lost), {keep_as}",
                         (f"Re-estimate for {level}", QMessageBox.ButtonRole.AcceptRole,
                          self._reestimate if then is None else then),
                         ("Keep my landmarks", keep))

    def _keep_after_click(self) -> None:
        """A click on the column view answered "keep": the landmarks, their level and vertebra stay."""
        self._question = None
        self.overview.set_chosen(self._landmarks_index)
        if self._against_numbering():
            self.overview.name_chosen(self.level())
        self.note(f"Kept your landmarks for {self.landmarks_level} (corrected by hand); the clicked vertebra was "
                  "not estimated.")

    def _numbered_elsewhere(self, level: str) -> bool:
        """The column is numbered and holds ``level`` at another vertebra than the landmarks': keeping
        the landmarks as ``level`` would put that level's name on the wrong vertebra."""
        col, i = self.column, self._landmarks_index
        return (col is not None and col.certain and i is not None and self.landmarks_level is not None
                and level != self.landmarks_level and _index_of(col, level) not in (None, i))

    def _keep_level(self) -> None:
        """A level change answered "keep" on a numbered column: the corrected landmarks stay with their
        own level and vertebra; the Target level goes back to it.  Until round 23 they were relabelled
        as the new level (L2's landmarks saved as level = "L3", a wrong-level scenario)."""
        self._question = None
        new, kept = self.level(), self.landmarks_level
        self._set_level_quietly(kept)
        self.overview.set_chosen(self._landmarks_index)
        if self._saved_before_level is not None:    # nothing edited since the save: that file is what is shown
            self.saved, self._saved_before_level = self._saved_before_level, None
            self.open_button.setEnabled(True)
        self.note(f"Kept your landmarks for {kept} (corrected by hand): the Target level is {kept} again, the "
                  f"vertebra they sit on. For {new}, choose it and Re-estimate, or tick "
                  f"\"{self.override_box.text()}\" and click the body that is {new} if the numbering is wrong.",
                  warning=True)

    def _keep_for(self, level: str) -> None:
        """The instructor keeps the shown (corrected) landmarks as ``level``'s (an uncertain numbering or
        no column: the level is the instructor's either way, and the saved description says so)."""
        self._question = None
        was, self.landmarks_level = self.landmarks_level, level
        self._title_hint()
        self._schedule_check()
        self.note(f"Kept your landmarks for {level} (estimated for {was}, corrected by hand): check them on "
                  "the slices.", warning=True)

    def _close_question(self) -> None:
        if self._question is not None:
            box, self._question = self._question, None
            box.close()

    def _set_level_quietly(self, level: str) -> None:
        self.level_box.blockSignals(True)
        self.level_box.setCurrentText(level)
        self.level_box.blockSignals(False)
        self._title_hint()

    def level(self) -> str:
        return self.level_box.currentText()

    def _level_origin(self) -> str:
        """Whose number the target level is, for the status line and the saved description: the
        column's (``'T12 as numbered from the ribs'``) or the instructor's (``'T11 given by hand (...)'``)."""
        col, i, level = self.column, self._landmarks_index, self.level()
        if col is not None and col.certain and i is not None:
            numbered = col.vertebrae[i].level
            if numbered == level:
                return f"{level} as numbered from the {col.numbered_by}"
            return (f"{level} given by hand (the column, numbered from the {col.numbered_by}, "
                    f"{f'says {numbered}' if numbered else 'leaves it unnumbered'})")
        if i is not None:
            return f"{level} given by hand (numbering uncertain: vertebra #{i + 1} from the top)"
        if col is not None and col.vertebrae:
            return f"{level} given by hand (a short series taken as centred on it)"
        return f"{level} given by hand (no column found)"

    def _title(self) -> str:
        """The saved title: the instructor's, or the level's default; when the level is given by hand
        against the column's numbering it says so, so that the picker, ``scenarios show``, the window
        and the debrief show it, not only the description (a wrong level is a never-event).  On a
        series with no numbering the level is the instructor's anyway: the description says so."""
        title = self.title_edit.text().strip() or default_title(self.level())
        col, i = self.column, self._landmarks_index
        # only the landmarks' own level can be against their vertebra's number: a level just chosen, its estimate in
        # flight or its question open, is not yet on any vertebra (until round 35 the placeholder read "L3 patient
        # CT (level given by hand)" meanwhile, L3 held against L2's vertebra)
        against = (col is not None and col.certain and i is not None and self.landmarks_level == self.level()
                   and col.vertebrae[i].level != self.level())
        if against and "by hand" not in title:
            title += " (level given by hand)"
        return title

    def _title_hint(self) -> None:
        """The title field's placeholder: the title a save without one writes; with no level in view none
        is written yet, and the placeholder names no level (it read "T8 patient CT" for a T8 not in the series)."""
        self.title_edit.setPlaceholderText(_NO_LEVEL_TITLE if self._nothing_in_view() else self._title())

    def _title_names_another_level(self) -> str | None:
        """The levels the instructor's own Title names when none of them is the target level ("L3, L4"), else None.

        Round 36: "Abdomen L3 teaching case" typed at L3, then Target level L4 chosen, was saved without a word:
        the picker and the trainee's chart then head an L4 case "Abdomen L3 ..." (a wrong level is a never-event).
        """
        named = list(dict.fromkeys(m.upper() for m in re.findall(r"\b[CTLS]\d{1,2}\b", self.title_edit.text(),
                                                                 flags=re.IGNORECASE)))
        return ", ".join(named) if named and self.level() not in named else None

    def save_scenario(self, out, force: bool = False):
        """Write the scenario with the core's writer and validate it; the Scenario, or None (error shown).

        ``force``: replace an existing file (the user confirmed); the CT folder is never written into.
        """
        out = Path(out)
        unplaced = [NAMES[k] for k, s in self.source.items() if s == "unplaced"]
        if self.volume is None or unplaced:
            self.error("Cannot save yet", "Load a series first." if self.volume is None else
                       "Place these landmarks on the slices first: " + ", ".join(unplaced))
            return None
        if out.suffix != ".toml":
            out = out.with_suffix(".toml")
        estimated = tuple(k for k in LANDMARK_KEYS if self.source.get(k) == "estimated")
        origin = self._level_origin()
        desc = (f"Imported from {self.folder.name} ({self.volume.meta.get('series_description', '')}); "
                f"{_landmark_origin(self.source)}; level {origin}")
        try:
            rel = relative_inside(self.folder, out, advice=_save_inside_advice(self.folder))
            chosen = None
            if self.series is not None:
                refuse_unnamed_series(self.volume.meta, self.folder)     # as import-ct (hostile35)
                chosen = (self.volume.meta["series_choice"], self.volume.meta["series_uid"],
                          self.volume.meta.get("series_number"))
            text = scenario_toml(rel, self.level(), self.landmarks, title=self._title(),
                                 description=desc, estimated=estimated, written_by="editor", series=chosen)
            out = check_output(out, force=force, inputs=[self.folder])
            scenario = parse_scenario(text, out)          # validated before anything is replaced
            atomic_write_text(out, text, force=force)
        except (VPTrainerError, OSError) as exc:
            self.error("Cannot save the scenario", str(exc))
            return None
        self.saved = scenario
        self.open_button.setEnabled(True)
        saved = (f"Saved {shown_path(out)}: valid. Level {origin}; CT folder {rel}"
                 + (f"; still estimated: {', '.join(SHORT[k] for k in estimated)}." if estimated else "."))
        other = self._title_names_another_level()
        if other is None:
            self.note(saved)
        else:
            self.note(f"{saved} Check the Title: it names {other}, the target level is {self.level()} (the picker and "
                      "the trainee's chart show the Title); correct it and save again if that is not meant.",
                      warning=True)
        self.scenarioSaved.emit(scenario)
        return scenario

    # ------------------------------------------------------------------ messages
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

    def _stop_jobs(self) -> None:
        """No job of this editor runs on once it closes."""
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
