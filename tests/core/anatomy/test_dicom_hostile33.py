"""Hostile series against the round-33 reader paths (realct-log pass 163, hostile33): synthetic, hand-computed.

* A tilted gantry whose slices are thin moves each slice's origin less than the neighbours' 0.05 mm in the
  image plane, but the shift adds up: 0.625 mm slices tilted 3.7 deg (0.04 mm a slice) were read sheared by
  8 mm over 200 slices, and an oblique orientation with the table's positions straight along z (the Siemens
  tilt) resampled as if rigid.  Refused by the drift across the series (``TILT_SLOPE``).
* An orientation read as the axes (within 0.001) whose positions follow its true normal is still read: the
  across-series tolerance leaves room for it (by hand: 0.0009 x 300 mm = 0.27 mm, allowed 0.05 + 0.6 mm).
  As properties (hypothesis, no files): any rigid stack up to 15 deg, its orientation rounded to 6 decimals and its
  positions to 0.001 mm, is never refused; the same sheared by 0.5 deg or more over 60 mm always is; an orientation
  within the axes' tolerance with positions along its true normal is never refused.
* An oblique series whose axis-aligned box would exceed ``MAX_BOX_VOXELS`` is refused from its headers (its box
  by hand from the corners), before a pixel is read; slices closer than 0.05 mm (the box of 2 slices 0.002 mm
  apart at 15 deg was 46287 slices deep: a 21.9 GiB allocation and a MemoryError traceback) are refused by
  their spacing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from trainer.core.anatomy.ct_series_checks import refuse_gantry_tilt
from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
from trainer.core.anatomy.dicom_oblique import MAX_BOX_VOXELS, frame_of
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.errors import DicomError


def _write(folder, n, side, pixel_mm, slice_mm, iop, position):
    """``n`` slices of ``side`` x ``side`` pixels with ImageOrientationPatient ``iop`` and slice k's
    ImagePositionPatient ``position(k)``; a bright square in every slice."""
    hu = np.full((n, side, side), -1000, np.int16)
    hu[:, side // 4: 3 * side // 4, side // 4: 3 * side // 4] = 300
    vol = Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8),
                 grid=Grid(hu.shape, (pixel_mm, pixel_mm, slice_mm), (0.0, 0.0, 0.0)))
    files = write_ct_series(vol, folder, uid_seed="hostile33")
    for k, f in enumerate(files):
        ds = pydicom.dcmread(f)
        ds.ImageOrientationPatient = [f"{v:.8f}" for v in iop]
        ds.ImagePositionPatient = [f"{v:.5f}" for v in position(k)]
        ds.save_as(f)
    return files


AXIAL = (1, 0, 0, 0, 1, 0)


def test_thin_slices_of_a_tilted_gantry_are_refused_by_their_drift_across_the_series(tmp_path):
    """0.625 mm slices, each 0.04 mm further posterior (under the neighbours' 0.05 mm): 199 x 0.04 = 7.96 mm off
    at the last slice, 124.4 mm along z; atan(7.96 / 124.375) = 3.66 deg."""
    _write(tmp_path / "s", 200, 16, 0.7, 0.625, AXIAL, lambda k: (0.0, 0.04 * k, 0.625 * k))
    with pytest.raises(DicomError, match=r"CT0200\.dcm: ImagePositionPatient lies 7\.96 mm in the image plane from "
                                         r"CT0001\.dcm's, 124\.4 mm along the slice normal \(199 slices on; about "
                                         r"3\.66 deg of gantry tilt\); allowed 0\.05 mm \+ 0\.002 x the distance"):
        read_ct_series(tmp_path / "s")


def test_an_oblique_orientation_with_positions_along_z_and_thin_slices_is_refused(tmp_path):
    """The Siemens tilt (column direction turned 3 deg about x, positions straight along z) at 0.625 mm: 0.033 mm a
    slice in the plane (under 0.05), so it was resampled as a rigid 3 deg series; now refused, about 3.00 deg."""
    c, s = np.cos(np.radians(3)), np.sin(np.radians(3))
    _write(tmp_path / "s", 200, 16, 0.7, 0.625, (1, 0, 0, 0, c, -s), lambda k: (0.0, 0.0, 0.625 * k))
    with pytest.raises(DicomError, match=r"CT0200\.dcm: ImagePositionPatient lies .* about 3\.00 deg of gantry tilt"):
        read_ct_series(tmp_path / "s")


def test_positions_along_the_true_normal_of_an_orientation_read_as_the_axes_are_read(tmp_path):
    """The row 0.0009 off x towards z (read as x within 0.001), 300 slices 1 mm apart along the true normal
    (0.0009 x 299 = 0.27 mm off the axis' normal at the last): read, as before this pass."""
    r = np.array([1.0, 0.0, 0.0009]) / np.linalg.norm([1.0, 0.0, 0.0009])
    col = np.array([0.0, 1.0, 0.0])
    normal = np.cross(r, col)
    vol = None
    _write(tmp_path / "s", 300, 8, 0.7, 1.0, (*r, *col), lambda k: k * 1.0 * normal)
    vol = read_ct_series(tmp_path / "s")
    assert vol.grid.shape == (300, 8, 8)
    assert "oblique_deg" not in vol.meta


def _box_by_hand(n, side, pixel_mm, slice_mm, rot):
    """(nx, ny, nz) of the axis-aligned box of a stack's voxel centres: the 8 corners' extent over the spacing."""
    corners = np.array([a * (n - 1) * slice_mm * rot[:, 2] + b * (side - 1) * pixel_mm * rot[:, 1]
                        + c * (side - 1) * pixel_mm * rot[:, 0] for a in (0, 1) for b in (0, 1) for c in (0, 1)])
    ext = corners.max(axis=0) - corners.min(axis=0)
    return tuple(int(v) for v in np.ceil(ext / np.array([pixel_mm, pixel_mm, slice_mm]) - 1e-6) + 1)


def test_an_oblique_series_whose_box_exceeds_the_budget_is_refused_from_its_headers(tmp_path):
    """2 slices of 512 x 512 at 0.7 mm, 0.06 mm apart, 15 deg about x: the box is 512 x 495 x 1545 voxels
    (358.4 mm x sin 15 deg / 0.06 mm deep), 3.92e8 > MAX_BOX_VOXELS; refused naming the box and the limit."""
    t = np.radians(15)
    rot = np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])
    nx, ny, nz = _box_by_hand(2, 512, 0.7, 0.06, rot)
    assert nx * ny * nz > MAX_BOX_VOXELS
    _write(tmp_path / "s", 2, 512, 0.7, 0.06, (*rot[:, 0], *rot[:, 1]), lambda k: k * 0.06 * rot[:, 2])
    with pytest.raises(DicomError, match=rf"the oblique series \(2 slices of 512 x 512 pixels, 15\.00 deg off axial; "
                                         rf"CT0001\.dcm\) would be resampled onto an axis-aligned box of {nx} x {ny} x "
                                         rf"{nz} = .* voxels .*; allowed up to 2e\+08 voxels: reformat the series"):
        read_ct_series(tmp_path / "s")


def test_slices_closer_than_the_spacing_range_are_refused(tmp_path):
    """Two slices 0.002 mm apart (over the duplicated position's 0.001 mm): no CT series; refused by the pixel
    spacing's range, axis-aligned and oblique alike."""
    _write(tmp_path / "a", 2, 8, 0.7, 0.002, AXIAL, lambda k: (0.0, 0.0, 0.002 * k))
    with pytest.raises(DicomError, match=r"slice spacing 0\.002 mm \(ImagePositionPatient along the slice normal, "
                                         r"CT0001\.dcm to CT0002\.dcm\) is not allowed; expected 0\.05 to 20 mm"):
        read_ct_series(tmp_path / "a")
    t = np.radians(15)
    rot = np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])
    _write(tmp_path / "b", 2, 8, 0.7, 0.002, (*rot[:, 0], *rot[:, 1]), lambda k: k * 0.002 * rot[:, 2])
    with pytest.raises(DicomError, match=r"slice spacing 0\.00(2|199\d*) mm"):   # positions written to 5 decimals
        read_ct_series(tmp_path / "b")


# ---------------------------------------------------------------- the drift rule as a property (no files)
def _sets(positions):
    out = []
    for k, p in enumerate(positions):
        ds = pydicom.Dataset()
        ds.ImagePositionPatient = [f"{v:.3f}" for v in p]        # positions as scanners round them: 0.001 mm
        out.append((Path(f"CT{k + 1:04d}.dcm"), ds))
    return out


@settings(max_examples=150, deadline=None)
@given(axis=st.tuples(*(st.floats(-1, 1) for _ in range(3))).filter(lambda v: np.linalg.norm(v) > 0.1),
       deg=st.floats(0.0, 15.0), n=st.integers(2, 400), step=st.floats(0.5, 5.0),
       tilt_deg=st.floats(0.5, 20.0), start=st.tuples(*(st.floats(-300, 300) for _ in range(3))))
def test_a_rigid_stack_is_read_and_a_tilt_of_half_a_degree_or_more_refused(axis, deg, n, step, tilt_deg, start):
    """Any turn up to 15 deg, its orientation written to 6 decimals (frame_of of the rounded values, as the reader
    reads it), slices 0.5 to 5 mm apart along the true normal: never refused.  The same stack sheared by 0.5 deg or
    more (each slice moved step x tan(tilt) along the row direction), over at least 60 mm: always refused."""
    rot = Rotation.from_rotvec(np.asarray(axis) / np.linalg.norm(axis) * np.radians(deg)).as_matrix()
    iop = [float(f"{v:.6f}") for v in (*rot[:, 0], *rot[:, 1])]
    normal = frame_of(iop).normal
    start = np.asarray(start)
    straight = [start + k * step * rot[:, 2] for k in range(n)]
    refuse_gantry_tilt(_sets(straight), np.arange(n), normal)
    if (n - 1) * step >= 60:
        shear = np.tan(np.radians(tilt_deg)) * step
        sheared = [start + k * step * rot[:, 2] + k * shear * rot[:, 0] for k in range(n)]
        with pytest.raises(DicomError, match=r"gantry tilt"):
            refuse_gantry_tilt(_sets(sheared), np.arange(n), normal)


@settings(max_examples=100, deadline=None)
@given(e=st.tuples(*(st.floats(-0.0007, 0.0007) for _ in range(4))), n=st.integers(2, 400), step=st.floats(0.5, 5.0))
def test_an_orientation_read_as_the_axes_with_positions_along_its_true_normal_is_read(e, n, step):
    """Row and column each within 0.001 of x and y (the reader's tolerance: 0.0007 + 0.0007 off-axis sum under it),
    read as the axes (normal z), positions along the true normal: the drift across the series stays allowed."""
    row = np.array([1.0, e[0], e[1]])
    col = np.array([e[2], 1.0, e[3]])
    row /= np.linalg.norm(row)
    col -= (col @ row) * row
    col /= np.linalg.norm(col)
    true_normal = np.cross(row, col)
    refuse_gantry_tilt(_sets([k * step * true_normal for k in range(n)]), np.arange(n), np.array([0.0, 0.0, 1.0]))


def test_slices_as_far_apart_as_the_range_allows_are_read_as_its_positions_round_them(tmp_path):
    """Two slices 20 mm apart (the range's end), their positions written as a scanner writes them, to six digits:
    -8.39193 and 11.6081 mm, 20.00003 mm apart.  Until round 41 refused as "slice spacing 20 mm ... is not allowed;
    expected 0.05 to 20 mm" (hostile41); a spacing really over the range is refused naming its digits."""
    zs = {"a": (-8.39193, 11.6081), "b": (-8.39193, 12.4081)}
    for name, (z0, z1) in zs.items():
        _write(tmp_path / name, 2, 8, 0.7, 20.0, AXIAL, lambda k, z0=z0, z1=z1: (0.0, 0.0, (z0, z1)[k]))
    vol = read_ct_series(tmp_path / "a")
    assert vol.hu.shape[0] == 2 and abs(vol.grid.spacing_xyz_mm[2] - 20.00003) < 1e-6
    with pytest.raises(DicomError, match=r"slice spacing 20\.8 mm \(ImagePositionPatient along the slice normal, "
                                         r"CT0001\.dcm to CT0002\.dcm\) is not allowed; expected 0\.05 to 20 mm"):
        read_ct_series(tmp_path / "b")
