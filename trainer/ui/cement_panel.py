"""Cement controls: mix, the simulated timer, the phase as a clinician judges it, inject, wait.

The phase and its bench description come from the core's cement model; the panel only
colours them.  Waiting is explicit (``wait`` actions), so recordings replay exactly.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics
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

__all__ = ["CementPanel", "CementPhaseBar", "PHASE_COLOURS", "mmss"]

PHASE_COLOURS = {"unmixed": "#909090", "runny": "#5aa0ff", "working": "#60d060",
                 "setting": "#f0b030", "set": "#ff5050"}


def mmss(t_s: float) -> str:
    """``t_s`` seconds as ``m:ss``."""
    t = max(0, int(round(t_s)))
    return f"{t // 60}:{t % 60:02d}"


class CementPhaseBar(QWidget):
    """The cement clock as a bar: runny / working / setting / set along minutes since mixing.

    Always the same height (the controls below never move).  The bar spans the product's
    phases up to its set time; a white line marks the time since mixing.
    """

    HEIGHT_PX = 34
    ORDER = ("runny", "working", "setting", "set")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFixedHeight(self.HEIGHT_PX)
        self.setObjectName("cementPhaseBar")
        self.windows_min: dict = {}
        self.since_mix_min: float | None = None

    def set_state(self, windows_min: dict, since_mix_min: float | None) -> None:
        self.windows_min = dict(windows_min or {})
        self.since_mix_min = since_mix_min
        self.update()

    def spans_min(self) -> list[tuple[str, float, float]]:
        """(phase, from, to) in minutes after mixing, as drawn."""
        w = self.windows_min
        if not w:
            return []
        end = max(w["set_from"] * 1.15, (self.since_mix_min or 0.0) + 0.5)
        edges = [0.0, w["working_from"], w["setting_from"], w["set_from"], end]
        return [(name, edges[i], edges[i + 1]) for i, name in enumerate(self.ORDER)]

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt name)
        from PySide6.QtCore import QRectF
        from PySide6.QtGui import QColor, QPainter, QPen

        spans = self.spans_min()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        bar_h = h - 14
        if not spans:
            p.fillRect(0, 0, w, bar_h, QColor("#3a3f45"))
            p.end()
            return
        total = spans[-1][2]

        def x_of(m):
            return (w - 1) * m / total

        mixed = self.since_mix_min is not None
        for name, a, b in spans:
            colour = QColor(PHASE_COLOURS[name])
            if not mixed:
                colour = colour.darker(220)
            p.fillRect(QRectF(x_of(a), 0, x_of(b) - x_of(a), bar_h), colour)
            p.setPen(QColor("#101010"))
            if x_of(b) - x_of(a) > 44:
                p.drawText(QRectF(x_of(a), 0, x_of(b) - x_of(a), bar_h), Qt.AlignmentFlag.AlignCenter, name)
        p.setPen(QColor("#c8c8c8"))
        for m in (self.windows_min["working_from"], self.windows_min["setting_from"], self.windows_min["set_from"]):
            p.drawText(QRectF(x_of(m) - 30, bar_h, 60, 14), Qt.AlignmentFlag.AlignCenter, mmss(60 * m))
        if mixed:
            x = x_of(min(self.since_mix_min, total))
            p.setPen(QPen(QColor("#ffffff"), 3))
            p.drawLine(int(x), 0, int(x), bar_h)
        p.end()


class CementPanel(QGroupBox):
    """Signals: ``actionRequested(dict)`` for mix / inject / wait."""

    actionRequested = Signal(dict)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Cement and clock", parent)
        self.mix_button = QPushButton("Mix  (M)")
        self.mix_button.setToolTip("Mix the PMMA cement: its clock starts now  [M]")
        self.mix_button.clicked.connect(lambda: self.actionRequested.emit({"type": "mix"}))
        self.timer_label = QLabel("Not mixed")
        self.timer_label.setObjectName("cementClock")
        font = self.timer_label.font()
        font.setPointSize(13)
        self.timer_label.setFont(font)
        self.phase_label = QLabel("")
        self.phase_label.setObjectName("cementPhase")
        self.phase_label.setWordWrap(True)
        font = self.phase_label.font()
        font.setPointSize(11)
        self.phase_label.setFont(font)
        # two lines, always: the buttons below never move when the text changes length
        self.phase_label.setFixedHeight(2 * QFontMetrics(font).lineSpacing() + 4)
        self.phase_bar = CementPhaseBar()
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
        self.inject_button.setToolTip("Push one step of cement through the cannula  [I]")
        self.step.setToolTip("Cement pushed by one Inject (mL)")
        self.volume_label = QLabel("Injected: 0.00 mL")
        self.volume_label.setToolTip("Cement pushed through the cannula so far")
        self.volume_label.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.wait_buttons = {}
        waits = QHBoxLayout()
        waits.addWidget(QLabel("Wait"))
        for s, text in ((30, "30 s  (W)"), (60, "1 min"), (120, "2 min")):
            b = QPushButton(text)
            b.setToolTip(f"Let {s} s of simulated time pass (the cement keeps thickening)" + ("  [W]" if s == 30 else ""))
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
        top.addWidget(self.volume_label)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.phase_bar)
        lay.addWidget(self.phase_label)
        lay.addLayout(inject)
        lay.addLayout(waits)
        self.realtime = QCheckBox("real time")
        self.realtime.setToolTip("While checked, time you spend without acting is recorded as 'wait' actions "
                                 "(in steps of a few seconds), so the cement thickens as on a real bench (real-time clock).")
        waits.addWidget(self.realtime)     # on the wait row: the column fits a 1000-px screen
        self.show_cement(None)

    def request_inject(self) -> None:
        self.actionRequested.emit({"type": "inject", "ml": round(float(self.step.value()), 3)})

    def request_wait(self, s: float) -> None:
        self.actionRequested.emit({"type": "wait", "s": float(s)})

    def show_cement(self, cement) -> None:
        """``cement``: a CementView, or None before the session exists."""
        mixed = cement is not None and cement.mixed
        mix_enabled = cement is not None and not mixed
        if not mix_enabled and self.mix_button.window().focusWidget() is self.mix_button:
            # clicked with the mouse: disabled with the focus, it would pass it to the next box in the chain, the
            # injection step, its number selected as if to be typed over (round 45, screenshot 05); the window
            # keeps the keys instead
            self.mix_button.clearFocus()
        self.mix_button.setEnabled(mix_enabled)
        self.inject_button.setEnabled(mixed and cement.can_inject)
        windows = getattr(cement, "windows_min", None) or {}
        self.phase_bar.set_state(windows, cement.since_mix_s / 60.0 if mixed else None)
        window_text = tip_text = ""
        if windows:
            window_text = (f"working {mmss(60 * windows['working_from'])}–"
                           f"{mmss(60 * windows['setting_from'])} after mixing")
            tip_text = f"{getattr(cement, 'product', '') or 'This cement'}: {window_text}"
        self.phase_bar.setToolTip(tip_text)
        if not mixed:
            self.timer_label.setText("Not mixed")
            self.phase_label.setText("Mix when the trocar is in place" + (f" ({window_text})." if window_text else "."))
            self.phase_label.setToolTip(tip_text)
            if self.phase_label.styleSheet() != "color: #a0a0a0;":
                self.phase_label.setStyleSheet("color: #a0a0a0;")
            self.volume_label.setText("Injected: 0.00 mL")
            return
        self.timer_label.setText(f"{mmss(cement.since_mix_s)} since mixing")
        colour = PHASE_COLOURS.get(cement.phase, "#e0e0e0")
        self.phase_label.setText(f"<b>{cement.phase.upper()}</b> — {cement.consistency}")
        self.phase_label.setToolTip(tip_text)
        sheet = f"color: {colour};"
        if self.phase_label.styleSheet() != sheet:
            self.phase_label.setStyleSheet(sheet)
        self.volume_label.setText(f"Injected: {cement.injected_ml:.2f} mL")
