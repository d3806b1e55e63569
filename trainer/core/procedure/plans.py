"""Scripted expert procedures computed from the landmarks.

:func:`expert_actions` writes the action list an expert would perform on a scenario:
the checklist answers the chart calls for, a squared AP and lateral, a transpedicular
trocar along the pedicle axis to the anterior third of the body with AP and lateral
checks at the skin, in the pedicle, at the posterior wall and at the target, cement
mixed on reaching the body and injected in 0.5 mL pushes once it is in its working
phase, with a lateral check after each push and an AP check after about every 1 mL.
Scoring, scenario and GUI tests reuse it.
"""

from __future__ import annotations

import numpy as np

from trainer.core.errors import ParameterError
from trainer.core.procedure.trocar import DEFAULT_GAUGE, DEFAULT_LENGTH_MM, GAUGES_MM, LENGTH_RANGE_MM, find_skin
from trainer.core.scenario.checklist import CHECKLIST_ITEMS
from trainer.core.scenario.rheology import Rheology, get_product, load_config

__all__ = ["TARGET_DEPTH_FRACTION", "expert_direction", "expert_target_mm", "expert_line", "expert_actions",
           "working_phase_s"]

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
    since_ap = 0.0
    for i in range(pushes):
        ml = round(min(0.5, left), 3)
        left -= ml
        since_ap += ml
        acts.append({"type": "inject", "ml": ml})
        acts.append(dict(shot))          # the C-arm is lateral: check the cement's posterior extent
        if since_ap >= 1.0 - 1e-9 or i == pushes - 1:
            acts += [dict(ap), dict(shot)]           # AP check about every 1 mL and after the last push
            since_ap = 0.0
            if i < pushes - 1:
                acts.append(dict(lat))
    acts.append({"type": "advance", "mm": -round(depth + 1.0, 3)})
    acts.append({"type": "finish"})
    return acts


def bipedicular_expert_actions(scenario, patient, volume_ml: float = 4.0) -> list[dict]:
    """A scripted expert bipedicular procedure: both trocars in, then half the cement through each.

    The left trocar is placed and advanced to its target with the expert's shots (as in
    :func:`expert_actions`), then the right one while the left stays in its pedicle; the
    cement is mixed, the right side (active after its placement) gets half, ``select``
    makes the left active for the other half, and both trocars are withdrawn.

    Parameters
    ----------
    scenario : Scenario
    patient : Patient
    volume_ml : float
        Total cement (mL), half per side in 0.5 mL pushes.

    Returns
    -------
    list of dict
        Actions for :meth:`Procedure.apply`, ending with ``finish``.
    """
    left = expert_actions(scenario, patient, "left", volume_ml / 2)
    if left[-2]["type"] != "advance":          # deferred or declined: the checklist and finish
        return left
    right = expert_actions(scenario, patient, "right", volume_ml / 2)

    def access(acts, with_checklist):
        start = 0 if with_checklist else next(i for i, a in enumerate(acts) if a["type"] == "place")
        stop = next(i for i, a in enumerate(acts) if a["type"] == "wait")
        return [a for a in acts[start:stop] if a["type"] != "mix"]

    def injections(acts):
        i = next(i for i, a in enumerate(acts) if a["type"] == "inject")
        return acts[i:-2]                        # up to the withdrawal and finish

    depth = {side: -acts[-2]["mm"] for side, acts in (("left", left), ("right", right))}
    wait = next(a for a in left if a["type"] == "wait")
    acts = access(left, True) + access(right, False) + [{"type": "mix"}, dict(wait)]
    lat = [a for a in left if a["type"] == "carm"][1]      # the plan's shots go AP, then lateral
    acts += injections(right) + [dict(lat), {"type": "select", "side": "left"}] + injections(left)
    acts += [{"type": "advance", "mm": -depth["left"]}, {"type": "select", "side": "right"},
             {"type": "advance", "mm": -depth["right"]}, {"type": "finish"}]
    return acts
