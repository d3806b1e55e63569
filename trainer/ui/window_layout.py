"""The trainer window's widgets and where they sit: monitors left, controls right, the debrief behind.

:func:`build_layout` only makes and arranges widgets; it connects no signal and reads no window state.
The window (:mod:`trainer.ui.main_window`) wires what it gets back.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from trainer.ui.assessment_notes import AssessmentNotes
from trainer.ui.carm_panel import CArmPanel
from trainer.ui.cement_panel import CementPanel
from trainer.ui.chart_panel import ChartPanel
from trainer.ui.debrief import DebriefWidget
from trainer.ui.fluoro_view import FluoroMonitor
from trainer.ui.trocar_panel import TrocarPanel, fixed_lines

__all__ = ["FINISH_TEXT", "VIEWS", "WindowLayout", "build_layout"]

#: the monitors, left to right (the oblique one hidden until an oblique image comes)
VIEWS = ("ap", "lateral", "oblique")

#: the finish button's text while the procedure runs
FINISH_TEXT = "Finish procedure…  (Ctrl+Enter)"


@dataclass(frozen=True)
class WindowLayout:
    """The window's parts, made and laid out by :func:`build_layout`.

    Attributes
    ----------
    monitors : dict
        ``{view: FluoroMonitor}`` for :data:`VIEWS`.
    chart, carm, trocar, cement : QWidget
        The chart and checklist panel and the three procedure panels.
    finish_button : QPushButton
        Finish procedure… / Show the debrief, under the procedure panels.
    gate_label : QLabel
        Above the procedure panels while they wait for the checklist decision (hidden).
    tabs : QTabWidget
        "Patient & checklist" (index 0) and "Procedure" (index 1).
    split : QSplitter
        Monitors (left) and the hint with the tabs (right).
    hint : QLabel
        What to do next at this stage, two lines high.
    session_notes : AssessmentNotes
        A resumed session file's assessment notes, above the monitors.
    debrief : DebriefWidget
        The score page.
    stack : QStackedWidget
        Page 0: notes, monitors and controls; page 1: the debrief (the review page is added when asked for).
    """

    monitors: dict
    chart: ChartPanel
    carm: CArmPanel
    trocar: TrocarPanel
    cement: CementPanel
    finish_button: QPushButton
    gate_label: QLabel
    tabs: QTabWidget
    split: QSplitter
    hint: QLabel
    session_notes: AssessmentNotes
    debrief: DebriefWidget
    stack: QStackedWidget


def _monitor_row(monitors: dict) -> QWidget:
    """The monitors side by side, equal widths, 2 px margins."""
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(2, 2, 2, 2)
    for v in VIEWS:
        lay.addWidget(monitors[v], 1)
    return row


def _finish_button() -> QPushButton:
    button = QPushButton(FINISH_TEXT)
    button.setObjectName("finishButton")
    button.setToolTip("End the procedure and score it; no action is possible afterwards  [Ctrl+Enter]")
    return button


def _gate_label() -> QLabel:
    """Shown while the controls wait for the checklist decision (:mod:`trainer.ui.checklist_gate`)."""
    label = QLabel("")
    label.setObjectName("checklistGate")
    label.setWordWrap(True)
    label.setStyleSheet("color: #ffb060; font-weight: bold; padding: 4px;")
    label.hide()
    return label


#: vertical gap between the rows of the Procedure tab's panels (px): Qt's style gives 6, with which the column
#: was 948 px tall at 1600 x 1000 in an 883 px view, so the Wait row and Finish were scrolled out of sight
PANEL_ROW_GAP_PX = 2


def _tighten_rows(panel: QWidget) -> None:
    """Close up the vertical gaps between a panel's rows (its own and its grids'), the columns' gaps kept."""
    for layout in (panel.layout(), *panel.findChildren(QGridLayout)):
        if isinstance(layout, QGridLayout):
            layout.setVerticalSpacing(PANEL_ROW_GAP_PX)
        elif isinstance(layout, QVBoxLayout):
            layout.setSpacing(PANEL_ROW_GAP_PX)


def _procedure_tab(gate_label: QLabel, panels: tuple, finish_button: QPushButton) -> QScrollArea:
    """The Procedure tab: the gate note, the panels top to bottom, the finish button at the foot; scrolls
    vertically when the window is too low for it (at 1600 x 1000 it all shows, down to the Wait row and
    Finish: round 44)."""
    proc = QWidget()
    lay = QVBoxLayout(proc)
    lay.setContentsMargins(2, 2, 2, 2)
    lay.setSpacing(PANEL_ROW_GAP_PX)
    lay.addWidget(gate_label)
    for w in panels:
        _tighten_rows(w)
        lay.addWidget(w)
    lay.addStretch(1)
    lay.addWidget(finish_button)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(proc)
    return scroll


def _stage_hint() -> QLabel:
    hint = QLabel("")
    hint.setObjectName("stageHint")
    hint.setStyleSheet("color: #f0d36a;")
    hint.setContentsMargins(4, 0, 4, 0)
    hint.setToolTip("What to do next at this stage (Help > User guide for the whole procedure)")
    fixed_lines(hint, 2)
    return hint


def build_layout() -> WindowLayout:
    """Make the window's widgets and lay them out; nothing is connected.

    Returns
    -------
    WindowLayout
        The parts; :attr:`WindowLayout.stack` is the window's central widget. The tabs are at least
        380 px wide; the splitter gives the monitors the stretch and collapses neither side.
    """
    monitors = {v: FluoroMonitor(v) for v in VIEWS}
    monitor_row = _monitor_row(monitors)
    monitors["oblique"].hide()
    chart, carm, trocar, cement = ChartPanel(), CArmPanel(), TrocarPanel(), CementPanel()
    finish_button = _finish_button()
    gate_label = _gate_label()
    tabs = QTabWidget()
    tabs.addTab(chart, "Patient && checklist")
    tabs.addTab(_procedure_tab(gate_label, (carm, trocar, cement), finish_button), "Procedure")
    tabs.setMinimumWidth(380)
    split = QSplitter(Qt.Orientation.Horizontal)
    split.addWidget(monitor_row)
    hint = _stage_hint()
    right = QWidget()
    rl = QVBoxLayout(right)
    rl.setContentsMargins(0, 0, 0, 0)
    rl.setSpacing(2)
    rl.addWidget(hint)
    rl.addWidget(tabs, 1)
    split.addWidget(right)
    split.setStretchFactor(0, 1)
    split.setCollapsible(0, False)
    split.setCollapsible(1, False)
    debrief = DebriefWidget()
    session_notes = AssessmentNotes("Notes on the resumed session file")
    page = QWidget()
    page_lay = QVBoxLayout(page)
    page_lay.setContentsMargins(0, 0, 0, 0)
    page_lay.setSpacing(2)
    page_lay.addWidget(session_notes)
    page_lay.addWidget(split, 1)
    stack = QStackedWidget()
    stack.addWidget(page)
    stack.addWidget(debrief)
    return WindowLayout(monitors=monitors, chart=chart, carm=carm, trocar=trocar, cement=cement,
                        finish_button=finish_button, gate_label=gate_label, tabs=tabs, split=split, hint=hint,
                        session_notes=session_notes, debrief=debrief, stack=stack)
