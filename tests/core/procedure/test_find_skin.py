"""find_skin on a hand-built patient whose skin is a one-voxel staircase (geometry by hand).

The context volume has 2 mm voxels, centres at x = 2 i, y = 2 j, z = 2 k mm (i, j = 0..7,
k = 0..2), so voxel (i, j) spans x 2i-1..2i+1 and y 2j-1..2j+1.  The body is every voxel
with i + j >= 7 (a diagonal outline, a staircase of voxels); its rim, the voxels with an
air neighbour in the slice (i + j == 7), is skin, the rest (i + j >= 8) fat: the one-voxel,
4-connected skin shell the CT import makes.  Along the diagonal x = y the line goes from
air voxel (3, 3) to fat voxel (4, 4) through their shared corner x = y = 7 mm, where the
skin voxels (4, 3) and (3, 4) touch it; sampling every 0.25 mm never lands on skin there.
"""

import numpy as np
import pytest

from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.patient import Patient
from trainer.core.procedure.trocar import find_skin


@pytest.fixture(scope="module")
def staircase():
    ctx = Grid(shape=(3, 8, 8), spacing_xyz_mm=(2.0, 2.0, 2.0), origin_mm=(0.0, 0.0, 0.0))
    j, i = np.mgrid[0:8, 0:8]
    plane = np.full((8, 8), Label.AIR, np.uint8)
    plane[i + j == 7] = Label.SKIN
    plane[i + j >= 8] = Label.FAT
    lab = np.repeat(plane[None], 3, axis=0)
    hu = np.where(lab == Label.AIR, -1000, -100).astype(np.int16)
    # the fine volume (air) lies away from every line below: the context answers
    fine = Grid(shape=(4, 4, 4), spacing_xyz_mm=(1.0, 1.0, 1.0), origin_mm=(100.0, 100.0, 100.0))
    empty = Volume(np.full(fine.shape, -1000, np.int16), np.zeros(fine.shape, np.uint8), fine)
    return Patient(volume=empty, landmarks=None, context=[Volume(hu, lab, ctx)], source="test staircase")


def test_a_line_through_the_skin_voxels_corner_meets_the_skin_there(staircase):
    # x = y, z = 2: air (3, 3) -> corner (7, 7) -> fat (4, 4); the puncture is the corner
    skin = find_skin(staircase, (1.0, 1.0, 2.0), (13.0, 13.0, 2.0))
    assert skin is not None
    assert np.allclose(skin, (7.0, 7.0, 2.0), atol=1e-9)


def test_a_line_grazing_a_skin_voxels_corner_meets_the_skin_in_it(staircase):
    # y = x + 0.1: leaves air voxel (3, 3) at y = 7 (x = 6.9), crosses skin voxel (i 3, j 4)
    # for 0.14 mm (x 6.9..7.0), then fat (4, 4); the middle of that span is (6.95, 7.05)
    skin = find_skin(staircase, (1.0, 1.1, 2.0), (13.0, 13.1, 2.0))
    assert skin is not None
    assert np.allclose(skin, (6.95, 7.05, 2.0), atol=1e-9)


def test_a_line_across_a_skin_face_keeps_the_first_skin_sample(staircase):
    # y = 2 (j 1): skin voxel i 6 spans x 11..13; the first 0.25 mm sample there is x = 11
    skin = find_skin(staircase, (0.0, 2.0, 2.0), (10.0, 2.0, 2.0))
    assert skin is not None
    assert np.allclose(skin, (11.0, 2.0, 2.0), atol=1e-9)


def test_lines_that_meet_nothing_or_the_volumes_edge_in_fat_find_no_skin(staircase):
    assert find_skin(staircase, (1.0, 1.0, 20.0), (13.0, 13.0, 20.0)) is None      # above the volume
    # down through the top face (z 5) into fat voxel (7, 7): the crop edge, not skin
    assert find_skin(staircase, (14.0, 14.0, 10.0), (14.0, 14.0, 0.0)) is None
    # down through the top face just beside the skin voxel (6, 1)'s top: fat (7, 1) first
    assert find_skin(staircase, (14.0, 2.0, 10.0), (14.0, 2.0, 0.0)) is None
