"""The expert line on a real CT is continuous in its pedicle landmarks (issue 12, round 19, docs/realct-log.md
sixty-third pass).

The abdominal L2 right, imported with the reference body centre as the one given point.  Its pedicle landmarks are
read on 1 mm voxels; a tenth of a voxel along the pedicle's axis is well inside what the estimate can tell apart.
Oracles: the angle between two unit directions (a hand computation), and the score policy's medial-wall rule for
the 15 deg too-medial plan.  On main of round 18 (76a6559) the expert line turned 5.25 deg when the entry landmark
moved 0.1 mm towards the skin (the plan's clearance read the bone at a voxel sample that fell into the breach zone or
not), and the too-medial plan turned from it stayed 0.75 mm lateral of the AP medial wall line: it breached the
pedicle but failed no medial rule.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import realct_sources as sources
from realct_cases import scenario_at_reference

from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.procedure.expert_plan import ExpertPlan, play_expert
from trainer.core.procedure.machine import Procedure
from trainer.core.procedure.plans import expert_direction
from trainer.core.scoring import score

#: one abdominal level imported and five lines planned: about 40 s of CPU on the loaded 2-core machine
pytestmark = pytest.mark.slow

SIDE = "right"


@pytest.fixture(scope="module")
def l2(totalseg_ct, totalseg_series):
    """``(scenario, patient)`` of the abdominal L2."""
    root, folder = totalseg_series
    bone_hu = sources.column(totalseg_ct).thresholds.bone_hu
    sc, patient, _ = scenario_at_reference(totalseg_ct, read_ct_series(folder), root, "L2", bone_hu,
                                           "continuity-L2.toml")
    return sc, patient


def _moved(patient, landmark: str, mm: float):
    """``patient`` with its right pedicle's ``landmark`` moved ``mm`` along the pedicle axis (labels unchanged)."""
    lm = patient.landmarks
    ped = lm.pedicle(SIDE)
    p = np.asarray(getattr(ped, landmark), float) + mm * np.asarray(ped.axis, float)
    ped = dataclasses.replace(ped, **{landmark: tuple(float(v) for v in p)})
    return dataclasses.replace(patient, landmarks=dataclasses.replace(lm, pedicle_right=ped))


@pytest.mark.parametrize(("landmark", "mm"), [("entry_mm", -0.1), ("entry_mm", 0.1), ("centre_mm", 0.1)])
def test_a_tenth_of_a_millimetre_of_a_landmark_turns_the_expert_line_under_a_degree(l2, landmark, mm):
    """Main: 5.25 deg for the entry moved 0.1 mm back and for the centre moved 0.1 mm forward (two lines 5 deg
    apart, both reaching the same target); reached: 0 deg."""
    _, patient = l2
    d0 = expert_direction(patient, SIDE)
    d1 = expert_direction(_moved(patient, landmark, mm), SIDE)
    assert np.degrees(np.arccos(np.clip(d0 @ d1, -1.0, 1.0))) < 1.0


@pytest.mark.parametrize("mm", [0.0, -0.1])
def test_the_l2_right_too_medial_verdict_does_not_hang_on_a_tenth_of_a_millimetre(l2, mm):
    """The 15 deg too-medial plan fails the medial-wall rule with the entry landmark as estimated and moved
    0.1 mm back along the axis (main: failed rules none of medial_wall / canal_breach at -0.1 mm)."""
    sc, patient = l2
    patient = _moved(patient, "entry_mm", mm)
    proc = play_expert(Procedure(sc, patient=patient, render=False),
                       ExpertPlan(sides=(SIDE,), medial_error_deg=15.0))
    report = score(proc)
    assert not report.passed
    assert "medial_wall" in {f["rule"] for f in report.failed_rules}, report.failed_rules
