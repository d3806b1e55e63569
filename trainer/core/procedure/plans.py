"""Scripted expert procedures computed from the landmarks.

:func:`expert_actions` writes the action list an expert would perform on a scenario:
the checklist answers the chart calls for, a squared AP and lateral, a transpedicular
trocar along the pedicle axis to the anterior third of the body with AP and lateral
checks at the skin, in the pedicle, at the posterior wall and at the target, cement
mixed on reaching the body and injected in 0.5 mL pushes once it is in its working
phase, with a lateral check after each push.  Scoring, scenario and GUI tests reuse it.
"""

from __future__ import annotations

import numpy as np

from trainer.core.errors import ParameterError
from trainer.core.procedure.trocar import DEFAULT_GAUGE, DEFAULT_LENGTH_MM, GAUGES_MM, LENGTH_RANGE_MM, find_skin

__all__ = ["TARGET_DEPTH_FRACTION", "expert_target_mm", "expert_line", "expert_actions", "working_phase_s"]

#: Target depth as a fraction of the body from the posterior wall: 0.75 puts the tip in
#: the anterior third, 0.25 of the depth from the anterior cortex (FACTS.md 2 target zone
#: 0.10-0.33 from the anterior cortex).
TARGET_DEPTH_FRACTION = 0.75
#: Where the plan's line starts behind the pedicle entry (mm along the axis); only the
#: direction matters, the tip starts where the line meets the skin.
_LINE_BACK_MM = 40.0


def expert_target_mm(patient, side: str = "left", depth_fraction: float = TARGET_DEPTH_FRACTION) -> np.ndarray:
    """Point on the pedicle axis at ``depth_fraction`` of the body depth (x, y, z mm)."""
    lm = patient.landmarks
    ped = lm.pedicle(side)
    e = np.asarray(ped.entry_mm, float)
    a = np.asarray(ped.axis, float)
    y_target = lm.posterior_wall_y_mm - depth_fraction * lm.body_depth_mm
    t = (y_target - e[1]) / a[1]
    return e + t * a


def expert_line(patient, side: str = "left") -> tuple[np.ndarray, np.ndarray]:
    """``(entry_mm, target_mm)`` for a ``place`` action along the pedicle axis."""
    ped = patient.landmarks.pedicle(side)
    entry = np.asarray(ped.entry_mm, float) - _LINE_BACK_MM * np.asarray(ped.axis, float)
    return entry, expert_target_mm(patient, side)


def working_phase_s(scenario, margin_s: float = 15.0) -> float:
    """Seconds after mixing when the scenario's cement has entered its working phase, plus a margin."""
    from trainer.core.procedure.cement.rheology import Rheology, get_product, load_config

    ov = dict(getattr(scenario, "cement_overrides", None) or {})
    temp = ov.pop("temperature_c", None)
    rh = Rheology(get_product(scenario.cement_product).with_overrides(ov), temp, load_config())
    for s in range(0, 3600, 5):
        if rh.phase(float(s)) == "working":
            return float(s) + margin_s
    raise ParameterError("cement", scenario.cement_product, "a product with a working phase within 1 h")


def _r(v) -> list:
    return [round(float(x), 3) for x in v]


def expert_actions(scenario, patient, side: str = "left", volume_ml: float = 3.0) -> list[dict]:
    """The actions of a scripted expert procedure.

    Parameters
    ----------
    scenario : Scenario
    patient : Patient
        The scenario's patient (the plan reads its landmarks and label volume).
    side : str
        ``'left'`` or ``'right'`` pedicle.
    volume_ml : float
        Cement to inject (mL), in 0.5 mL pushes.

    Returns
    -------
    list of dict
        Actions for :meth:`Procedure.apply`, ending with ``finish``.  If the chart calls for
        deferring or declining the procedure, only the checklist answers and ``finish``.
    """
    if side not in ("left", "right"):
        raise ParameterError("side", side, "'left' or 'right'")
    if not (0 < volume_ml <= 10):
        raise ParameterError("volume_ml", volume_ml, "more than 0 and at most 10 mL")
    from trainer.core.scenario.checklist import CHECKLIST_ITEMS

    dec = scenario.decisions
    acts: list[dict] = [{"type": "decide", "item": item, "answer": dec.expected(item)} for item in CHECKLIST_ITEMS]
    if dec.candidacy != "proceed":
        return acts + [{"type": "finish"}]
    roll = float(scenario.carm.patient_roll_deg)
    ap = {"type": "carm", "orbital_deg": roll, "tilt_deg": 0.0}
    lat = {"type": "carm", "orbital_deg": 90.0 + roll if roll <= 45 else roll - 90.0, "tilt_deg": 0.0}
    shot = {"type": "shot"}

    def both():
        return [dict(ap), dict(shot), dict(lat), dict(shot)]

    acts += both()
    entry, target = expert_line(patient, side)
    skin = find_skin(patient, entry, target)
    if skin is None:
        raise ParameterError("side", side, "a side whose pedicle axis meets the skin")
    ped = patient.landmarks.pedicle(side)
    bone_mm = float(np.linalg.norm(np.asarray(ped.entry_mm) - skin))
    junction_mm = float(np.linalg.norm(np.asarray(ped.body_junction_mm) - skin))
    target_mm = float(np.linalg.norm(target - skin))
    gauge = scenario.advice.get("gauge", DEFAULT_GAUGE) if hasattr(scenario, "advice") else DEFAULT_GAUGE
    gauge = gauge if gauge in GAUGES_MM else DEFAULT_GAUGE
    place = {"type": "place", "side": side, "entry_mm": _r(entry), "target_mm": _r(target), "gauge": gauge}
    need_mm = target_mm + 10.0
    if need_mm > DEFAULT_LENGTH_MM:
        if need_mm > LENGTH_RANGE_MM[1]:
            raise ParameterError("side", side, f"a pedicle whose target lies within {LENGTH_RANGE_MM[1] - 10:g} mm "
                                 f"of the skin (this one is {target_mm:.0f} mm deep)")
        place["length_mm"] = float(np.ceil(need_mm / 10.0) * 10.0)
    acts.append(place)
    depth = 0.0
    stops = [bone_mm - 3.0, bone_mm + 0.5 * (junction_mm - bone_mm), junction_mm + 3.0, target_mm]
    for i, stop in enumerate(stops):
        step = round(stop - depth, 3)
        if step > 0:
            acts.append({"type": "advance", "mm": step})
            depth += step
        acts += both()
        if i == 2:
            acts.append({"type": "mix"})
    acts.append({"type": "wait", "s": working_phase_s(scenario)})
    pushes = int(np.ceil(volume_ml / 0.5 - 1e-9))
    left = float(volume_ml)
    for i in range(pushes):
        ml = round(min(0.5, left), 3)
        left -= ml
        acts.append({"type": "inject", "ml": ml})
        acts.append(dict(shot))          # the C-arm is lateral: check the cement's posterior extent
    acts += [dict(ap), dict(shot)]
    acts.append({"type": "advance", "mm": -round(depth + 1.0, 3)})
    acts.append({"type": "finish"})
    return acts
