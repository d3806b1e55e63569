"""The debrief's fill percentage and the cement model divide by one body volume (issue 11)."""

import numpy as np
import pytest

from trainer.core.anatomy.labels import Label
from trainer.core.procedure.cement.domain import body_volume_ml
from trainer.core.procedure.expert_plan import expert_actions
from trainer.core.procedure.machine import Procedure
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring import context_for_procedure, score


@pytest.fixture(scope="module")
def treated():
    sc = load_scenario(None)
    patient = patient_for(sc)
    proc = Procedure(sc, patient=patient, render=False)
    for a in expert_actions(sc, patient, volume_ml=3.0):
        proc.apply(a)
    assert proc.cement is not None and proc.cement.in_body_ml > 1.0
    return proc


def test_scoring_and_the_cement_model_use_the_same_body_volume(treated):
    model_ml = treated.cement.domain.body_volume_ml
    assert context_for_procedure(treated).body_volume_ml == model_ml
    assert body_volume_ml(treated.patient) == pytest.approx(model_ml, rel=1e-12)   # measured afresh


def test_the_debrief_fill_percentage_is_the_model_fill_fraction(treated):
    fill = next(m for m in score(treated).metrics if m.id == "fill_fraction")
    # scoring reads the in-body volume from the events, which record it to 1e-6 mL: the same
    # body volume gives the same percentage to within that rounding (the debrief shows 0.1 %)
    assert fill.value == pytest.approx(100.0 * treated.cement.fill_fraction, abs=100.0 * 1e-6 / 10.0)


def test_the_body_volume_lies_between_its_bone_and_its_bounding_box(treated):
    # independent bounds: the bone voxels alone, and the box around them (hand measure on the labels)
    vol = treated.patient.volume
    bone = np.isin(vol.labels, [Label.BODY_CORTEX, Label.CANCELLOUS, Label.CLEFT])
    voxel_ml = vol.grid.voxel_volume_mm3 / 1000.0
    k, j, i = np.nonzero(bone)
    box_ml = (np.ptp(k) + 1) * (np.ptp(j) + 1) * (np.ptp(i) + 1) * voxel_ml
    got = treated.cement.domain.body_volume_ml
    assert bone.sum() * voxel_ml <= got < 0.8 * box_ml     # an elliptic cylinder fills pi/4 of its box
