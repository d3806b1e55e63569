"""Two labelled bodies compared on the CT's frame (ct_label_centre._same_body_dice), by hand."""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.grid import Grid
from trainer.core.scenario.ct_label_centre import _same_body_dice


def _body(shape, box, origin_mm, sp=(0.5, 0.5, 0.5)):
    m = np.zeros(shape, bool)
    m[box] = True
    g = Grid(shape, sp, (0.0, 0.0, 0.0))
    return m, g, np.asarray(origin_mm, float)


def test_the_same_voxels_on_grids_a_whole_voxel_apart_are_the_same_body():
    # a 2 x 2 x 2 cube at CT x 1.0-1.5 mm: index 2-3 on a grid from 0, index 1-2 on a grid from 0.5 mm
    a = _body((4, 4, 6), (slice(1, 3), slice(1, 3), slice(2, 4)), (0.0, 0.0, 0.0))
    b = _body((4, 4, 6), (slice(1, 3), slice(1, 3), slice(1, 3)), (0.5, 0.0, 0.0))
    assert _same_body_dice(a, b) == 1.0


def test_a_cube_moved_one_voxel_keeps_half_its_voxels():
    # the same grid, the cube one voxel further in x: 4 of 8 voxels shared, Dice 2 * 4 / 16 = 0.5
    a = _body((4, 4, 6), (slice(1, 3), slice(1, 3), slice(2, 4)), (0.0, 0.0, 0.0))
    b = _body((4, 4, 6), (slice(1, 3), slice(1, 3), slice(3, 5)), (0.0, 0.0, 0.0))
    assert _same_body_dice(a, b) == 0.5


def test_grids_off_the_lattice_are_not_compared():
    a = _body((4, 4, 6), (slice(1, 3), slice(1, 3), slice(2, 4)), (0.0, 0.0, 0.0))
    b = _body((4, 4, 6), (slice(1, 3), slice(1, 3), slice(2, 4)), (0.25, 0.0, 0.0))
    assert _same_body_dice(a, b) == 0.0
