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


def _slab_volume() -> Volume:
    """A 3-slice CT (0.8 mm pixels, 2 mm slices): a bone ring and a process behind it, turned 7 deg, so that the
    mirror matches differ from pair to pair."""
    from trainer.core.anatomy.grid import Grid

    g = Grid((3, 120, 110), (0.8, 0.8, 2.0), (-44.0, -40.0, -2.0))
    x, y = g.axis_mm("x"), g.axis_mm("y")
    yy, xx = np.meshgrid(y, x, indexing="ij")
    t = np.radians(7.0)
    u, v = np.cos(t) * xx + np.sin(t) * yy, -np.sin(t) * xx + np.cos(t) * yy
    hu = np.where(np.abs(np.hypot(u, v + 5.0) - 14.0) < 3.0, 700.0, 0.0)
    hu = np.where((np.abs(u - 2.0) < 3.0) & (v > 12.0) & (v < 35.0), 450.0, hu)
    return Volume(hu=np.repeat(hu[None], 3, axis=0).astype(np.int16), labels=np.zeros(g.shape, np.uint8), grid=g)


def _oracle_match(volume: Volume, pivot, turn_deg: float, offset_mm: float) -> float:
    """The slab's bone correlated with its mirror image about the line through ``pivot`` moved ``offset_mm`` across
    it and turned ``turn_deg``: the points mirrored by the reflection matrix of the line's direction, each sampled
    by its own SciPy call (a different route to the same number)."""
    g = volume.grid
    img = np.clip((volume.hu.astype(np.float32) - 100.0) / 500.0, 0.0, 1.0).mean(axis=0)
    x, y = g.axis_mm("x"), g.axis_mm("y")
    yy, xx = np.meshgrid(y, x, indexing="ij")
    near = (np.hypot(xx - pivot[0], yy - pivot[1]) <= 45.0) & (img > 0.0)
    phi = np.radians(90.0 + turn_deg)              # the line's direction (the vertebra's midline)
    c = np.array(pivot[:2]) + offset_mm * np.array([np.cos(np.radians(turn_deg)), np.sin(np.radians(turn_deg))])
    refl = np.array([[np.cos(2 * phi), np.sin(2 * phi)], [np.sin(2 * phi), -np.cos(2 * phi)]])
    q = np.stack([xx[near], yy[near]]) - c[:, None]
    m = refl @ q + c[:, None]
    vals = np.array([ndi.map_coordinates(img, [[(my - y[0]) / 0.8], [(mx - x[0]) / 0.8]], order=1, cval=0.0)[0]
                     for mx, my in m.T], float)
    w = img[near].astype(float)
    return float(w @ vals / np.sqrt((w @ w) * (vals @ vals)))


def test_the_mirror_matches_are_the_correlations_with_the_mirror_image_one_sampled_point_at_a_time():
    from trainer.core.anatomy.axial_rotation import MirrorSearch

    vol, pivot = _slab_volume(), (0.5, 2.0, 0.0)
    search = MirrorSearch(vol, pivot, -1.0, 1.0)
    pairs = [(-9.0, 0.0), (0.0, 0.0), (7.0, -1.5), (7.0, 0.0), (12.5, 3.0)]
    got = search._matches(pairs)
    assert [(t, o) for _, t, o in got] == pairs
    for (score, t, o) in got:
        assert score == pytest.approx(_oracle_match(vol, pivot, t, o), abs=2e-6), (t, o)
    assert len({score for score, _, _ in got}) == len(pairs)         # a worked example that tells the pairs apart


def test_the_mirror_matches_do_not_depend_on_how_many_pairs_one_call_samples(monkeypatch):
    from trainer.core.anatomy import axial_rotation

    vol, pivot = _slab_volume(), (0.5, 2.0, 0.0)
    search = axial_rotation.MirrorSearch(vol, pivot, -1.0, 1.0)
    pairs = [(float(t), float(o)) for t in np.arange(-25.0, 25.01, 2.5) for o in np.arange(-6.0, 6.01, 1.5)]
    batched = search._matches(pairs)
    monkeypatch.setattr(axial_rotation, "_BATCH_POINTS", 1)           # one pair per call
    assert search._matches(pairs) == batched
    monkeypatch.setattr(axial_rotation, "_BATCH_POINTS", 7 * search._w.size)   # chunks of 7 pairs, one short
    assert search._matches(pairs) == batched
