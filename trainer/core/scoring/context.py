"""Build a :class:`~trainer.core.scoring.metric.ScoringContext` from a scenario and a patient.

What the events do not say is taken from the anatomy once: the endplate inclinations
(for the true-AP tilt and the between-endplates check) and the body volume (for the
fill fraction), both measured on the label volume when a patient is given, and the
target vertebra's own axial rotation (for the true-AP and true-lateral orbital angles),
measured when the patient was made (``Landmarks.axial_rotation_deg``).
"""

from __future__ import annotations

import math

import numpy as np

from trainer.core.anatomy.endplates import endplate_inclinations_deg, landmark_inclinations_deg
from trainer.core.anatomy.landmarks import Landmarks
from trainer.core.anatomy.posterior_outline import outline_of
from trainer.core.procedure.cement.domain import body_volume_ml
from trainer.core.scenario.rules import expected_decisions
from trainer.core.scenario.targets import Targets, load_targets
from trainer.core.scoring.metric import ScoringContext

__all__ = ["build_context", "expected_from_scenario", "endplate_inclinations_deg", "body_volume_ml",
           "landmark_inclinations_deg"]

# endplate_inclinations_deg and landmark_inclinations_deg live in trainer.core.anatomy.endplates (the expert plan
# squares the C-arm on them, and the procedure layer may not import the scoring); re-exported here for callers.


def _landmark_body_volume_ml(lm: Landmarks) -> float:
    mean_h = (lm.anterior_height_mm + lm.middle_height_mm + lm.posterior_height_mm) / 3.0
    return math.pi / 4.0 * lm.body_width_mm * lm.body_depth_mm * mean_h / 1000.0


def expected_from_scenario(scenario) -> tuple[dict, dict]:
    """(item -> expected answer, item -> reason) from the scenario's decision rules."""
    dec = expected_decisions(scenario)
    exp = {k: str(v["expected"]) for k, v in dec.gates.items()}
    why = {k: str(v.get("reason", "")) for k, v in dec.gates.items()}
    exp["candidacy"] = str(dec.candidacy)
    return exp, why


def build_context(scenario=None, landmarks: Landmarks | None = None, patient=None, *,
                  targets: Targets | None = None, expected: dict | None = None, reasons: dict | None = None,
                  cement_points_mm=None, final_leaks=None, neural_cement_ml=None,
                  canal_wall_temperature_c=None, body_ml: float | None = None) -> ScoringContext:
    """Everything the metrics need besides the events.

    Parameters
    ----------
    scenario : Scenario, optional
        Target overrides, C-arm set-up and the chart (for the expected decisions).
    landmarks : Landmarks, optional
        Defaults to ``patient.landmarks``.
    patient : Patient, optional
        Used to measure endplate inclinations, body volume and the body's posterior outline (the
        medial-wall rule's "past the posterior wall"); else estimated from landmarks (a flat wall).
    targets : Targets, optional
        Default: assets/scoring_targets.toml with the scenario's ``[targets]`` applied.
    expected, reasons : dict, optional
        Expected checklist answers; default from ``trainer.core.scenario.rules``.
    cement_points_mm : (N, 3) array, optional
        Cement voxel centres at the end (mm).
    final_leaks : list of dict, optional
    neural_cement_ml : dict, optional
        Cement inside the canal / foramen outlines at the end (mL).
    canal_wall_temperature_c : float, optional
        Peak canal-wall temperature, deg C.
    body_ml : float, optional
        The body volume (mL) when already measured (the cement model's
        ``domain.body_volume_ml``); default :func:`~trainer.core.procedure.cement.domain.body_volume_ml`
        of ``patient``.
    """
    lm = landmarks if landmarks is not None else patient.landmarks
    if targets is None:
        targets = load_targets()
        if scenario is not None and scenario.targets:
            where = f"{scenario.path or scenario.id} [targets]"
            targets = targets.with_overrides(scenario.targets, where)
    if expected is None:
        if scenario is not None:
            expected, reasons = expected_from_scenario(scenario)
        else:
            expected = {"candidacy": "proceed"}
    roll, geometry = 0.0, None
    if scenario is not None:
        roll = float(scenario.carm.patient_roll_deg)
        geometry = scenario.carm.geometry
    outline = None
    if patient is not None:
        incl = endplate_inclinations_deg(patient)
        outline = outline_of(patient, lm)        # measured once per patient (round 26)
        vol_ml = body_volume_ml(patient) if body_ml is None else float(body_ml)
    else:
        incl = landmark_inclinations_deg(lm)
        vol_ml = _landmark_body_volume_ml(lm)
    kw = {} if geometry is None else {"geometry": geometry}
    bip = False
    if scenario is not None:                      # [targets] approach = "bipedicular" (scenario advice)
        advice = getattr(scenario, "advice", None) or {}
        bip = str(advice.get("approach", "")).lower() == "bipedicular"
    return ScoringContext(
        landmarks=lm, targets=targets, expected_decisions=dict(expected), decision_reasons=dict(reasons or {}),
        patient_roll_deg=roll, vertebra_rotation_deg=float(lm.axial_rotation_deg), endplate_incl_deg=incl, body_volume_ml=vol_ml,
        cement_points_mm=None if cement_points_mm is None else np.asarray(cement_points_mm, float).reshape(-1, 3),
        final_leaks=final_leaks, bipedicular=bip,
        neural_cement_ml=None if neural_cement_ml is None else dict(neural_cement_ml),
        canal_wall_temperature_c=None if canal_wall_temperature_c is None else float(canal_wall_temperature_c),
        scenario_id="" if scenario is None else str(scenario.id),
        scenario_sha256="" if scenario is None else scenario.sha256, posterior_outline=outline, **kw)
