"""Oblique series of every plane read onto the axes (round 33, dicom_oblique): blobs at known patient points,
written by the DICOM formula on a turned axial, coronal or sagittal stack, are found where they were."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from scipy.spatial.transform import Rotation

from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
from trainer.core.anatomy.dicom_oblique import frame_of
from trainer.core.anatomy.grid import Grid, Volume

#: (row, column) directions of the untilted planes; the normal is their cross product
PLANES = {"axial": ((1, 0, 0), (0, 1, 0)), "coronal": ((1, 0, 0), (0, 0, -1)), "sagittal": ((0, 1, 0), (0, 0, -1))}
TARGETS_MM = np.array([[4.0, -3.0, 6.0], [-5.0, 4.0, -4.0]])
SHAPE = (30, 40, 44)                       # slices, rows, columns
STEPS_MM = (1.5, 0.8, 0.7)                 # slice, row (along the column direction), column (along the row direction)


def _write(folder, rot):
    """Two Gaussian blobs (1000 HU at their centres, sigma 2.5 mm) sampled on a stack with directions ``rot``'s
    columns (row, column, normal), centred on the origin; IOP/IPP written with pydicom."""
    row, col, normal = rot.T
    half = (np.asarray(SHAPE) - 1) / 2 * STEPS_MM
    first = -(half[0] * normal + half[1] * col + half[2] * row)
    s, r, c = np.meshgrid(*(np.arange(n) * d for n, d in zip(SHAPE, STEPS_MM)), indexing="ij")
    pts = first + s[..., None] * normal + r[..., None] * col + c[..., None] * row
    hu = sum(1000.0 * np.exp(-np.sum((pts - t) ** 2, -1) / (2 * 2.5 ** 2)) for t in TARGETS_MM)
    vol = Volume(hu=np.rint(hu).astype(np.int16), labels=np.zeros(SHAPE, np.uint8),
                 grid=Grid(SHAPE, (STEPS_MM[2], STEPS_MM[1], STEPS_MM[0]), (0.0, 0.0, 0.0)))
    for k, f in enumerate(write_ct_series(vol, folder)):
        ds = pydicom.dcmread(f)
        ds.ImageOrientationPatient = [f"{v:.8f}" for v in (*row, *col)]
        ds.ImagePositionPatient = [f"{v:.6f}" for v in first + k * STEPS_MM[0] * normal]
        ds.save_as(f)


@pytest.mark.parametrize("plane", PLANES)
def test_blobs_land_where_they_were(tmp_path, plane):
    """Turned 2, 4 and -3 deg about z, y and x (5.35 deg in all): each blob's HU-weighted centre within 0.05 mm of its
    point, the plane named, and the grid's spacing the stack's along the nearest axes."""
    r0, c0 = (np.asarray(v, float) for v in PLANES[plane])
    base = np.column_stack([r0, c0, np.cross(r0, c0)])
    rot = Rotation.from_euler("zyx", [2.0, 4.0, -3.0], degrees=True).as_matrix() @ base
    _write(tmp_path / plane, rot)
    vol = read_ct_series(tmp_path / plane)
    assert vol.meta["oblique_plane"] == plane and vol.meta["oblique_deg"] == pytest.approx(5.35, abs=0.01)
    want = np.zeros(3)
    for step, axis in zip(STEPS_MM, (base[:, 2], c0, r0)):
        want[int(np.argmax(np.abs(axis)))] = step
    assert vol.grid.spacing_xyz_mm == pytest.approx(tuple(want), rel=1e-5)
    z, y, x = np.meshgrid(*(vol.grid.axis_mm(a) for a in "zyx"), indexing="ij")
    pts = np.stack([x, y, z], -1)
    for t in TARGETS_MM:
        w = np.where(np.linalg.norm(pts - t, axis=-1) < 7.0, np.maximum(vol.hu, 0).astype(float), 0.0)
        found = (pts * w[..., None]).sum(axis=(0, 1, 2)) / w.sum()
        assert np.linalg.norm(found - t) < 0.05, (plane, t, found)


def test_the_angle_is_the_rotation_s_about_any_axis():
    """frame_of: the rotation angle from the nearest axis-aligned frame, for a turn about an oblique axis too."""
    for axis in ((1, 0, 0), (0, 0, 1), (1, 1, 1), (1, -2, 0.5)):
        rot = Rotation.from_rotvec(np.radians(7.0) * np.asarray(axis, float) / np.linalg.norm(axis)).as_matrix()
        f = frame_of([*rot[:, 0], *rot[:, 1]])
        assert f.angle_deg == pytest.approx(7.0, abs=1e-6) and f.plane == "axial"
