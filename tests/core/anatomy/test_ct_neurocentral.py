"""The neurocentral row of a thoracic pedicle (trainer/core/anatomy/ct_neurocentral.py), on volumes made by hand.

Oracles: the half level of a profile and where it crosses, computed by hand below; which voxels join, counted by
hand on a one-slice label array."""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.ct_neurocentral import join_front_row, profile_wall_y_mm
from trainer.core.anatomy.grid import Grid
from trainer.core.anatomy.labels import Label

#: one slice, 12 rows of y (0..11 mm), 9 columns of x (-4..4 mm), 1 mm voxels
GRID = Grid(shape=(1, 12, 9), spacing_xyz_mm=(1.0, 1.0, 1.0), origin_mm=(-4.0, 0.0, 0.0))


def _profile_volume(profile_hu) -> np.ndarray:
    """Every column of the slice holding ``profile_hu`` along y."""
    return np.broadcast_to(np.asarray(profile_hu, float)[None, :, None], GRID.shape).copy()


def test_the_wall_is_where_the_profile_crosses_half_way_from_the_canal_floor_to_the_cortex_peak():
    """Body marrow 120 HU at y 0-3, the wall's cortex peaking at 300 HU at y 5, the canal's floor 40 HU at y 8 and
    behind.  Going forward from the canal centre (y 10) the first row of 100 HU or more is y 7 (140), the peak
    y 5 (300); the half level (300 + 40) / 2 = 170 lies between y 6 (220) and y 7 (140): 6 + (220 - 170) /
    (220 - 140) = 6.625 mm.  A lower threshold's first voxel (y 7) would lie 0.375 mm further back."""
    hu = _profile_volume([120, 120, 120, 120, 200, 300, 220, 140, 40, 40, 40, 40])
    wall = profile_wall_y_mm(hu, GRID, (0.0, 10.0))
    assert wall.shape == (1,)
    assert abs(wall[0] - 6.625) < 1e-9, wall


def test_no_wall_is_read_where_nothing_reaches_the_peak_level():
    """A canal with nothing of 100 HU in front of its centre: no wall (NaN)."""
    hu = _profile_volume([90] * 4 + [40] * 8)
    assert np.isnan(profile_wall_y_mm(hu, GRID, (0.0, 10.0))[0])


def _labels() -> np.ndarray:
    """Body at y 0-3, an unlabelled row at y 4, the left pedicle from y 5 in columns x 1..3, the right from y 8
    in x -3..-1 (three unlabelled rows in front of it)."""
    lab = np.zeros(GRID.shape, np.uint8)
    lab[0, 0:4, :] = Label.CANCELLOUS
    lab[0, 5:9, 5:8] = Label.PEDICLE_LEFT
    lab[0, 8:11, 1:4] = Label.PEDICLE_RIGHT
    return lab


def test_the_row_between_the_body_and_the_tube_joins_the_tube_behind_the_wall():
    """Wall read at y 3.5: the left pedicle's row y 4 (three columns) lies behind it with the body one row in
    front: it joins.  The right pedicle's row y 7 has the body 4 rows (4 mm) in front, beyond the 2 mm gap: left
    unlabelled."""
    lab = _labels()
    join_front_row(lab, GRID, np.array([3.5]), 2.0)
    assert np.all(lab[0, 4, 5:8] == Label.PEDICLE_LEFT)
    assert np.count_nonzero(lab == Label.PEDICLE_LEFT) == 3 * 5
    assert np.count_nonzero(lab == Label.PEDICLE_RIGHT) == 3 * 3
    assert np.all(lab[0, 4, :5] == 0) and np.all(lab[0, 4, 8:] == 0)


def test_the_row_in_front_of_the_wall_stays_to_the_body_side():
    """Wall read at y 4.5, behind the row y 4 (voxel centres): the row is left unlabelled; with no wall read (NaN)
    it joins."""
    lab = _labels()
    join_front_row(lab, GRID, np.array([4.5]), 2.0)
    assert np.count_nonzero(lab == Label.PEDICLE_LEFT) == 3 * 4
    lab = _labels()
    join_front_row(lab, GRID, np.array([np.nan]), 2.0)
    assert np.count_nonzero(lab == Label.PEDICLE_LEFT) == 3 * 5
