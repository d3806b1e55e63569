"""The vertebra's own axial rotation measured by mirror symmetry (round 22, the true AP of a real CT).

Oracle: a synthetic vertebra (built unturned, symmetric about x = 0) turned by hand about the long
axis through its body centre by a known angle (the voxels resampled with SciPy); the measurement must
give that angle back, with the project's sign (positive: the front turned towards the patient's left).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from trainer.core.anatomy.axial_rotation import mirror_rotation_deg, true_ap_orbital_deg, true_lateral_orbital_deg
from trainer.core.anatomy.grid import Volume
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring.context import build_context

#: resolution of the answer (0.1 deg) plus the linear resampling of the turned voxels
TOLERANCE_DEG = 0.5


@pytest.fixture(scope="module")
def synthetic():
    sc = load_scenario("l1-wedge-default")
    return sc, patient_for(sc)


def _turned(volume: Volume, deg: float) -> Volume:
    """``volume`` turned by ``deg`` about the z axis through the origin (the body centre): the content at
    (x, y) moves to Rz(deg) (x, y), so a positive turn carries the front (-y) towards +x."""
    g = volume.grid
    x, y = g.axis_mm("x"), g.axis_mm("y")
    yy, xx = np.meshgrid(y, x, indexing="ij")
    t = np.radians(deg)
    sx = np.cos(t) * xx + np.sin(t) * yy          # Rz(-deg) of the output point: where it came from
    sy = -np.sin(t) * xx + np.cos(t) * yy
    ci, cj = (sx - x[0]) / g.spacing_xyz_mm[0], (sy - y[0]) / g.spacing_xyz_mm[1]
    hu = np.stack([ndi.map_coordinates(sl.astype(np.float32), [cj, ci], order=1, cval=-1000.0) for sl in volume.hu])
    return Volume(hu=hu, labels=volume.labels, grid=g)


def _measure(patient, volume: Volume) -> float:
    lm = patient.landmarks
    pivot = 0.5 * (np.asarray(lm.pedicle_left.centre_mm) + np.asarray(lm.pedicle_right.centre_mm))
    return mirror_rotation_deg(volume, pivot, lm.inferior_endplate_z_mm, lm.superior_endplate_z_mm)


@pytest.mark.parametrize("deg", [-8.0, 0.0, 6.0])
def test_a_vertebra_turned_by_hand_is_measured_turned_by_that_much(synthetic, deg):
    _, patient = synthetic
    got = _measure(patient, _turned(patient.volume, deg))
    assert abs(got - deg) <= TOLERANCE_DEG, (got, deg)


def test_a_synthetic_patient_is_unturned_and_its_true_ap_is_the_roll(synthetic):
    sc, patient = synthetic
    assert patient.landmarks.axial_rotation_deg == 0.0
    rolled = load_scenario("l1-rotated-8deg")
    ctx = build_context(rolled, patient=patient_for(rolled))
    assert ctx.true_ap_orbital_deg == 8.0 == rolled.carm.patient_roll_deg


def test_the_true_ap_turns_against_the_vertebra_and_the_lateral_is_90_deg_on():
    # the front turned 7 deg to the left: the beam follows at orbital -7 (docs/imaging.md), lateral at 83
    assert true_ap_orbital_deg(0.0, 7.0) == -7.0
    assert true_lateral_orbital_deg(-7.0) == 83.0
    assert true_ap_orbital_deg(8.0, 0.0) == 8.0 and true_lateral_orbital_deg(8.0) == 98.0
