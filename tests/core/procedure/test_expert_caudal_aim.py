"""The expert line's caudal aim: a pedicle that leaves the tip high in the body is aimed down to mid-height.

Oracles: FACTS.md 2 (aim 10-15 deg caudal; the target zone between the endplates) and hand computations on an
analytic L4-like phantom (tests/core/procedure/procedure_phantom.py: endplates at z = +/-12 mm, posterior wall
y = 16, anterior wall y = -16; pedicles 8 x 14 mm through (+/-13, 25, z) mm, 12 deg medial, no sagittal angle),
given to the planner as landmarks only (the GUI driver's patient, no label volume: about 0.1 s).
"""

from dataclasses import replace

import numpy as np
import pytest

from tests.core.procedure.procedure_phantom import make_phantom
from trainer.core.procedure.plans import expert_direction, expert_line, expert_target_mm

SIDES = ("left", "right")
#: the target's depth on the phantom: 0.75 of the 32 mm body from the posterior wall (y = 16 - 24)
Y_TARGET = -8.0
#: from the isthmus centre (y = 25) to the target, along y (mm)
RUN_Y = 33.0


class _LandmarksOnly:
    def __init__(self, landmarks):
        self.landmarks = landmarks


@pytest.fixture(scope="module")
def phantom_landmarks():
    return make_phantom(voxel_mm=1.0).landmarks


def _raised(lm, z_mm):
    """The phantom with both pedicles moved ``z_mm`` up (an L4-like pedicle in the upper half of the body)."""
    peds = {}
    for side in SIDES:
        p = lm.pedicle(side)
        dz = np.array([0.0, 0.0, z_mm])
        peds[side] = replace(p, centre_mm=tuple(np.asarray(p.centre_mm) + dz),
                             entry_mm=tuple(np.asarray(p.entry_mm) + dz),
                             body_junction_mm=tuple(np.asarray(p.body_junction_mm) + dz))
    return _LandmarksOnly(replace(lm, pedicle_left=peds["left"], pedicle_right=peds["right"]))


def _caudal_deg(d):
    return np.degrees(np.arctan2(-d[2], abs(d[1])))


@pytest.mark.parametrize("side", SIDES)
def test_a_pedicle_line_that_leaves_the_tip_in_the_cranial_third_is_aimed_to_mid_height(phantom_landmarks, side):
    patient = _raised(phantom_landmarks, 7.0)
    target = expert_target_mm(patient, side)
    d = expert_direction(patient, side)
    # hand: along the pedicle (no sagittal angle) the tip would stay at z = 7, above the middle third (|z| <= 4);
    # aimed at mid-height it drops 7 mm over the 33 mm run: atan(7/33) = 11.98 deg, inside FACTS' 10-15 deg
    assert target[1] == pytest.approx(Y_TARGET)
    assert target[2] == pytest.approx(0.0, abs=1e-6)
    assert _caudal_deg(d) == pytest.approx(np.degrees(np.arctan(7.0 / RUN_Y)), abs=1e-6)
    assert 10.0 <= _caudal_deg(d) <= 15.0
    # still through the isthmus centre, and the medial turn (seen from above) untouched: the target's x is the
    # one of the untilted line (the documented turn, 15.5 deg from the y axis: 13 - 33 tan 15.5 = 3.85 mm)
    entry, tgt = expert_line(patient, side)
    c = np.asarray(patient.landmarks.pedicle(side).centre_mm)
    assert np.linalg.norm(np.cross(c - entry, d)) < 1e-6
    assert abs(tgt[0]) == pytest.approx(13.0 - RUN_Y * np.tan(np.radians(15.5)), abs=1e-6)


@pytest.mark.parametrize("side", SIDES)
def test_the_caudal_aim_stops_at_the_documented_15_deg(phantom_landmarks, side):
    patient = _raised(phantom_landmarks, 10.0)
    target = expert_target_mm(patient, side)
    # hand: mid-height would take atan(10/33) = 16.9 deg; the aim stops at 15 deg, 10 - 33 tan 15 = 1.16 mm up
    assert _caudal_deg(expert_direction(patient, side)) == pytest.approx(15.0, abs=1e-6)
    assert target[2] == pytest.approx(10.0 - RUN_Y * np.tan(np.radians(15.0)), abs=1e-6)


@pytest.mark.parametrize("side", SIDES)
def test_a_tip_in_the_middle_third_keeps_the_pedicle_line(phantom_landmarks, side):
    patient = _raised(phantom_landmarks, 3.0)
    # hand: along the level pedicle the tip stays at z = 3 mm, inside the middle third (24 mm / 6 = 4 mm)
    assert expert_target_mm(patient, side)[2] == pytest.approx(3.0, abs=1e-9)
    assert expert_direction(patient, side)[2] == pytest.approx(0.0, abs=1e-12)
