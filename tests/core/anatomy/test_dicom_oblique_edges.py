"""The faces of an oblique series' box that lie on the stack's own faces (realct-log pass 163, hostile33).

A series turned about one axis only (row direction exactly x) has its first and last columns on the box's
x = 0 and x = nx - 1 faces.  Those output voxels sample the stack at column 0 or ncols - 1 exactly, give or take
rounding; the resampling's constant mode made every sample a rounding below 0 air.  With the row written
``1\\6.12323e-17\\0`` (cos 90 deg as software computes it, where 0 is meant) a whole face of this stack became air
(every one of 15 turns and positions tried), and with ``1\\4.9e-324\\0`` (a denormal) 32 voxels of tissue at x = 0
of the chest crop.  Oracle: a stack that is the same along its rows is the same along x once resampled, so
every x column of the volume equals every other, the two faces included; and the volume equals the one read
with the row written ``1\\0\\0``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pydicom
import pytest

from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
from trainer.core.anatomy.grid import Grid, Volume


def _turned_about_x(folder, row_text, deg=4.0):
    rng = np.random.default_rng(33)
    n, rows, cols = 10, 24, 12
    line = rng.integers(-900, 1200, (n, rows, 1)).astype(np.int16)
    hu = np.repeat(line, cols, axis=2)                      # the same along each row
    files = write_ct_series(Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8),
                                   grid=Grid(hu.shape, (0.8, 0.8, 2.0), (0.0, 0.0, 0.0))), folder)
    t = np.radians(deg)
    col = np.array([0.0, np.cos(t), np.sin(t)])
    normal = np.cross([1.0, 0.0, 0.0], col)
    for k, f in enumerate(files):
        ds = pydicom.dcmread(f)
        with warnings.catch_warnings():     # "1.0000000000000002" is 18 characters, over DS's 16: the hostile value
            warnings.simplefilter("ignore", UserWarning)
            ds.ImageOrientationPatient = [*row_text, "0", "0", f"{col[1]:.8f}", f"{col[2]:.8f}"]
            ds.ImagePositionPatient = [f"{v:.6f}" for v in (-3.3, 5.1, 7.7) + k * 2.0 * normal]
            ds.save_as(f)
    return read_ct_series(folder)


@pytest.mark.parametrize("row", [("1", "0"), ("1", "6.12323e-17"), ("1", "4.9e-324"), ("1.0000000000000002", "0")])
def test_the_x_faces_of_a_series_turned_about_x_are_the_series_not_air(tmp_path, row):
    vol = _turned_about_x(tmp_path / "s", row)
    assert vol.meta["oblique_deg"] == pytest.approx(4.0, abs=1e-3)
    assert vol.grid.shape[2] == 12
    for i in (0, 11):
        assert np.array_equal(vol.hu[:, :, i], vol.hu[:, :, 5]), i
    assert np.count_nonzero(vol.hu[:, :, 5] != -1024) > 0.6 * vol.hu[:, :, 5].size
    plain = _turned_about_x(tmp_path / "plain", ("1", "0"))
    assert np.array_equal(vol.hu, plain.hu)
