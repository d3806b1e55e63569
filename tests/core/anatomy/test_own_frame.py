"""A turned vertebra's own frame (issue 12, docs/realct-log.md pass 87): the resampling both the landmark
estimate and the labelling use (``ct_turn.sampled_turned``), and the landmarks' map from the patient's frame
to the vertebra's (``Landmarks.own_mm``, ``point_at_depth``), checked against hand computations."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from trainer.core.anatomy.ct_turn import rotation_about_z, sampled_turned, turned_bounds
from trainer.core.anatomy.grid import Grid
from trainer.core.anatomy.landmarks import Landmarks, PedicleLandmarks

TURN_DEG = 30.0
CENTRE = (10.0, 20.0, -5.0)


def _turned(p_own, centre=CENTRE, deg=TURN_DEG):
    """Hand computation: a point given in the vertebra's frame, in the patient's (turned by ``deg`` about the
    vertical through ``centre``: (x, y) counter-clockwise, the front towards +x)."""
    t = math.radians(deg)
    x, y = p_own[0] - centre[0], p_own[1] - centre[1]
    return (centre[0] + math.cos(t) * x - math.sin(t) * y, centre[1] + math.sin(t) * x + math.cos(t) * y, p_own[2])


def _landmarks(turn_deg: float) -> Landmarks:
    ped = {k: PedicleLandmarks(side=k, centre_mm=(0.0, 0.0, 0.0), axis=(0.0, -1.0, 0.0), width_mm=8.0, height_mm=14.0,
                               medial_angle_deg=10.0, sagittal_angle_deg=0.0, entry_mm=(0.0, 10.0, 0.0),
                               body_junction_mm=(0.0, -10.0, 0.0), medial_wall_x_mm=0.0, lateral_wall_x_mm=0.0)
           for k in ("left", "right")}
    return Landmarks(level="L1", body_centre_mm=CENTRE, superior_endplate_z_mm=10.0, inferior_endplate_z_mm=-20.0,
                     posterior_wall_y_mm=35.0, anterior_wall_y_mm=-10.0, body_width_mm=40.0, anterior_height_mm=25.0,
                     middle_height_mm=25.0, posterior_height_mm=25.0, pedicle_left=ped["left"],
                     pedicle_right=ped["right"], spinous_tip_mm=(0.0, 80.0, 0.0), canal_centre_mm=(0.0, 45.0, 0.0),
                     canal_width_mm=20.0, canal_depth_mm=15.0, skin_y_mm=100.0,
                     basivertebral_foramen_mm=(0.0, 35.0, 0.0), axial_rotation_deg=turn_deg,
                     own_frame_turn_deg=turn_deg)


def test_a_point_of_a_turned_vertebra_reads_square_in_its_own_frame():
    lm = _landmarks(TURN_DEG)
    own = (14.0, 53.0, 7.0)
    assert lm.own_mm(_turned(own)) == pytest.approx(own, abs=1e-9)
    # a line turned with the vertebra reaches the own frame's depth where the hand computation puts it
    start, end = _turned((16.0, 80.0, 0.0)), _turned((12.0, 0.0, 0.0))
    d = np.subtract(end, start)
    assert lm.point_at_depth(start, d, 40.0) == pytest.approx(_turned((14.0, 40.0, 0.0)), abs=1e-9)
    assert lm.along_to_depth(start, d, 40.0) == pytest.approx(0.5)


def test_an_unturned_frame_is_the_patients_and_is_not_written():
    lm = _landmarks(0.0)
    p = (3.0, -4.0, 5.0)
    assert lm.own_mm(p) == pytest.approx(p)
    assert lm.point_at_depth((0.0, 80.0, 0.0), (1.0, -2.0, 0.0), 40.0) == pytest.approx((20.0, 40.0, 0.0))
    assert "own_frame_turn_deg" not in lm.to_json()
    assert dataclasses.replace(lm, own_frame_turn_deg=12.5).to_json()["own_frame_turn_deg"] == 12.5


def test_a_label_volume_turned_a_quarter_turn_is_the_arrays_quarter_rotation():
    """Nearest-neighbour sampling turned by 90 deg about a voxel centre is a permutation of the voxels:
    np.rot90 of each slice (the oracle), on a grid holding the turned box (``turned_bounds``)."""
    rng = np.random.default_rng(5)
    grid = Grid((3, 9, 9), (1.0, 1.0, 2.0), (-4.0, -4.0, 0.0))          # centre voxel at x = y = 0
    labels = rng.integers(0, 12, grid.shape).astype(np.uint8)
    rot = rotation_about_z(90.0)
    lo, hi = turned_bounds(grid.origin_mm, grid.upper_mm, (0.0, 0.0, 0.0), rot)
    out_grid = Grid.from_bounds(lo, hi, grid.spacing_xyz_mm)
    assert out_grid.shape == grid.shape
    out = sampled_turned(labels, grid, out_grid, (0.0, 0.0, 0.0), rot, order=0, cval=0.0, output=np.uint8)
    # the own frame's point (x, y) lies at the CT's (-y, x): out[k, j, i] = labels[k, i, 8 - j]
    assert np.array_equal(out, np.rot90(labels, k=1, axes=(1, 2)))
