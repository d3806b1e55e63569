"""Patient chart and pre-procedure checklist (the ``decide`` actions).

The chart is the scenario's normalised ``chart`` dict shown as readable HTML; the
checklist items and their answers come from
:data:`trainer.core.scenario.checklist.CHECKLIST_ITEMS`.  The expected answers are never
shown here (they belong to the debrief).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from trainer.core.scenario.checklist import CHECKLIST_ITEMS

__all__ = ["ChartPanel", "chart_html"]

_SKIP = {"medications", "labs", "symptoms", "imaging", "infection"}


def _pretty(key: str) -> str:
    return key.replace("_per_ul", " (/µL)").replace("_per_nl", " (/nL)").replace("_mg_l", " (mg/L)") \
        .replace("_hours_ago", " (h ago)").replace("_min_ago", " (min ago)").replace("_hours", " (h)") \
        .replace("_years", " (years)").replace("_weeks", " (weeks)").replace("_mm", " (mm)").replace("_", " ")


def _value(v) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple)):
        return ", ".join(_value(x) for x in v) if v else "none"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, int) and abs(v) >= 10000:
        return f"{v:,}"
    if isinstance(v, str):
        v = v.replace("_", " ")
    return html.escape(str(v)) if v not in (None, "") else "—"


def _table(d: dict) -> str:
    rows = "".join(f"<tr><td style='color:#9ab'>{html.escape(_pretty(k))}</td><td>{_value(v)}</td></tr>"
                   for k, v in d.items())
    return f"<table cellspacing=2 cellpadding=2>{rows}</table>"


def chart_html(scenario) -> str:
    """The patient chart of ``scenario`` as HTML (history, medications, allergies, labs, imaging)."""
    c = dict(scenario.chart)
    parts = [f"<h2 style='margin:0'>{html.escape(scenario.title)}</h2>"]
    if scenario.description:
        parts.append(f"<p>{html.escape(scenario.description)}</p>")
    general = {k: v for k, v in c.items() if k not in _SKIP and not isinstance(v, dict)}
    if general.get("antibiotic_given") in (None, "none"):
        general.pop("antibiotic_given_min_ago", None)   # a time for a dose never given misleads
    parts.append("<h3>Patient</h3>" + _table(general))
    for section in ("symptoms", "labs", "imaging", "infection"):
        if isinstance(c.get(section), dict):
            parts.append(f"<h3>{section.capitalize()}</h3>" + _table(c[section]))
    meds = c.get("medications") or []
    parts.append("<h3>Medications</h3>")
    if meds:
        rows = "".join(f"<tr><td><b>{html.escape(str(m.get('name', '?')))}</b></td>"
                       f"<td>{html.escape(str(m.get('dose', '')))}</td>"
                       f"<td>last dose {_value(m.get('last_dose_hours_ago'))} h ago</td></tr>" for m in meds)
        parts.append(f"<table cellspacing=2 cellpadding=2>{rows}</table>")
    else:
        parts.append("<p>none</p>")
    return "<div style='font-size:11pt'>" + "".join(parts) + "</div>"


class ChartPanel(QWidget):
    """Chart on top, checklist below.  Emits ``actionRequested({'type': 'decide', ...})``."""

    actionRequested = Signal(dict)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.chart = QTextBrowser()
        self.chart.setOpenExternalLinks(False)
        self.buttons: dict[tuple[str, str], QPushButton] = {}
        self._row_buttons: list[QPushButton] = []
        self._groups: list[QButtonGroup] = []
        box = QFrame()
        grid = QGridLayout(box)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setVerticalSpacing(6)
        row = 0
        for item in CHECKLIST_ITEMS.values():
            if item.id == "candidacy":
                continue
            row = self._add_item(grid, row, item)
        cand = CHECKLIST_ITEMS["candidacy"]
        sep = QLabel("<b>Decision</b>")
        grid.addWidget(sep, row, 0, 1, 2)
        row += 1
        self._add_item(grid, row, cand, big=True)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(box)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.chart)
        split.addWidget(scroll)
        split.setSizes([400, 520])
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        head = QLabel("<b>Pre-procedure checklist</b> — read the chart, answer every item, then decide.")
        head.setWordWrap(True)
        lay.addWidget(head)
        lay.addWidget(split, 1)

    def _add_item(self, grid: QGridLayout, row: int, item, big: bool = False) -> int:
        q = QLabel(item.label)
        q.setWordWrap(True)
        grid.addWidget(q, row, 0, 1, 2)
        answers = QGridLayout()
        answers.setSpacing(4)
        per_row = 3 if len(item.answers) > 3 else len(item.answers)
        group = QButtonGroup(self)
        group.setExclusive(True)
        for answer, meaning in item.answers.items():
            b = QPushButton(answer.replace("_", " "))
            b.setCheckable(True)
            b.setToolTip(meaning)
            if big:
                b.setObjectName("candidacyButton")
            b.clicked.connect(lambda _=False, i=item.id, a=answer: self.actionRequested.emit(
                {"type": "decide", "item": i, "answer": a}))
            group.addButton(b)
            k = len(self._row_buttons)
            answers.addWidget(b, k // per_row, k % per_row)
            self._row_buttons.append(b)
            self.buttons[(item.id, answer)] = b
        self._groups.append(group)
        self._row_buttons = []
        answers.setColumnStretch(per_row, 1)
        grid.addLayout(answers, row + 1, 0, 1, 2)
        return row + 2

    def show_scenario(self, scenario) -> None:
        self.chart.setHtml(chart_html(scenario))

    def show_decisions(self, decisions: dict) -> None:
        """Check the buttons of the answers given so far (item -> answer); nothing else stays checked.

        An exclusive button group refuses to uncheck its checked button, so the groups are made
        non-exclusive while the answers are set (a new session must not show the last patient's).
        """
        for g in self._groups:
            g.setExclusive(False)
        for (item, answer), b in self.buttons.items():
            b.setChecked(decisions.get(item) == answer)
        for g in self._groups:
            g.setExclusive(True)

    def set_locked(self, locked: bool) -> None:
        """After the candidacy decision the checklist is read-only."""
        for b in self.buttons.values():
            b.setEnabled(not locked)
