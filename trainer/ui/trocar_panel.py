"""Trocar controls: side, gauge and working length, entry picked on the AP image, aim, advance / withdraw.

Emits plain requests; :mod:`trainer.ui.actions` turns them into procedure actions.
The tissue under the tip is shown as the trocar's tactile feedback would tell it.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from trainer.core.procedure.trocar import DEFAULT_LENGTH_MM, LENGTH_RANGE_MM

__all__ = ["TrocarPanel", "TISSUE_COLOURS", "LENGTH_CHOICES_MM", "trocar_angles_deg", "angles_text", "fixed_lines"]

#: working lengths offered (mm): the core's range in 10 mm steps (the expert plan picks its trocar
#: in the same steps); a deep back - the abdominal CT's L3 target lies 122-135 mm below the skin -
#: needs more than the default
LENGTH_CHOICES_MM = tuple(float(mm) for mm in range(int(LENGTH_RANGE_MM[0]), int(LENGTH_RANGE_MM[1]) + 1, 10))

#: colour of the tissue-under-the-tip label: green where the tip belongs, red where it must not be
TISSUE_COLOURS = {
    "skin": "#c8c8c8", "fat": "#c8c8c8", "muscle": "#c8c8c8", "soft tissue": "#c8c8c8",
    "posterior elements": "#e0c060", "pedicle left": "#e0c060", "pedicle right": "#e0c060",
    "pedicle": "#e0c060", "body cortex": "#e0c060", "cortex": "#e0c060",
    "cancellous": "#60d060", "cancellous bone": "#60d060", "cleft": "#60d060",
    "canal": "#ff5050", "foramen left": "#ff5050", "foramen right": "#ff5050", "foramen": "#ff5050",
    "disc": "#ff8040", "segmental vein": "#ff8040", "basivertebral vein": "#ff8040",
    "outside": "#ff8040", "air": "#888888", "adjacent vertebra": "#ff8040", "rib": "#ff8040",
    "lung": "#ff5050",
}


#: colour of the tip-zone words by level: green at the target, calm yellow on the way, red only for danger
ZONE_COLOURS = {"target": "#60d060", "near": "#a8d860", "on the way": "#e0c060", "caution": "#ff8040",
                "danger": "#ff5050"}


def fixed_lines(label: QLabel, lines: int) -> None:
    """Word-wrap ``label`` in a box of ``lines`` text lines, whatever its text: nothing below it
    moves when the text changes (set the label's font before calling)."""
    label.setWordWrap(lines > 1)
    label.setFixedHeight(lines * QFontMetrics(label.font()).lineSpacing() + 4)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)


def trocar_angles_deg(direction, side: str) -> tuple[float, float]:
    """Medial and cranial angle (deg) of a trocar axis (LPS, pointing from the skin to the tip).

    Medial: angle in the axial plane between the axis and straight anterior (-y), positive
    towards the midline (towards -x for the left pedicle, +x for the right).  Cranial: angle
    above the axial plane, positive towards the head (+z).
    """
    dx, dy, dz = (float(v) for v in direction)
    towards_midline = -dx if side == "left" else dx
    medial = math.degrees(math.atan2(towards_midline, -dy))
    cranial = math.degrees(math.atan2(dz, math.hypot(dx, dy)))
    return medial, cranial


def _named_angle(value_deg: float, positive: str, negative: str) -> str:
    """``value_deg`` as its direction's word and its size, e.g. "caudal 13.0°" for -13.0 (one decimal)."""
    shown = round(float(value_deg), 1)
    return f"{positive if shown >= 0 else negative} {abs(shown):.1f}°"


def angles_text(medial_deg: float, cranial_deg: float) -> str:
    """The *Angles* line for a trocar: each angle named by the way it points, never with a sign.

    Parameters
    ----------
    medial_deg : float
        Medial (convergence) angle, deg, positive towards the midline (see :func:`trocar_angles_deg`);
        a negative angle reads "lateral".
    cranial_deg : float
        Cranio-caudal angle, deg, positive towards the head; a negative angle reads "caudal".

    Returns
    -------
    str
        e.g. "Angles: medial 15.0°, caudal 13.0°" for (15.0, -13.0).
    """
    return f"Angles: {_named_angle(medial_deg, 'medial', 'lateral')}, {_named_angle(cranial_deg, 'cranial', 'caudal')}"


class TrocarPanel(QGroupBox):
    """Signals: ``placeRequested()``, ``aimOnImage(right, up)``, ``advanceRequested(mm)``,
    ``selectRequested(side)`` (make that side's trocar the active one; bipedicular approach).

    The side buttons choose the pedicle for the next placement while that side has no trocar,
    and the active trocar once it has one (clicking a side with a trocar asks to select it).
    """

    placeRequested = Signal()
    aimOnImage = Signal(int, int)       #: (right, up) as seen on the AP monitor, one aim step
    advanceRequested = Signal(float)
    sideChanged = Signal(str)
    selectRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Trocar", parent)
        self.coarse_mm = 5.0
        self.fine_mm = 1.0
        self.aim_deg = 2.0
        self.left_radio = QRadioButton("Left pedicle")
        self.right_radio = QRadioButton("Right")
        self.left_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.left_radio)
        group.addButton(self.right_radio)
        self.left_radio.toggled.connect(lambda _: self.sideChanged.emit(self.side))
        self.left_radio.toggled.connect(lambda _: self._maybe_select())
        self.left_radio.toggled.connect(lambda _: self._offer_next_trocar())
        self._in_patient: dict = {}          # side -> TrocarView of every trocar in the patient
        self._active: str | None = None
        self.left_radio.toggled.connect(lambda _: self.set_orientation(self.side, self._flip_h, self._flip_v))
        self.gauge = QComboBox()
        self.gauge.addItem("11 G", 11)
        self.gauge.addItem("13 G", 13)
        self.gauge.setToolTip("Trocar gauge: 11 G = 3.0 mm, 13 G = 2.4 mm outer diameter")
        self.length = QComboBox()
        for mm in LENGTH_CHOICES_MM:
            self.length.addItem(f"{mm:g} mm", mm)
        self.length.setCurrentIndex(LENGTH_CHOICES_MM.index(DEFAULT_LENGTH_MM))
        self.length.setToolTip("Trocar working length: the tip goes at most this far below the skin. "
                               "Choose a longer trocar for a deep back (measure skin to the body's front "
                               "on the lateral image)")

        self.entry_label = QLabel("Click the AP image over the pedicle to pick the entry.")
        fixed_lines(self.entry_label, 2)
        self.place_button = QPushButton("Place trocar  (P)")
        self.place_button.setToolTip("Put the trocar tip on the skin on the line through the picked entry  [P]")
        for b, side, where in ((self.left_radio, "left", "left"), (self.right_radio, "right", "right")):
            b.setToolTip(f"The patient's {side} pedicle (on the {where} of the AP image): the side of the next "
                         f"trocar, or, once a trocar is in it, makes the {side} trocar the active one that aim, "
                         "advance and inject act on  [T switches]")
        self.place_button.setEnabled(False)
        self.place_button.clicked.connect(self.placeRequested)

        # the aim buttons sit where the arrow keys point on the AP monitor; which of left/right is
        # medial depends on the side and the left-right flip (:meth:`set_orientation`)
        self.aim_buttons: dict[str, QPushButton] = {}
        aim = QGridLayout()
        for key, right, up, r, c in (("up", 0, 1, 0, 1), ("left", -1, 0, 1, 0), ("right", 1, 0, 1, 2),
                                     ("down", 0, -1, 2, 1)):
            b = QPushButton()
            b.clicked.connect(lambda _=False, right=right, up=up: self.aimOnImage.emit(right, up))
            aim.addWidget(b, r, c)
            self.aim_buttons[key] = b
        self.aim_hint = QLabel("Aim\n(arrow keys)")
        self.aim_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        aim.addWidget(self.aim_hint, 1, 1)
        self.angle_label = QLabel("")
        self.angle_label.setObjectName("trocarAngles")
        self.angle_label.setToolTip("Trocar axis: medial (convergence) angle in the axial plane from straight "
                                    "anterior (or lateral when it diverges), and angle towards the head (cranial) or the feet "
                                    "(caudal)")
        self._flip_h = self._flip_v = False
        self._shown_side = "left"
        self.set_orientation("left", False, False)

        self.advance_buttons = {}
        adv = QGridLayout()
        for i, (key, text, sign, fine) in enumerate((("in_coarse", "Advance {c}  (A)", 1, False),
                                                     ("in_fine", "Advance {f}  (⇧A)", 1, True),
                                                     ("out_coarse", "Withdraw {c}  (Z)", -1, False),
                                                     ("out_fine", "Withdraw {f}  (⇧Z)", -1, True))):
            b = QPushButton()
            b.setProperty("template", text)
            shortcut = text[text.index("(") + 1:text.index(")")].replace("⇧", "Shift+")
            b.setToolTip(("Advance" if sign > 0 else "Withdraw") + f" the trocar one {'fine' if fine else 'coarse'} "
                         f"step along its axis  [{shortcut}]")
            b.clicked.connect(lambda _=False, sign=sign, fine=fine: self.advanceRequested.emit(
                sign * (self.fine_mm if fine else self.coarse_mm)))
            adv.addWidget(b, i // 2, i % 2)
            self.advance_buttons[key] = b
        self._label_steps()

        self.depth_label = QLabel("Not placed")
        self.tissue_label = QLabel("")
        self.tissue_label.setObjectName("tissueLabel")
        font = self.tissue_label.font()
        font.setPointSize(11)
        font.setBold(True)
        self.tissue_label.setFont(font)
        fixed_lines(self.tissue_label, 2)          # the tip zone's words can take two lines
        fixed_lines(self.depth_label, 1)
        fixed_lines(self.angle_label, 1)

        sides = QHBoxLayout()
        sides.addWidget(self.left_radio)
        sides.addWidget(self.right_radio)
        sides.addWidget(self.gauge)
        sides.addWidget(self.length)
        lay = QVBoxLayout(self)
        lay.addLayout(sides)
        lay.addWidget(self.entry_label)
        lay.addWidget(self.place_button)
        lay.addLayout(aim)
        lay.addWidget(self.angle_label)
        lay.addLayout(adv)
        lay.addWidget(self.depth_label)
        lay.addWidget(self.tissue_label)
        self.show_trocar(None)

    def set_orientation(self, side: str, flip_h: bool, flip_v: bool) -> None:
        """Label the aim buttons for ``side``'s pedicle as the AP monitor shows it.

        AP image columns run towards the patient's right, so image right is medial for the
        left pedicle and lateral for the right one; a left-right flip swaps them.
        """
        self._shown_side, self._flip_h, self._flip_v = side, bool(flip_h), bool(flip_v)
        right_is_medial = (side == "left") != bool(flip_h)
        up_is_cranial = not flip_v
        names = {"right": "Medial" if right_is_medial else "Lateral",
                 "left": "Lateral" if right_is_medial else "Medial",
                 "up": "Cranial" if up_is_cranial else "Caudal",
                 "down": "Caudal" if up_is_cranial else "Cranial"}
        arrows = {"left": "←", "right": "→", "up": "↑", "down": "↓"}
        keys = {"left": "Left", "right": "Right", "up": "Up", "down": "Down"}
        for key, b in self.aim_buttons.items():
            text = f"{arrows[key]} {names[key]}" if key in ("left", "up", "down") else f"{names[key]} {arrows[key]}"
            b.setText(text)
            b.setToolTip(f"Aim the {side} trocar {names[key].lower()} by one aim step "
                         f"({self.aim_deg:g}°)  [{keys[key]} arrow]")

    @property
    def side(self) -> str:
        return "left" if self.left_radio.isChecked() else "right"

    @property
    def gauge_value(self) -> int:
        return int(self.gauge.currentData())

    @property
    def length_mm(self) -> float:
        """The chosen working length of the next trocar (mm)."""
        return float(self.length.currentData())

    def set_steps(self, coarse_mm: float, fine_mm: float, aim_deg: float) -> None:
        self.coarse_mm, self.fine_mm, self.aim_deg = coarse_mm, fine_mm, aim_deg
        self._label_steps()
        self.set_orientation(self._shown_side, self._flip_h, self._flip_v)

    def _label_steps(self) -> None:
        for b in self.advance_buttons.values():
            b.setText(b.property("template").format(c=f"{self.coarse_mm:g} mm", f=f"{self.fine_mm:g} mm"))

    def show_entry(self, entry_mm) -> None:
        """The picked entry (patient mm) or None."""
        self._picked = entry_mm
        if entry_mm is None:
            self.entry_label.setText("Click the AP image over the pedicle to pick the entry.")
        else:
            # the point in patient mm from the target body's centre; y was shown as "(depth +41.1)", with no unit,
            # a word the panel uses for the trocar's depth along its path ("depth 0.0 of 120 mm") once placed
            x, y, z = entry_mm
            self.entry_label.setText(f"Entry picked: x {x:+.1f}, y {y:+.1f}, z {z:+.1f} mm (from the body centre). "
                                     "Place it (P), or click again.")

    def _maybe_select(self) -> None:
        """A click on a side whose trocar is in the patient but not active asks to select it."""
        side = self.side
        if side in self._in_patient and side != self._active:
            self.selectRequested.emit(side)

    def _offer_next_trocar(self) -> None:
        """The gauge and length are the chosen side's next trocar: offered while that side has none in the
        patient (the second trocar of a bipedicular approach may need another length than the first: the
        abdominal CT's L4, 140 mm left and 150 mm right; round 26), not while its own trocar is in: then the
        disabled boxes show that trocar's own gauge and length (they kept the last one chosen, the other side's)."""
        placed = self._in_patient.get(self.side)
        if placed is not None:
            for box, value in ((self.gauge, int(placed.gauge)), (self.length, float(placed.length_mm))):
                i = box.findData(value)
                if i >= 0:
                    box.blockSignals(True)
                    box.setCurrentIndex(i)
                    box.blockSignals(False)
        self.gauge.setEnabled(placed is None)
        self.length.setEnabled(placed is None)

    def _check_side(self, side: str) -> None:
        if side != self.side:
            b = self.left_radio if side == "left" else self.right_radio
            self.left_radio.blockSignals(True)
            b.setChecked(True)
            self.left_radio.blockSignals(False)
            self.sideChanged.emit(side)

    def show_trocars(self, trocars: dict, active: str | None, side_ml: dict | None = None) -> None:
        """Every trocar in the patient (side -> TrocarView), the active side and, for two trocars,
        the mL pushed through each cannula; the readouts are the active trocar's."""
        self._in_patient, self._active = dict(trocars), active
        side_ml = side_ml or {}
        trocar = trocars.get(active) if active is not None else None
        if trocar is not None and self.side in trocars and self.side != active:
            self._check_side(active)           # the side buttons follow a selection made by key or replay
        self.show_trocar(trocar)
        both = len(trocars) == 2
        for b, side, text in ((self.left_radio, "left", "Left pedicle"), (self.right_radio, "right", "Right")):
            b.setText(f"{text.split()[0]} {'●' if side == active else '○'}" if side in trocars else text)
            b.setEnabled(True)
        self._offer_next_trocar()
        if trocar is None and trocars:
            other = next(iter(trocars.values()))
            self.entry_label.setText(f"The {other.side} trocar is in but not active: press T or click "
                                     f"{other.side.capitalize()} to take hold of it.")
        elif trocar is not None:
            free = "right" if active == "left" else "left"
            if both:
                o = trocars[free]
                self.entry_label.setText(f"Active ●: {active} trocar (T switches). Other ○: {o.side}, "
                                         f"{o.depth_mm:.1f} mm, {str(o.tissue).replace('_', ' ')}, "
                                         f"{side_ml.get(free, 0.0):.2f} mL.")
                self.depth_label.setText(self.depth_label.text() + f" · {side_ml.get(active, 0.0):.2f} mL")
            elif self.side == free and getattr(self, "_picked", None) is not None:
                self.show_entry(self._picked)
            elif self.side == free:
                self.entry_label.setText(f"Bipedicular: click the AP image over the {free} pedicle to pick "
                                         f"the second entry; the {active} trocar stays in.")

    def show_trocar(self, trocar) -> None:
        """``trocar``: the active TrocarView or None (none active)."""
        placed = trocar is not None
        for b in list(self.aim_buttons.values()) + list(self.advance_buttons.values()):
            b.setEnabled(placed)
        for w in (self.left_radio, self.right_radio, self.gauge, self.length):
            w.setEnabled(not placed)
        if not placed:
            if self.entry_label.text().startswith("Trocar in"):
                self.show_entry(None)
            self.depth_label.setText("Not placed")
            self.tissue_label.setText("")
            self.angle_label.setText("Angles: —")
            if self._shown_side != self.side:
                self.set_orientation(self.side, self._flip_h, self._flip_v)
            return
        if self._shown_side != trocar.side:
            self.set_orientation(trocar.side, self._flip_h, self._flip_v)
        medial, cranial = trocar_angles_deg(trocar.direction, trocar.side)
        self.angle_label.setText(angles_text(medial, cranial))
        self.place_button.setEnabled(False)
        self.entry_label.setText("Trocar in. To re-place it, withdraw it fully (Z) first; for a bipedicular "
                                 "approach choose the other side.")
        self.depth_label.setText(f"{trocar.side} · {trocar.gauge} G · depth {trocar.depth_mm:.1f} "
                                 f"of {trocar.length_mm:g} mm")
        name = str(trocar.tissue).replace("_", " ")
        zone = getattr(trocar, "zone", "")
        if zone:                          # the core's words for the zone (trainer.core.scoring.tip_zone)
            colour = ZONE_COLOURS.get(getattr(trocar, "zone_level", ""), "#e0e0e0")
            self.tissue_label.setText(f"tip: {zone}")
        else:
            colour = TISSUE_COLOURS.get(name, "#e0e0e0")
            self.tissue_label.setText(f"tip in: {name}")
        sheet = f"color: {colour};"
        if self.tissue_label.styleSheet() != sheet:
            self.tissue_label.setStyleSheet(sheet)
