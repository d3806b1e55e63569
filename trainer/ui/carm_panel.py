"""C-arm controls: AP / lateral presets, orbital and tilt, table offset, shot and hold-to-fluoro.

The panel only emits action dicts (``actionRequested``); the procedure decides what a
move costs in simulated time.  Hold-to-fluoro sends one ``shot`` action with a few
fluoroscopy pulses per timer tick while the button (or the F key) is held; a tick is
skipped while the previous shot is still being rendered, so the queue never piles up.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from trainer.core.xray.dose import PULSE_RATE_HZ
from trainer.core.xray.geometry import Pose
from trainer.ui.number_box import RETURN_ACTION, EnterNumberBox
from trainer.ui.shortcuts import SHORTCUTS
from trainer.ui.trocar_panel import fixed_lines

__all__ = ["CArmPanel", "FLUORO_TICK_MS"]

FLUORO_TICK_MS = 250   #: wall-clock interval between fluoroscopy shot actions while held
MAX_PULSES = 450       #: largest pulse count one shot action may carry (core limit)
#: collimation choices: label -> fields of the shot action (mm at the 300 mm detector)
COLLIMATION = {
    "Open (30 x 30 cm)": {},
    "Shutters: half width": {"field_mm": [150.0, 300.0]},
    "Shutters: 15 x 15 cm": {"field_mm": [150.0, 150.0]},
    "Iris 20 cm": {"iris_mm": 200.0},
}


#: what a refusal asks for once the number is corrected, when the Move C-arm button was refused
MOVE_BUTTON_ACTION = "click Move C-arm"


def _nudge_key(d_orbital_deg: float, d_tilt_deg: float) -> str:
    """The shortcut that steps orbital/tilt (deg) this way, as :data:`~trainer.ui.shortcuts.SHORTCUTS` binds it."""
    if d_orbital_deg:
        command = "orbital_plus" if d_orbital_deg > 0 else "orbital_minus"
    else:
        command = "tilt_plus" if d_tilt_deg > 0 else "tilt_minus"
    return next(key for cid, key, _ in SHORTCUTS if cid == command)


def _spin(what: str, lo: float, hi: float, step: float, suffix: str, decimals: int = 1) -> EnterNumberBox:
    s = EnterNumberBox(what, suffix.strip() or " mm")
    s.setRange(lo, hi)
    s.setSingleStep(step)
    s.setDecimals(decimals)
    s.setSuffix(suffix)
    s.setKeyboardTracking(False)
    s.setMinimumWidth(64)
    s.setMaximumWidth(110)
    return s


class CArmPanel(QGroupBox):
    """Emits ``actionRequested(dict)``; ``fluoroChanged(bool)`` when continuous fluoro starts/stops;
    ``inputRefused(str)`` when a number typed into a box is not taken.  Return in a box moves the C-arm
    (the same action as Move C-arm)."""

    actionRequested = Signal(dict)
    fluoroChanged = Signal(bool)
    #: a number typed into a box was refused: the one-line reason (also shown under the boxes)
    inputRefused = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("C-arm", parent)
        self._pulses_per_s = PULSE_RATE_HZ
        self._pulse_debt = 0.0
        self._last_tick = 0.0
        #: the pedal's clock (s): pulses accrue with the time it says the pedal is held
        #: (a test sets a clock it advances by hand)
        self.clock = time.perf_counter
        self._busy = lambda: False
        self.ap_button = QPushButton("AP  (1)")
        self.lat_button = QPushButton("Lateral  (2)")
        self.ap_button.clicked.connect(lambda: self.preset("ap"))
        self.lat_button.clicked.connect(lambda: self.preset("lateral"))
        #: orbital correction (deg) the trainee applied on AP or lateral (a rotated patient); the
        #: presets keep it, and each view keeps its own tilt
        self.orbital_correction_deg = 0.0
        self.tilt_by_view = {"ap": 0.0, "lateral": 0.0}
        self._biplane = False
        self._label_presets()

        self.orbital = _spin("Orbital", -135, 135, 2.0, " °")
        self.tilt = _spin("Tilt", -45, 45, 2.0, " °")
        self.offset = [_spin(f"Table offset {axis}", -200, 200, 1.0, "") for axis in "xyz"]
        for axis, spin in zip("xyz", self.offset):
            spin.setToolTip(f"Table offset {axis} (mm): patient point brought to the isocentre  [Return: move]")
        #: what was wrong with the last number typed into a box (cleared by the next move)
        self.input_message = QLabel("")
        self.input_message.setObjectName("carmInputMessage")
        self.input_message.setWordWrap(True)
        self.input_message.setStyleSheet("color: #ff7070;")
        self.input_message.hide()
        for spin in (self.orbital, self.tilt, *self.offset):
            spin.entered.connect(lambda _v: self._emit_move())
            spin.refused.connect(self._refuse_input)
        self.move_button = QPushButton("Move C-arm")
        self.move_button.setToolTip("Move to the orbital, tilt and table offset set above "
                                    "(Ctrl+arrow keys change orbital/tilt by one step and move)")
        self.orbital.setToolTip("Orbital angle (deg): 0 = AP, 90 = lateral  [Return: move; "
                                "Ctrl+Left / Ctrl+Right: one step and move]")
        self.move_button.clicked.connect(lambda: self._emit_move(MOVE_BUTTON_ACTION))

        self.shot_button = QPushButton("Shot  (S)")
        self.shot_button.setObjectName("shotButton")
        self.shot_button.setToolTip("One fluoroscopic image in the current pose  [S]")
        self.shot_button.clicked.connect(lambda: self.actionRequested.emit(self._collimated({"type": "shot"})))
        #: collimation applied to every shot: label -> shot fields (shutters / iris at the detector);
        #: the DAP falls in proportion to the open field
        self.collimation = QComboBox()
        for label in COLLIMATION:
            self.collimation.addItem(label)
        self.collimation.setToolTip("Collimator shutters / iris for the next shots: a smaller field, "
                                    "a proportionally smaller dose-area product")
        self.fluoro_button = QPushButton("Fluoro  (hold F)")
        self.fluoro_button.setObjectName("fluoroButton")
        self.fluoro_button.setToolTip("Continuous pulsed fluoroscopy while held; dose accrues  [hold F]")
        self.fluoro_button.pressed.connect(self.start_fluoro)
        self.fluoro_button.released.connect(self.stop_fluoro)
        self._timer = QTimer(self)
        self._timer.setInterval(FLUORO_TICK_MS)
        self._timer.timeout.connect(self._fluoro_tick)

        self.pose_label = QLabel("")
        fixed_lines(self.pose_label, 1)

        presets = QHBoxLayout()
        presets.addWidget(self.ap_button)
        presets.addWidget(self.lat_button)
        grid = QGridLayout()
        grid.addWidget(QLabel("Orbital"), 0, 0)
        grid.addWidget(self.orbital, 0, 1)
        grid.addWidget(QLabel("Tilt"), 0, 2)
        self.tilt.setToolTip("Cranio-caudal tilt (deg); positive: the beam heads cranially  "
                             "[Return: move; Ctrl+Up / Ctrl+Down: one step and move]")
        grid.addWidget(self.tilt, 0, 3)
        grid.addWidget(QLabel("Table mm"), 1, 0)
        row = QHBoxLayout()
        for s in self.offset:
            row.addWidget(s)
        grid.addLayout(row, 1, 1, 1, 3)
        grid.addWidget(QLabel("Field"), 2, 0)
        grid.addWidget(self.collimation, 2, 1, 1, 3)
        shots = QHBoxLayout()
        shots.addWidget(self.shot_button)
        shots.addWidget(self.fluoro_button)
        lay = QVBoxLayout(self)
        lay.addLayout(presets)
        lay.addLayout(grid)
        lay.addWidget(self.move_button)
        lay.addWidget(self.input_message)
        lay.addWidget(self.pose_label)
        lay.addLayout(shots)

    def _collimated(self, action: dict) -> dict:
        """``action`` with the chosen shutters / iris fields."""
        action.update(COLLIMATION.get(self.collimation.currentText(), {}))
        return action

    def set_busy_probe(self, probe) -> None:
        """``probe()`` is True while a shot is being processed (skip fluoro ticks then)."""
        self._busy = probe

    def set_steps(self, orbital_deg: float, tilt_deg: float, pulses_per_s: float) -> None:
        self.orbital.setSingleStep(orbital_deg)
        self.tilt.setSingleStep(tilt_deg)
        self._pulses_per_s = pulses_per_s

    #: the presets' nominal orbital angles (deg)
    NOMINAL_ORBITAL_DEG = {"ap": 0.0, "lateral": 90.0}
    #: an orbital offset from a preset larger than this is a deliberate oblique, not a correction
    MAX_CORRECTION_DEG = 20.0

    def preset(self, view: str) -> None:
        """Swing to the AP or lateral preset, keeping the trainee's orbital correction and that
        view's tilt (a single C-arm); in a biplane room the preset switches planes."""
        if self._biplane or (self.orbital_correction_deg == 0.0 and self.tilt_by_view[view] == 0.0):
            self.actionRequested.emit({"type": "carm", "preset": view})
            return
        self.actionRequested.emit({"type": "carm",
                                   "orbital_deg": round(self.NOMINAL_ORBITAL_DEG[view] + self.orbital_correction_deg, 2),
                                   "tilt_deg": round(self.tilt_by_view[view], 2)})

    def reset_corrections(self) -> None:
        """A new session: the presets are the nominal ones again."""
        self.orbital_correction_deg = 0.0
        self.tilt_by_view = {"ap": 0.0, "lateral": 0.0}
        self._label_presets()

    def _label_presets(self) -> None:
        corr = self.orbital_correction_deg
        for b, view, key in ((self.ap_button, "ap", "1"), (self.lat_button, "lateral", "2")):
            orb = self.NOMINAL_ORBITAL_DEG[view] + corr
            b.setToolTip(f"Swing the C-arm to {view.upper() if view == 'ap' else 'lateral'}: orbital {orb:.1f}°, "
                         f"tilt {self.tilt_by_view[view]:.1f}° (your correction kept; type 0 / 90 to clear it)"
                         f"  [{key}]")

    def show_pose(self, pose: Pose, view: str, biplane: bool) -> None:
        """Reflect the C-arm's current pose (spin boxes follow unless the user is editing);
        a pose near AP or lateral sets the correction the presets keep."""
        self._biplane = bool(biplane)
        if view in self.NOMINAL_ORBITAL_DEG and not biplane:
            corr = float(pose.orbital_deg) - self.NOMINAL_ORBITAL_DEG[view]
            if abs(corr) <= self.MAX_CORRECTION_DEG:
                self.orbital_correction_deg = round(corr, 2)
                self.tilt_by_view[view] = float(pose.tilt_deg)
                self._label_presets()
        for spin, value in ((self.orbital, pose.orbital_deg), (self.tilt, pose.tilt_deg)):
            if not spin.hasFocus():
                spin.setValue(value)
        for spin, value in zip(self.offset, pose.table_offset_mm):
            if not spin.hasFocus():
                spin.setValue(value)
        mode = "biplane" if biplane else "single C-arm"
        self.pose_label.setText(f"C-arm at <b>{view.upper()}</b>: orbital {pose.orbital_deg:.1f}°, "
                                f"tilt {pose.tilt_deg:.1f}° ({mode})")
        self.pose_label.setToolTip(self.pose_label.text().replace("<b>", "").replace("</b>", ""))

    def nudge(self, d_orbital_deg: float = 0.0, d_tilt_deg: float = 0.0) -> None:
        """Change orbital/tilt (deg) by a step from what the boxes read and move the C-arm there; a box
        holding text it cannot take refuses, naming the Ctrl+arrow key that was pressed."""
        if self._refused(f"press {_nudge_key(d_orbital_deg, d_tilt_deg)}"):
            return
        self.orbital.setValue(self.orbital.value() + d_orbital_deg)
        self.tilt.setValue(self.tilt.value() + d_tilt_deg)
        self._move()

    def _refuse_input(self, message: str) -> None:
        """Show why a typed number was not taken (the C-arm stays where it is)."""
        self.input_message.setText(message)
        self.input_message.show()
        self.inputRefused.emit(message)

    def _refused(self, then: str) -> bool:
        """Take every box as it reads (typed and not yet entered too), or, when a box holds text it cannot
        take, show its refusal ending in ``then`` (the first such box, in panel order) and return True."""
        for spin in (self.orbital, self.tilt, *self.offset):
            message = spin.take_typed(then)
            if message is not None:
                self._refuse_input(message)
                return True
        return False

    def _emit_move(self, then: str = RETURN_ACTION) -> None:
        """Move to the angles and offsets shown in the boxes, or refuse (see :meth:`_refused`) and stay."""
        if not self._refused(then):
            self._move()

    def _move(self) -> None:
        """Ask for the move to the boxes' values."""
        self.input_message.hide()
        self.actionRequested.emit({"type": "carm", "orbital_deg": round(self.orbital.value(), 2),
                                   "tilt_deg": round(self.tilt.value(), 2),
                                   "table_offset_mm": [round(s.value(), 2) for s in self.offset]})

    @property
    def fluoro_on(self) -> bool:
        return self._timer.isActive()

    def start_fluoro(self) -> None:
        """Pedal down: the first pulse fires now, then pulses accrue with the wall time held."""
        if self._timer.isActive():
            return
        self._pulse_debt = 1.0
        self._run_started = False
        self._last_tick = self.clock()
        self._timer.start()
        self.fluoroChanged.emit(True)
        self._send_pulses()

    def stop_fluoro(self, at: float | None = None) -> None:
        """Pedal up (at :attr:`clock` value ``at``, default now): pulses still owed for
        the time held go out in one last shot."""
        if not self._timer.isActive():
            return
        self._timer.stop()
        self._accrue(at)
        if self._pulse_debt >= 1.0:
            pulses = int(min(self._pulse_debt, MAX_PULSES))
            self._pulse_debt = 0.0
            self._emit_run_shot(pulses)
        self.fluoroChanged.emit(False)

    def _accrue(self, at: float | None = None) -> None:
        """Add the pulses owed for the wall time since the last tick (late timer ticks lose nothing)."""
        now = self.clock() if at is None else max(float(at), self._last_tick)
        self._pulse_debt = min(self._pulse_debt + self._pulses_per_s * (now - self._last_tick), MAX_PULSES)
        self._last_tick = now

    def _fluoro_tick(self) -> None:
        self._accrue()
        self._send_pulses()

    def _send_pulses(self) -> None:
        # sent only when the previous shot is done, so the queue never piles up
        if self._busy() or self._pulse_debt < 1.0:
            return
        pulses = int(self._pulse_debt)
        self._pulse_debt -= pulses
        self._emit_run_shot(pulses)

    def _emit_run_shot(self, pulses: int) -> None:
        """One part of a held run; all but the first are ``continuous`` (no footswitch overhead,
        so simulated time follows the time the pedal is held)."""
        action = self._collimated({"type": "shot", "pulses": pulses})
        if getattr(self, "_run_started", False):
            action["continuous"] = True
        self._run_started = True
        self.actionRequested.emit(action)
