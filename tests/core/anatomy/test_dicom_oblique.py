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


def test_the_resampling_reports_each_slab_and_a_raise_stops_it(tmp_path, monkeypatch):
    """Round 34: progress is called after each resampled slab, and when it raises (the import editor's Cancel) the
    slabs not started are not resampled; the volume read with progress equals the one read without.  Before, nothing
    was called between the slabs and a Cancel waited for the whole resampling."""
    import trainer.core.anatomy.dicom_oblique as oblique

    rot = Rotation.from_euler("z", 4.0, degrees=True).as_matrix()
    _write(tmp_path / "s", rot)
    whole = read_ct_series(tmp_path / "s")
    nz = whole.hu.shape[0]
    monkeypatch.setattr(oblique, "SLAB_VOXELS", 1)                  # one output slice a slab: nz slabs
    monkeypatch.setattr(oblique, "RESAMPLE_THREADS", 1)
    import threading

    calls, gate = [], {"on": False, "open": threading.Event()}
    real = oblique.ndi.affine_transform

    def counted(*a, **k):
        calls.append(1)
        if gate["on"] and len(calls) >= 3:
            # the worker holds its third slab until the read has raised (at most 1 s): these slabs take microseconds,
            # and unheld the one worker thread ran through many while the reading thread waited for the GIL
            gate["open"].wait(1.0)
        return real(*a, **k)

    monkeypatch.setattr(oblique.ndi, "affine_transform", counted)
    seen = []
    again = read_ct_series(tmp_path / "s", progress=lambda done, total: seen.append((done, total)))
    assert np.array_equal(again.hu, whole.hu) and len(calls) == nz
    files = SHAPE[0]
    assert seen[:files] == [(k + 1, files) for k in range(files)] and seen[files:] == [(files, files)] * nz

    class Cancelled(Exception):
        """What the editor's runner raises from progress once Cancel is pressed."""

    def cancel_after_two_slabs(done, total):
        seen.append(done)
        if len(seen) == files + 2:
            raise Cancelled

    calls.clear()
    seen.clear()
    gate["on"] = True
    with pytest.raises(Cancelled):
        read_ct_series(tmp_path / "s", progress=cancel_after_two_slabs)
    gate["open"].set()
    # one thread: the two reported, at most the one it had started meanwhile, none of the rest
    assert 2 <= len(calls) <= 3 and nz > 10
