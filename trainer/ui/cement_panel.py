"""Cement controls: mix, the simulated timer, the phase as a clinician judges it, inject, wait.

The phase and its bench description come from the core's cement model; the panel only
colours them.  Waiting is explicit (``wait`` actions), so recordings replay exactly.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["CementPanel", "PHASE_COLOURS", "mmss"]

PHASE_COLOURS = {"unmixed": "#909090", "runny": "#5aa0ff", "working": "#60d060",
                 "setting": "#f0b030", "set": "#ff5050"}


def mmss(t_s: float) -> str:
    """``t_s`` seconds as ``m:ss``."""
    t = max(0, int(round(t_s)))
    return f"{t // 60}:{t % 60:02d}"


class CementPanel(QGroupBox):
    """Signals: ``actionRequested(dict)`` for mix / inject / wait."""

    actionRequested = Signal(dict)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Cement and clock", parent)
        self.mix_button = QPushButton("Mix  (M)")
        self.mix_button.setToolTip("Mix the PMMA cement: its clock starts now")
        self.mix_button.clicked.connect(lambda: self.actionRequested.emit({"type": "mix"}))
        self.timer_label = QLabel("Not mixed")
        self.timer_label.setStyleSheet("font-size: 13pt;")
        self.phase_label = QLabel("")
        self.phase_label.setWordWrap(True)
        self.step = QDoubleSpinBox()
        self.step.setRange(0.05, 2.0)
        self.step.setSingleStep(0.05)
        self.step.setDecimals(2)
        self.step.setSuffix(" mL")
        self.step.setValue(0.25)
        self.step.setKeyboardTracking(False)
        self.inject_button = QPushButton("Inject  (I)")
        self.inject_button.setObjectName("injectButton")
        self.inject_button.clicked.connect(self.request_inject)
        self.volume_label = QLabel("Injected: 0.00 mL")
        self.volume_label.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.wait_buttons = {}
        waits = QHBoxLayout()
        waits.addWidget(QLabel("Wait"))
        for s, text in ((30, "30 s  (W)"), (60, "1 min"), (120, "2 min")):
            b = QPushButton(text)
            b.setToolTip(f"Let {s} s of simulated time pass (the cement keeps thickening)")
            b.clicked.connect(lambda _=False, s=s: self.request_wait(s))
            waits.addWidget(b)
            self.wait_buttons[s] = b
        inject = QHBoxLayout()
        inject.addWidget(self.inject_button, 2)
        inject.addWidget(QLabel("step"))
        inject.addWidget(self.step, 1)
        top = QHBoxLayout()
        top.addWidget(self.mix_button)
        top.addWidget(self.timer_label, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.phase_label)
        lay.addLayout(inject)
        lay.addWidget(self.volume_label)
        lay.addLayout(waits)
        self.realtime = QCheckBox("Real-time clock: idle time passes as waits")
        self.realtime.setToolTip("While checked, time you spend without acting is recorded as 'wait' actions "
                                 "(in steps of a few seconds), so the cement thickens as on a real bench.")
        lay.addWidget(self.realtime)
        self.show_cement(None)

    def request_inject(self) -> None:
        self.actionRequested.emit({"type": "inject", "ml": round(float(self.step.value()), 3)})

    def request_wait(self, s: float) -> None:
        self.actionRequested.emit({"type": "wait", "s": float(s)})

    def show_cement(self, cement) -> None:
        """``cement``: a CementView, or None before the session exists."""
        mixed = cement is not None and cement.mixed
        self.mix_button.setEnabled(cement is not None and not mixed)
        self.inject_button.setEnabled(mixed and cement.can_inject)
        if not mixed:
            self.timer_label.setText("Not mixed")
            self.phase_label.setText("Mix when the trocar is in place: the working phase lasts a few minutes.")
            if self.phase_label.styleSheet() != "color: #a0a0a0;":
                self.phase_label.setStyleSheet("color: #a0a0a0;")
            self.volume_label.setText("Injected: 0.00 mL")
            return
        self.timer_label.setText(f"Mixed {mmss(cement.since_mix_s)} ago")
        colour = PHASE_COLOURS.get(cement.phase, "#e0e0e0")
        self.phase_label.setText(f"<b>{cement.phase.upper()}</b> — {cement.consistency}")
        sheet = f"color: {colour}; font-size: 12pt;"
        if self.phase_label.styleSheet() != sheet:
            self.phase_label.setStyleSheet(sheet)
        self.volume_label.setText(f"Injected: {cement.injected_ml:.2f} mL")
