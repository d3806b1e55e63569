"""Scripted approaches on the default scenario's real (synthetic) patient."""

import numpy as np
import pytest
from procedure_phantom import medial_rotation, rotate_z

from trainer.core.anatomy.builder import build_patient
from trainer.core.procedure.expert_plan import expert_actions
from trainer.core.procedure.machine import Procedure
from trainer.core.procedure.plans import TARGET_DEPTH_FRACTION, expert_target_mm
from trainer.core.procedure.walls import PEDICLE_WALLS, WallModel, gr_grade
from trainer.core.scenario.loader import load_scenario


@pytest.fixture(scope="module")
def world():
    sc = load_scenario()
    patient = build_patient(sc.anatomy)
    return sc, patient, WallModel(patient)


def _walls(proc):
    return [e.data for e in proc.events if e.kind == "wall_crossed"]


@pytest.mark.parametrize("side", ["left", "right"])
def test_expert_plan_reaches_the_anterior_third_without_a_pedicle_breach(world, side):
    sc, patient, walls = world
    proc = Procedure(sc, patient=patient, pixels=64, walls=walls)
    acts = expert_actions(sc, patient, side, 2.0)
    results = [proc.apply(a) for a in acts]
    assert all(r.accepted for r in results), [r.reason for r in results if not r.accepted]
    assert proc.finished and proc.trocar is None
    crossings = _walls(proc)
    inward = [c["wall"] for c in crossings if c["inward"]]
    assert inward == ["bone_entry", "body_posterior"]
    assert not any(c["wall"] in PEDICLE_WALLS for c in crossings)
    assert all(c["tissue_to"] != "canal" for c in crossings)
    deepest = max((e for e in proc.events if e.kind == "trocar_moved" and not e.data["removed"]),
                  key=lambda e: e.data["depth_mm"]).data
    assert deepest["tissue"] == "cancellous" and deepest["grade"] == 0 and deepest["medial_margin_mm"] > 0
    frac = patient.landmarks.depth_fraction(deepest["tip_mm"][1])
    assert frac == pytest.approx(TARGET_DEPTH_FRACTION, abs=0.02)
    assert np.allclose(deepest["tip_mm"], expert_target_mm(patient, side), atol=0.05)
    assert proc.cement.injected_ml == pytest.approx(2.0)
    assert proc.dose.shots == sum(a["type"] == "shot" for a in acts)


@pytest.mark.parametrize("side", ["left", "right"])
def test_fifteen_degrees_too_medial_enters_the_canal_through_the_medial_wall(world, side):
    sc, patient, walls = world
    ped = patient.landmarks.pedicle(side)
    # docked 10 mm behind the pedicle entry point on the ideal axis, then aimed 15 deg medially
    pivot = np.asarray(ped.entry_mm) - 10.0 * np.asarray(ped.axis)
    d = rotate_z(ped.axis, 15.0 * medial_rotation(side))
    proc = Procedure(sc, patient=patient, render=False, walls=walls)
    assert proc.apply({"type": "place", "side": side, "entry_mm": list(pivot - 40 * d),
                       "target_mm": list(pivot + 40 * d)}).accepted
    for _ in range(40):
        proc.apply({"type": "advance", "mm": 2.0})
    medial = [c for c in _walls(proc) if c["wall"] == "pedicle_medial" and not c["inward"]]
    assert medial, _walls(proc)
    first = medial[0]
    assert first["tissue_to"] == "canal" and first["side"] == side
    assert first["breach_mm"] >= 1.0 and first["grade"] == gr_grade(first["breach_mm"]) >= 1
    ev = next(e for e in proc.events if e.kind == "wall_crossed" and e.data is first)
    assert 0 < ev.t_s <= proc.t_s
    assert proc.trocar.grade >= 2 and proc.trocar.min_medial_margin_mm < 0
    breaches = [e.data for e in proc.events if e.kind == "breach"]
    assert [b["grade"] for b in breaches] == sorted({b["grade"] for b in breaches})     # one per new grade
    assert breaches[-1]["grade"] == proc.trocar.grade and breaches[-1]["wall"] == "pedicle_medial"
    assert gr_grade(breaches[-1]["breach_mm"]) == breaches[-1]["grade"]
    assert breaches[-1]["breach_mm"] <= proc.trocar.max_breach_mm


@pytest.mark.parametrize("sid", ["t9-small-pedicles", "l3-crush-grade3", "l4-wide-pedicles"])
def test_expert_plan_is_breach_free_on_other_levels(sid):
    sc = load_scenario(sid)
    patient = build_patient(sc.anatomy)
    proc = Procedure(sc, patient=patient, render=False)
    results = [proc.apply(a) for a in expert_actions(sc, patient, "left", 1.0)]
    assert all(r.accepted for r in results), [r.reason for r in results if not r.accepted]
    crossings = _walls(proc)
    assert not any(c["wall"] in PEDICLE_WALLS or c["tissue_to"] in ("canal", "foramen_left") for c in crossings)
    grades = [e.data["grade"] for e in proc.events if e.kind == "trocar_moved" and not e.data["removed"]]
    assert grades and max(grades) == 0
    assert not any(e.kind == "breach" for e in proc.events)
