"""The instructor's cohort view: one row per trainee, filters, CSV export, attempts and debriefs.

Rows come from :func:`trainer.core.records.progress.cohort_rows` over the attempts that
match the scenario and date filters.  Selecting a trainee lists their attempts below;
double-clicking an attempt opens its stored debrief (the score report recorded when the
session was assessed) in a window.  Cases are named by title, scenario file folder and CT series
(:mod:`trainer.core.records.case_label`), so that two copies of "ct-l2" can be told apart and chosen
one at a time.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trainer.core.records.case_label import SessionCase, session_case
from trainer.core.records.cusum import PRESETS
from trainer.core.records.progress import cohort_csv, cohort_rows, scenario_family, unfinished_words
from trainer.core.records.store import open_store
from trainer.core.safe_write import atomic_write_text, check_output
from trainer.core.session.notes import REPORT_KEY, note_lines, notes_from_report
from trainer.core.shown_path import shown_path
from trainer.ui.assessment_notes import WARN_COLOUR
from trainer.ui.debrief import DebriefWidget
from trainer.ui.save_dialogs import ask_save_path, save_with_confirmation
from trainer.ui.show_active import show_active

__all__ = ["CohortWindow"]

COLUMNS = (("trainee", "Trainee"), ("attempts", "Attempts"), ("unfinished", "Unfinished"), ("pass_rate", "Pass rate"),
           ("last_score", "Last score"),
           ("score_trend_per_attempt", "Score trend /attempt"), ("cusum_state", "CUSUM"),
           ("lc_cusum_state", "LC-CUSUM"), ("competent_at", "LC-CUSUM competent at"), ("last_attempt", "Last attempt"))
TREND_METRICS = ("dap", "fluoro_time", "shots", "tip_depth", "cement_volume")
#: the Notes cell of an attempt recorded before the store kept the notes (round 39)
NOTES_NOT_KEPT = "—"


def notes_cell(report: dict) -> tuple[str, str]:
    """The attempts table's Notes cell of a stored report: ``(text, tooltip)``.  "1 warning, 1 note, unfinished" (the
    tooltip: the lines as ``assess`` printed them), "" when there were none, :data:`NOTES_NOT_KEPT` for a report
    recorded before round 39 (none kept: re-assessing the session with ``--store`` adds them)."""
    if REPORT_KEY not in (report or {}):
        return NOTES_NOT_KEPT, ("recorded before the trainee store kept assess's notes (round 39); "
                                "'vptrainer assess SESSION --store STORE' records them")
    notes = notes_from_report(report)
    counts: dict[str, int] = {}
    for label, _text in notes:
        counts[label] = counts.get(label, 0) + 1
    text = ", ".join("unfinished" if label == "UNFINISHED" else f"{n} {label.lower()}{'s' if n > 1 else ''}"
                     for label, n in counts.items())
    return text, "\n".join(note_lines(notes))


def trend_tooltip(row: dict) -> str:
    """What a cohort row's trends are over: its finished attempts, the unfinished ones named (round 40: their
    progress-only values were trended with the rest)."""
    done = row["attempts"] - row["unfinished"]
    left = unfinished_words(row["unfinished_attempts"])
    return (f"trends per attempt over the {done} finished attempt{'' if done == 1 else 's'}"
            + (f"; unfinished, left out: {left}" if left else ""))


SELECT_HINT = "Select a trainee to list the attempts; double-click an attempt to open its debrief."


def _fmt(key: str, v) -> str:
    if v is None:
        return "-"
    if key == "pass_rate":
        return f"{100 * v:.0f} %"
    if isinstance(v, float):
        return f"{v:+.3g}" if "trend" in key else f"{v:.1f}"
    if key == "last_attempt":
        return str(v)[:16].replace("T", " ")
    return str(v)


class CohortWindow(QWidget):
    """Cohort table over the trainee store at ``store_path``."""

    def __init__(self, store_path, parent: QWidget | None = None):
        super().__init__(parent)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)     # as My progress and the dialogs
        self.setWindowTitle("Cohort — vptrainer")
        self.store_path = store_path
        with open_store(store_path) as st:
            self._all = st.attempts()
        self._cases: dict[str, SessionCase] = {}      # session path -> its case (header read once)
        self.scenario = QComboBox()
        self._add_scenario_items()
        self.use_dates = QCheckBox("from")
        dates = sorted(a.started_at[:10] for a in self._all if a.started_at)
        self.since = QDateEdit(QDate.fromString(dates[0], "yyyy-MM-dd") if dates else QDate.currentDate())
        self.until = QDateEdit(QDate.fromString(dates[-1], "yyyy-MM-dd") if dates else QDate.currentDate())
        for d in (self.since, self.until):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.export = QPushButton("Export CSV…")
        self.export.clicked.connect(self._export_dialog)
        bar = QHBoxLayout()
        for w in (QLabel("Scenario"), self.scenario, self.use_dates, self.since, QLabel("to"), self.until):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.export)
        self.table = QTableWidget(0, len(COLUMNS) + len(TREND_METRICS))
        self.table.setHorizontalHeaderLabels([c[1] for c in COLUMNS] + [f"{m} trend" for m in TREND_METRICS])
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._show_attempts)
        self.attempts_table = QTableWidget(0, 7)
        self.attempts_table.setHorizontalHeaderLabels(["Started", "Scenario", "Result", "Score", "Seal", "Session",
                                                       "Notes"])
        self.attempts_table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.attempts_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.attempts_table.cellDoubleClicked.connect(lambda r, _c: self.open_debrief(r))
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.attempts_table)
        # named inside the window, as My progress: with no window manager there is no title bar (round 45)
        self.heading = QLabel("<b>Cohort</b> — every trainee's attempts from the records")
        self.heading.setObjectName("windowHeading")
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addLayout(bar)
        lay.addWidget(split, 1)
        self.hint = QLabel(SELECT_HINT)
        lay.addWidget(self.hint)
        self.scenario.currentIndexChanged.connect(lambda _i: self.refresh())
        self.use_dates.toggled.connect(lambda _b: self.refresh())
        self.since.dateChanged.connect(lambda _d: self.refresh())
        self.until.dateChanged.connect(lambda _d: self.refresh())
        self.rows: list[dict] = []
        self.shown_attempts: list = []
        self.debriefs: list = []
        self.dialogs: list = []           # open message boxes (non-modal)
        self.refresh()
        self.resize(1100, 640)

    def case_label(self, a) -> str:
        """The case of attempt ``a`` in one line: title (scenario id in its folder, series short id)."""
        case = self._cases.get(a.session_path)
        if case is None:
            case = self._cases[a.session_path] = session_case(a.session_path, a.scenario_id)
        return case.label(shown_path)

    def _add_scenario_items(self) -> None:
        """All, the families, each scenario id with its case's title; an id shared by several cases
        (copies in other folders, other patients' series) is followed by one item per case."""
        self.scenario.addItem("all scenarios", "")
        for f in sorted({scenario_family(a.scenario_id) for a in self._all} - {""}):
            self.scenario.addItem(f"{f.upper()} (family)", f"{f}-*")
        for sid in sorted({a.scenario_id for a in self._all}):
            labels = sorted({self.case_label(a) for a in self._all if a.scenario_id == sid})
            if len(labels) == 1:
                self.scenario.addItem(labels[0], sid)
                continue
            self.scenario.addItem(f"{sid} (all {len(labels)} cases)", sid)
            for label in labels:
                self.scenario.addItem(f"    {label}", ("case", sid, label))

    def filtered(self):
        data = self.scenario.currentData()
        sid, label = (data[1], data[2]) if isinstance(data, tuple) else (data or None, None)
        with open_store(self.store_path) as st:
            kw = {}
            if self.use_dates.isChecked():
                kw = {"since": self.since.date().toString("yyyy-MM-dd"),
                      "until": self.until.date().toString("yyyy-MM-dd")}
            found = st.attempts(scenario=sid, with_report=True, **kw)
        return found if label is None else [a for a in found if self.case_label(a) == label]

    def refresh(self) -> None:
        self._attempts = self.filtered()
        self.rows = cohort_rows(self._attempts, PRESETS["10/20 %"], case_label=self.case_label)
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for c, (key, _title) in enumerate(COLUMNS):
                item = QTableWidgetItem(_fmt(key, row[key]))
                if key in ("cusum_state", "lc_cusum_state"):
                    color = {"competent": QColor(90, 200, 110), "relapsed": QColor(235, 80, 80),
                             "unacceptable": QColor(235, 80, 80)}.get(row[key])
                    if color is not None:
                        item.setForeground(color)
                self.table.setItem(r, c, item)
            over = trend_tooltip(row)
            for key in ("score_trend_per_attempt", "unfinished"):
                self.table.item(r, [k for k, _t in COLUMNS].index(key)).setToolTip(over)
            for j, m in enumerate(TREND_METRICS):
                item = QTableWidgetItem(_fmt("trend", row["metric_trends"].get(m)))
                item.setToolTip(over)
                self.table.setItem(r, len(COLUMNS) + j, item)
        self.table.resizeColumnsToContents()
        self.table.clearSelection()
        self.attempts_table.setRowCount(0)
        self.hint.setText(SELECT_HINT)

    def _show_attempts(self) -> None:
        sel = self.table.selectionModel().selectedRows()
        if not sel:
            self.hint.setText(SELECT_HINT)
            return
        name = self.rows[sel[0].row()]["trainee"]
        self.shown_attempts = [a for a in self._attempts if a.trainee == name]
        self.attempts_table.setRowCount(len(self.shown_attempts))
        for r, a in enumerate(self.shown_attempts):
            for c, text in enumerate((a.started_at[:16].replace("T", " "), self.case_label(a),
                                      a.verdict,
                                      f"{a.score:.1f}", a.seal_status,
                                      Path(a.session_path).name)):
                item = QTableWidgetItem(text)
                if c == 5:
                    item.setToolTip(shown_path(a.session_path))
                self.attempts_table.setItem(r, c, item)
            # what assess said about the session file (its debrief shows the lines at its top)
            text, tip = notes_cell(a.report)
            item = QTableWidgetItem(text)
            item.setToolTip(tip)
            if "warning" in text or "unfinished" in text:
                item.setForeground(QColor(WARN_COLOUR))
            self.attempts_table.setItem(r, 6, item)
        self.attempts_table.resizeColumnsToContents()
        n = len(self.shown_attempts)
        self.hint.setText(f"{name}: {n} attempt{'s' if n != 1 else ''} below; double-click one to open its debrief.")

    def select_trainee(self, name: str) -> None:
        for r, row in enumerate(self.rows):
            if row["trainee"] == name:
                self.table.selectRow(r)
                return

    def open_debrief(self, row: int):
        """Open the stored debrief of the attempt in row ``row`` of the attempts table."""
        a = self.shown_attempts[row]
        w = DebriefWidget()
        w.setWindowTitle(f"Debrief — {a.trainee}, {self.case_label(a)}, {a.started_at[:16]}")
        w.show_report(a.report)
        w.as_stored(a.session_path)
        # as wide as the trainer's own debrief was with its buttons: at 900 px the Target and Source columns were
        # 80 px wide and each row 150-300 px high
        w.resize(1300, 760)
        show_active(w)
        self.debriefs.append(w)
        return w

    def export_csv(self, path, force: bool = False) -> Path:
        """Write the shown table as CSV (never over the trainee store it was read from)."""
        dest = check_output(path, option="CSV file", force=force, inputs=[self.store_path])
        return atomic_write_text(dest, cohort_csv(self.rows), force=force, option="CSV file")

    def _export_dialog(self) -> QMessageBox | None:
        """Export CSV…: choose a file; an existing one is replaced only after "Replace?" (our own)."""
        path = ask_save_path(self, "Export the cohort table", "cohort.csv", "CSV (*.csv)")
        if path is None:
            return None
        return save_with_confirmation(self, path, lambda p, force: self.export_csv(p, force=force),
                                      what="the cohort table", inputs=[self.store_path],
                                      on_error=self._export_error, dialogs=self.dialogs)

    def _export_error(self, title: str, text: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("exportError")
        self.dialogs.append(box)
        box.open()
        return box
