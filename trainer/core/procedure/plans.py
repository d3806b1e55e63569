"""The expert's geometry and timing, computed from the landmarks and the cement product.

The expert line through the pedicle's isthmus (:func:`expert_direction`, :func:`expert_target_mm`,
:func:`expert_line`) and the start of the cement's working phase (:func:`working_phase_s`).
The plan that uses them, step by step, is :mod:`trainer.core.procedure.expert_plan`.
"""

from __future__ import annotations

import numpy as np

from trainer.core.errors import ParameterError
from trainer.core.scenario.rheology import Rheology, get_product, load_config

__all__ = ["TARGET_DEPTH_FRACTION", "expert_direction", "expert_target_mm", "expert_line", "working_phase_s"]

#: Target depth as a fraction of the body from the posterior wall: 0.75 puts the tip in
#: the anterior third, 0.25 of the depth from the anterior cortex (FACTS.md 2 target zone
#: 0.10-0.33 from the anterior cortex).
TARGET_DEPTH_FRACTION = 0.75
#: Where the plan's line starts behind the pedicle entry (mm along the axis); only the
#: direction matters, the tip starts where the line meets the skin.
_LINE_BACK_MM = 40.0
#: Largest medial turn from the pedicle axis (deg) and the wanted target offset from the midline (mm).
MAX_EXTRA_MEDIAL_DEG = 5.0
MIDLINE_TARGET_MM = 4.0


def _rot_z(v, deg):
    t = np.radians(deg)
    c, sn = np.cos(t), np.sin(t)
    return np.array([c * v[0] - sn * v[1], sn * v[0] + c * v[1], v[2]])


def expert_direction(patient, side: str = "left", depth_fraction: float = TARGET_DEPTH_FRACTION) -> np.ndarray:
    """Unit direction of the expert trajectory through the pedicle's isthmus centre.

    The pedicle axis, turned medially by up to :data:`MAX_EXTRA_MEDIAL_DEG` so that the
    target comes within :data:`MIDLINE_TARGET_MM` of the midline (FACTS.md 2: medial
    angulation = the pedicle's transverse angle plus 0-5 deg; unipedicular tip within
    +/-5 mm of the midline on AP).
    """
    lm = patient.landmarks
    ped = lm.pedicle(side)
    e = np.asarray(ped.centre_mm, float)             # pivot at the isthmus: it stays centred there
    a = np.asarray(ped.axis, float)
    y_target = lm.posterior_wall_y_mm - depth_fraction * lm.body_depth_mm
    cx = float(lm.body_centre_mm[0])
    sign = -1.0 if side == "left" else 1.0            # rotation about z that turns the axis medially
    best = a
    for k in range(0, int(MAX_EXTRA_MEDIAL_DEG * 4) + 1):
        d = _rot_z(a, sign * k * 0.25)
        x = e[0] + (y_target - e[1]) / d[1] * d[0]
        best = d
        if abs(x - cx) <= MIDLINE_TARGET_MM:
            break
    return best / np.linalg.norm(best)


def expert_target_mm(patient, side: str = "left", depth_fraction: float = TARGET_DEPTH_FRACTION) -> np.ndarray:
    """Target on the expert trajectory at ``depth_fraction`` of the body depth (x, y, z mm)."""
    lm = patient.landmarks
    e = np.asarray(lm.pedicle(side).centre_mm, float)
    d = expert_direction(patient, side, depth_fraction)
    y_target = lm.posterior_wall_y_mm - depth_fraction * lm.body_depth_mm
    return e + (y_target - e[1]) / d[1] * d


def expert_line(patient, side: str = "left") -> tuple[np.ndarray, np.ndarray]:
    """``(entry_mm, target_mm)`` for a ``place`` action through the pedicle's isthmus centre."""
    ped = patient.landmarks.pedicle(side)
    entry = np.asarray(ped.centre_mm, float) - _LINE_BACK_MM * expert_direction(patient, side)
    return entry, expert_target_mm(patient, side)


def working_phase_s(scenario, margin_s: float = 15.0) -> float:
    """Seconds after mixing when the scenario's cement has entered its working phase, plus a margin."""
    ov = dict(getattr(scenario, "cement_overrides", None) or {})
    temp = ov.pop("temperature_c", None)
    rh = Rheology(get_product(scenario.cement_product).with_overrides(ov), temp, load_config())
    for s in range(0, 3600, 5):
        if rh.phase(float(s)) == "working":
            return float(s) + margin_s
    raise ParameterError("cement", scenario.cement_product, "a product with a working phase within 1 h")
