"""Where the expert line aims: the medial half of the hemi-body at near-sagittal thoracic pedicles.

Oracles: FACTS.md 2 (bipedicular: each tip in the medial half of its hemi-body; the medial-wall
rule: the tip does not pass the medial pedicle line on AP before the posterior body wall; the
target zone between the endplates), hand computations from the landmarks, and the label volume
(the bone round the trocar's shaft is looked up voxel by voxel, not through the planner's model).
"""

import numpy as np
import pytest

from trainer.core.anatomy.labels import BONE_LABELS
from trainer.core.procedure.plans import TARGET_DEPTH_FRACTION, expert_direction, expert_line, expert_target_mm
from trainer.core.procedure.tissue import labels_at
from trainer.core.procedure.trocar import DEFAULT_GAUGE, GAUGES_MM
from trainer.core.procedure.walls import PEDICLE_WALLS
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring import score
from trainer.core.scoring.validity import EXPERT, play

SIDES = ("left", "right")


@pytest.fixture(scope="module", params=["t11-bipedicular", "t12-biconcave"])
def thoracic(request):
    sc = load_scenario(request.param)
    return sc, patient_for(sc)


class _LandmarksOnly:
    """The patient as the GUI driver knows it (no label volume)."""

    def __init__(self, landmarks):
        self.landmarks = landmarks


def _hemibody(lm, side, x):
    sign = 1.0 if lm.pedicle(side).centre_mm[0] > lm.body_centre_mm[0] else -1.0
    return sign * (x - lm.body_centre_mm[0]) / (0.5 * lm.body_width_mm)


def _side_line(thoracic, side):
    """The patient, its landmarks, the side's pedicle, the expert entry and target (mm), and the unit direction."""
    _, patient = thoracic
    entry, target = expert_line(patient, side)
    lm = patient.landmarks
    return patient, lm, lm.pedicle(side), entry, target, (target - entry) / np.linalg.norm(target - entry)


def _rot_z(v, deg):
    t = np.radians(deg)
    return np.array([np.cos(t) * v[0] - np.sin(t) * v[1], np.sin(t) * v[0] + np.cos(t) * v[1], v[2]])


@pytest.mark.parametrize("side", SIDES)
def test_the_documented_turn_leaves_the_thoracic_tip_lateral_and_the_plan_brings_it_into_the_medial_half(
        thoracic, side):
    _, patient = thoracic
    lm = patient.landmarks
    ped = lm.pedicle(side)
    # hand computation: the pedicle axis turned the documented 5 deg medially about the isthmus centre
    d = _rot_z(np.asarray(ped.axis), (-5.0 if side == "left" else 5.0))
    c = np.asarray(ped.centre_mm)
    y = lm.posterior_wall_y_mm - TARGET_DEPTH_FRACTION * lm.body_depth_mm
    x5 = c[0] + (y - c[1]) / d[1] * d[0]
    assert _hemibody(lm, side, x5) > 0.5                 # T11 0.55, T12 0.68: outside the medial half
    t = expert_target_mm(patient, side)
    assert t[1] == pytest.approx(y)
    assert 0.0 < _hemibody(lm, side, t[0]) <= 0.45       # FACTS.md 2: the medial half, with a margin


@pytest.mark.parametrize("side", SIDES)
def test_the_converging_line_keeps_the_medial_wall_rule_and_aims_between_the_endplates(thoracic, side):
    patient, lm, ped, entry, target, d = _side_line(thoracic, side)
    sign = 1.0 if side == "left" else -1.0
    # on AP, where the line reaches the posterior body wall it is still lateral to the medial pedicle line
    at_wall = entry + (lm.posterior_wall_y_mm - entry[1]) / d[1] * d
    assert sign * (at_wall[0] - ped.medial_wall_x_mm) >= 1.0
    # on the lateral, the target halfway between the endplates at the body's centre
    assert target[2] == pytest.approx(0.5 * (lm.superior_endplate_z_mm + lm.inferior_endplate_z_mm), abs=0.05)
    # more medial than the pedicle axis turned 5 deg, and entering on the lateral half of the pedicle
    at_isthmus = entry + (ped.centre_mm[1] - entry[1]) / d[1] * d
    assert sign * (at_isthmus[0] - ped.centre_mm[0]) > 0.0
    assert np.allclose(d, expert_direction(patient, side))


@pytest.mark.parametrize("side", SIDES)
def test_the_shaft_has_bone_all_round_it_through_the_pedicle(thoracic, side):
    """The labelled bone (not the planner's ellipse) round an 11 G shaft, from 5 mm into the pedicle to the body."""
    patient, lm, ped, entry, target, d = _side_line(thoracic, side)
    a = np.cross(d, [0.0, 0.0, 1.0])
    a /= np.linalg.norm(a)
    b = np.cross(d, a)
    r = 0.5 * GAUGES_MM[DEFAULT_GAUGE]
    start = entry + (ped.entry_mm[1] - entry[1]) / d[1] * d + 5.0 * d
    stop_y = lm.posterior_wall_y_mm
    n = int(np.ceil((start[1] - stop_y) / -d[1] / 0.25))
    axis_pts = start + np.arange(n)[:, None] * 0.25 * d
    ang = np.linspace(0.0, 2 * np.pi, 16, endpoint=False)
    ring = r * (np.cos(ang)[:, None] * a + np.sin(ang)[:, None] * b)
    pts = (axis_pts[:, None, :] + ring[None]).reshape(-1, 3)
    assert np.isin(labels_at(patient, pts), [int(v) for v in BONE_LABELS]).all()


@pytest.mark.parametrize("side", SIDES)
def test_the_gui_driver_patient_gets_the_same_line(thoracic, side):
    _, patient = thoracic
    with_volume = expert_line(patient, side)
    landmarks_only = expert_line(_LandmarksOnly(patient.landmarks), side)
    assert np.allclose(with_volume[0], landmarks_only[0]) and np.allclose(with_volume[1], landmarks_only[1])


def test_the_bipedicular_expert_passes_with_both_tips_in_the_medial_half_and_no_breach(thoracic):
    sc, patient = thoracic
    proc = play(sc, patient, 0, EXPERT)
    walls = [e.data for e in proc.events if e.kind == "wall_crossed"]
    assert not any(w["wall"] in PEDICLE_WALLS or w["tissue_to"] in ("canal", "foramen_left", "foramen_right")
                   for w in walls)
    assert not any(e.kind == "breach" for e in proc.events)
    r = score(proc)
    assert r.passed and r.failed_rules == []
    for metric in ("medial_wall_rule", "breach_grade", "canal_foramen_breach", "tip_hemibody", "tip_depth",
                   "tip_endplates", "entry_point"):
        assert r.metric(metric).status == "pass", (metric, r.metric(metric).detail)
    # the tips where injection started, against the hand-computed hemi-body fraction
    lm = patient.landmarks
    tips = [e.data["tip_mm"] for e in proc.events if e.kind == "cement_injected"]
    by_side = {("left" if t[0] > lm.body_centre_mm[0] else "right"): t for t in tips}   # +x is left
    assert set(by_side) == set(SIDES)
    for side, tip in by_side.items():
        assert 0.0 < _hemibody(lm, side, tip[0]) <= 0.5


def _angle_deg(u, v):
    return np.degrees(np.arccos(np.clip(u @ v / np.linalg.norm(u) / np.linalg.norm(v), -1, 1)))


@pytest.mark.parametrize("sid", ["l1-wedge-default", "l3-crush-grade3", "l4-wide-pedicles"])
def test_lumbar_lines_keep_the_documented_turn_about_the_isthmus_centre(sid):
    patient = patient_for(load_scenario(sid))
    lm = patient.landmarks
    z_mid = 0.5 * (lm.superior_endplate_z_mm + lm.inferior_endplate_z_mm)
    for side in SIDES:
        ped = lm.pedicle(side)
        entry, target = expert_line(patient, side)
        d = (target - entry) / np.linalg.norm(target - entry)
        c = np.asarray(ped.centre_mm)
        axis = np.asarray(ped.axis)
        # the line passes through the isthmus centre, to within 4 mm of the midline, turned medially (seen from
        # above) by at most the documented 5 deg from the axis
        assert np.linalg.norm(np.cross(c - entry, d)) < 1e-6
        assert _angle_deg(d * [1, 1, 0], axis * [1, 1, 0]) <= 5.0 + 1e-6
        assert abs(target[0] - lm.body_centre_mm[0]) <= 4.0 + 1e-6
        caudal = np.degrees(np.arctan2(-d[2], abs(d[1])))
        if sid == "l4-wide-pedicles":
            # the pedicle's own 2 deg leave the tip 5.5 mm above mid-height, in the body's cranial third (22.4 mm
            # between the endplates: the middle third is +/-3.7 mm); aimed caudally to mid-height, inside FACTS.md
            # 2's 10-15 deg, and the same line for the GUI driver's landmarks-only patient
            assert target[2] == pytest.approx(z_mid, abs=1e-6)
            assert 10.0 <= caudal <= 15.0
            gui = expert_line(_LandmarksOnly(lm), side)
            assert np.allclose(gui[0], entry) and np.allclose(gui[1], target)
        else:
            # tips below the cranial third (L1 +1.0 mm of 16.6, L3 crush -3.0 of 12.4): the pedicle's own line,
            # within 5 deg of its axis in 3D
            assert target[2] - z_mid <= (lm.superior_endplate_z_mm - lm.inferior_endplate_z_mm) / 6.0
            assert _angle_deg(d, axis) <= 5.0 + 1e-6
