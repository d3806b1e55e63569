"""The posterior wall read at the canal's column decides a voxel exactly 3 mm beside the canal's centre, or exactly at
its row, the same way whatever the float rounding of that centre.

The canal's centre is a centroid of voxel centres, so on 3 mm voxels it is often a voxel's own x or y to within
1e-13 mm.  ``wall_by_slice`` reads the columns within 3 mm of it and the rows in front of it; a bound met by the
rounding on one grid and missed on another (the abdominal CT cut to a 200 mm view, its origin moved 30 nm by a DICOM
round trip) moved L2's right pedicle from 1.7 to 9.4 mm off the reference mask's (docs/realct-log.md, pass 188).
Oracle: the hand-placed wall voxel's front face."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.core.anatomy.ct_pedicle import wall_by_slice
from trainer.core.anatomy.grid import Grid


@pytest.mark.parametrize("noise_mm", [-1e-12, 0.0, 1e-12])
@pytest.mark.parametrize("side", [-1, 1])
def test_a_wall_voxel_3_mm_beside_the_canal_centre_is_read_whatever_the_rounding(noise_mm, side):
    grid = Grid((3, 20, 20), (3.0, 3.0, 3.0), (-59.043670654296875, -197.31900024414062, 310.3017578125))
    x, y = grid.axis_mm("x"), grid.axis_mm("y")
    hu = np.zeros(grid.shape, np.int16)
    i_c, j_c, j_wall = 10, 12, 9                      # the wall 3 rows (9 mm) in front of the canal's centre
    hu[:, j_wall, i_c + side] = 300                   # in the column 3 mm beside the centre only
    centre = (float(x[i_c]) + noise_mm, float(y[j_c]) + noise_mm)
    far_back = float(y[j_c]) + 10.0                   # the wall given when none is read: behind the canal
    out = wall_by_slice(hu, grid, centre, far_back, wall_hu=200.0, max_y_mm=far_back)
    # the wall voxel's back face (the side facing the canal), on every slice
    assert np.allclose(out, y[j_wall] + 1.5)


@pytest.mark.parametrize("noise_mm", [-1e-12, 1e-12])
def test_the_canal_centre_row_itself_is_never_read_as_wall(noise_mm):
    """A bone voxel at the canal centre's own row (a centroid on a voxel centre) lies at, not in front of, the centre:
    not the wall, whichever way its y rounds; the wall in front of it is read."""
    grid = Grid((3, 20, 20), (3.0, 3.0, 3.0), (-59.043670654296875, -197.31900024414062, 310.3017578125))
    x, y = grid.axis_mm("x"), grid.axis_mm("y")
    hu = np.zeros(grid.shape, np.int16)
    hu[:, 12, 10] = 300                               # at the centre's row
    hu[:, 10, 10] = 300                               # 6 mm in front: the wall
    out = wall_by_slice(hu, grid, (float(x[10]), float(y[12]) + noise_mm), 0.0, wall_hu=200.0, max_y_mm=100.0)
    assert np.allclose(out, y[10] + 1.5)
