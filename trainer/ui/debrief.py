"""The debrief: outcome, score, assessment notes, metric table with targets and sources, and the reveal view.

Everything shown comes from the core's score report (``ScoreReport.to_json()``, the same
JSON ``vptrainer assess --json`` prints, with the session file's ``assessment_notes``) and from
:mod:`trainer.service.reveal` cuts.
"""

from __future__ import annotations

import html
import shlex

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trainer.core.scoring.metric import NOT_TREATED_PREFIX, with_unit
from trainer.core.scoring.report import critical_error_line, tip_words
from trainer.core.session.notes import notes_from_report
from trainer.core.shown_path import shown_path
from trainer.ui.assessment_notes import AssessmentNotes

__all__ = ["DebriefWidget", "format_value"]

STATUS_COLOURS = {"pass": "#60d060", "warn": "#f0b030", "fail": "#ff5050"}


def format_value(value, unit: str = "") -> str:
    """A metric value as text (numbers to 3 significant digits, lists joined)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:.3g}"
    elif isinstance(value, (list, tuple)):
        text = ", ".join(format_value(v) for v in value) or "none"
    elif isinstance(value, dict):
        text = ", ".join(f"{k}: {format_value(v)}" for k, v in value.items())
    else:
        text = str(value)
    return with_unit(text, unit)


class _RevealView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)         # a long title (the posterior cement's) wraps, not squeezes the other cut
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("#000")
        self.vb = self.graphics.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.vb.setMouseEnabled(False, False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.vb.addItem(self.image)
        self.path = pg.PlotDataItem(pen=pg.mkPen("#ff40ff", width=2))
        self.tip = pg.ScatterPlotItem(size=10, symbol="o", pen=pg.mkPen("#ff40ff"), brush=pg.mkBrush("#ff40ff"))
        self.vb.addItem(self.path)
        self.vb.addItem(self.tip)
        self.edges = {k: pg.TextItem("", color="#f0d36a", anchor=a) for k, a in
                      (("top", (0.5, 0)), ("bottom", (0.5, 1)), ("left", (0, 0.5)), ("right", (1, 0.5)))}
        for t in self.edges.values():
            self.vb.addItem(t)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(self.graphics, 1)

    def show_cut(self, cut) -> None:
        self.title.setText(f"<b>{html.escape(cut.title)}</b>")
        self.image.setImage(cut.rgb, autoLevels=False, levels=(0, 255))
        h, w = cut.rgb.shape[:2]
        self.vb.setRange(xRange=(0, w), yRange=(0, h), padding=0)
        if len(cut.path_px):
            xy = cut.path_px + 0.5
            self.path.setData(xy[:, 0], xy[:, 1])
            self.tip.setData([xy[-1, 0]], [xy[-1, 1]])
        else:
            self.path.setData([], [])
            self.tip.setData([], [])
        pos = {"top": (w / 2, 2), "bottom": (w / 2, h - 2), "left": (2, h / 2), "right": (w - 2, h / 2)}
        for k, t in self.edges.items():
            t.setText(cut.labels.get(k, ""))
            t.setPos(*pos[k])


class DebriefWidget(QWidget):
    """Signals: ``newSessionRequested()``, ``pdfRequested()``, ``imagesRequested()`` (back to the monitors)."""

    newSessionRequested = Signal()
    pdfRequested = Signal()
    imagesRequested = Signal()
    reviewRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.report_json: dict = {}
        self.outcome = QLabel("")
        self.outcome.setObjectName("outcomeLabel")
        self.score_label = QLabel("")
        self.score_label.setObjectName("scoreLabel")
        self.score_label.setStyleSheet("font-size: 22pt; font-weight: bold;")
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Metric", "Value", "Status", "Target", "Source"])
        self.table.verticalHeader().setVisible(False)
        # rows follow their wrapped text whenever the columns change width: sized once while the debrief was
        # filled hidden (narrow columns), each row kept a height of 150-560 px on a 1600-px window
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        hh = self.table.horizontalHeader()
        for col, mode in enumerate((QHeaderView.ResizeMode.ResizeToContents,
                                    QHeaderView.ResizeMode.ResizeToContents,
                                    QHeaderView.ResizeMode.ResizeToContents,
                                    QHeaderView.ResizeMode.Stretch, QHeaderView.ResizeMode.Stretch)):
            hh.setSectionResizeMode(col, mode)
        self.axial = _RevealView()
        self.sagittal = _RevealView()
        self.legend = QLabel("<span style='color:#fadc28'>■</span> pedicle walls &nbsp; "
                             "<span style='color:#5ae6ff'>■</span> cement in bone &nbsp; "
                             "<span style='color:#ff3232'>■</span> leak &nbsp; "
                             "<span style='color:#ff40ff'>━</span> trocar path &nbsp; "
                             "<span style='color:#ff9628'>┅ ○</span> posterior quarter's stop line and the most "
                             "posterior cement (drawn when the cement reached it) &nbsp; "
                             "<span style='color:#ff3c3c'>○</span> worst wall breach")
        self.pdf_button = QPushButton("Save PDF report…")
        self.pdf_button.clicked.connect(self.pdfRequested)
        self.new_button = QPushButton("New session…")
        self.new_button.setToolTip("Choose a case and start a new session  [Session > New session…]")
        self.new_button.clicked.connect(self.newSessionRequested)
        self.pdf_button.setToolTip("Save this debrief (shots, metrics, timeline) as a PDF")
        self.images_button = QPushButton("◀ Monitors and final images")
        self.images_button.setObjectName("imagesButton")
        self.images_button.setToolTip("Back to the monitors with the last images of this attempt (read-only); "
                                      "'Show the debrief' there brings you back  [Ctrl+D]")
        self.images_button.clicked.connect(self.imagesRequested)
        self.review_button = QPushButton("Review: 3-D and timeline…")
        self.review_button.setObjectName("reviewButton")
        self.review_button.setToolTip("Replay the attempt: click any moment of the timeline to see its images and "
                                      "the vertebra in 3-D with the trocar path, cement and leaks")
        self.review_button.clicked.connect(self.reviewRequested)

        head = QHBoxLayout()
        head.addWidget(self.images_button)
        head.addWidget(self.outcome)
        head.addWidget(self.score_label)
        head.addStretch(1)
        head.addWidget(self.review_button)
        head.addWidget(self.pdf_button)
        head.addWidget(self.new_button)
        # a debrief opened from the records (the cohort view) is the stored score report only: no images, no session
        # to review, print or leave (as_stored)
        self.stored_note = QLabel("")
        self.stored_note.setObjectName("storedNote")
        self.stored_note.setWordWrap(True)
        self.stored_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stored_note.setVisible(False)
        #: what ``vptrainer assess`` says about the session file (its report's ``assessment_notes``), at the top as
        #: in the HTML report; hidden when there is nothing to say
        self.notes = AssessmentNotes()
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(head)
        ll.addWidget(self.notes)
        ll.addWidget(self.stored_note)
        ll.addWidget(self.summary)
        ll.addWidget(self.table, 1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        cuts = QHBoxLayout()
        cuts.addWidget(self.axial)
        cuts.addWidget(self.sagittal)
        rl.addWidget(self.legend)
        rl.addLayout(cuts, 1)
        self._cuts_pane = right
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([560, 420])
        lay = QVBoxLayout(self)
        lay.addWidget(split)

    def as_stored(self, session_path: str) -> None:
        """Show this debrief as the score report stored for ``session_path`` (the cohort view): the buttons that
        act on a session open in the trainer (monitors, review, PDF, new session) and the empty image panes are
        hidden, and a line says where the images, the review and a PDF come from.  Until round 37 the four buttons
        were shown there and did nothing, under two black panes and a legend of overlays never drawn."""
        for b in (self.images_button, self.review_button, self.pdf_button, self.new_button):
            b.setVisible(False)
        self._cuts_pane.setVisible(False)
        shown = shown_path(session_path) if session_path else "(no session file recorded)"
        self.stored_note.setText(
            f"The score report recorded when the session was assessed: {shown}. Its images, the 3-D review and a "
            "PDF come from the session file: vptrainer assess "
            f"{shlex.quote(str(session_path)) if session_path else 'SESSION.jsonl'} --pdf REPORT.pdf")
        self.stored_note.setVisible(True)

    @property
    def shown_score(self):
        """The score as displayed (for checks against ``assess``)."""
        return self.report_json.get("score")

    def show_report(self, report_json: dict, cuts=None) -> None:
        self.report_json = dict(report_json)
        r = self.report_json
        passed = bool(r.get("passed"))
        colour = STATUS_COLOURS["pass" if passed else "fail"]
        self.outcome.setText("PASS" if passed else "FAIL")
        self.outcome.setStyleSheet(f"font-size: 22pt; font-weight: bold; color: {colour}; padding-right: 14px;")
        self.score_label.setText(f"score {format_value(r.get('score'))} / 100")
        self.notes.show_notes(notes_from_report(r))      # a report stored before round 39 has none
        parts = []
        rules = r.get("failed_rules") or []
        if r.get("finished") is False:     # stopped early: said first, before any broken rule (round 41)
            parts.append("<span style='color:#ff8040'><b>Unfinished: not passed</b></span>")
        if rules:                       # the failing rule first (the policy's headline, issue 13)
            first = rules[0]
            more = f" (+{len(rules) - 1} more rule(s) broken)" if len(rules) > 1 else ""
            parts.append(f"<span style='color:#ff5050; font-size: 13pt'><b>Failed: "
                         f"{html.escape(str(first.get('text', '')))}</b>{html.escape(more)}</span><br>"
                         f"{html.escape(str(first.get('detail', '')))} "
                         f"<i>(source: {html.escape(str(first.get('source', '')))})</i>")
        crit = r.get("critical_errors") or []
        if rules:                       # the headline's rule is said once, not again in the list below
            said = critical_error_line(*(str(rules[0].get(k, "")) for k in ("text", "detail", "source")))
            crit = [c for c in crit if str(c) != said]
        if crit:
            items = "".join(f"<li>{html.escape(str(c))}</li>" for c in crit)
            parts.append(f"<span style='color:#ff5050'><b>Critical errors</b></span><ul>{items}</ul>")
        rad = r.get("radiation") or {}
        if rad:
            parts.append(f"<b>Radiation</b>: {rad.get('exposures', rad.get('shots', '—'))} exposures, "
                         f"{rad.get('pulses', '—')} pulses, fluoroscopy "
                         f"{format_value(rad.get('fluoro_s'), 's')}, "
                         f"DAP {format_value(rad.get('dap_gycm2'), 'Gy·cm²')}")
        leaks = r.get("leaks") or []
        # each leak by type and site: two cortices read "C 0.13 mL, C 0.22 mL" until round 41
        leak_text = ", ".join(f"{lk.get('type')}" + (f" ({lk['region']})" if lk.get("region") else "")
                              + f" {format_value(lk.get('volume_ml'), 'mL')}" for lk in leaks)
        parts.append(f"<b>Cement</b>: {format_value(r.get('cement_injected_ml'), 'mL')} injected; "
                     f"leaks: {html.escape(leak_text) if leaks else 'none'}")
        tip = tip_words(r.get("tip") or {})
        if tip is not None:
            parts.append(f"<b>Tip</b>: {html.escape(tip)}")
        self.summary.setText("<br>".join(parts))
        all_metrics = r.get("metrics") or []
        # metrics that did not apply (a deferred or declined patient) are one line, not rows of N/A; a metric
        # left ungraded for a reason of its own (a trocar in the canal that crossed no pedicle wall) says why
        metrics = [m for m in all_metrics if str(m.get("status")) != "n/a"]
        unapplied = [m for m in all_metrics if str(m.get("status")) == "n/a"]
        skipped = [m.get("name") or m.get("id", "") for m in unapplied
                   if str(m.get("detail", "")).startswith(NOT_TREATED_PREFIX)]
        ungraded = [m for m in unapplied if not str(m.get("detail", "")).startswith(NOT_TREATED_PREFIX)]
        for m in ungraded:
            parts.append(f"<b>{html.escape(str(m.get('name') or m.get('id', '')))}</b>: "
                         f"{html.escape(str(m.get('detail', '')))}")
        if skipped:
            noun = "metric" if len(skipped) == 1 else "metrics"
            parts.append(f"<span style='color:#a0a0a0'>{len(skipped)} {noun} did not apply to this attempt "
                         f"(no procedure was done): {html.escape(', '.join(skipped))}</span>")
        if unapplied:
            self.summary.setText("<br>".join(parts))
        self.table.setRowCount(len(metrics))
        for i, m in enumerate(metrics):
            status = str(m.get("status", ""))
            cells = [m.get("name") or m.get("id", ""), format_value(m.get("value"), m.get("unit", "") or ""),
                     status.upper(), format_value(m.get("target")), str(m.get("source", ""))]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(str(text))
                item.setToolTip(str(text))
                if j == 2:
                    item.setForeground(QColor(STATUS_COLOURS.get(status, "#e0e0e0")))
                self.table.setItem(i, j, item)
        self.table.scrollToTop()                    # a new debrief opens at its top
        self.table.clearSelection()
        if cuts is not None:
            self.axial.show_cut(cuts[0])
            self.sagittal.show_cut(cuts[1])

    def axial_rgb(self) -> np.ndarray | None:
        return self.axial.image.image
