"""A real CT written as an oblique DICOM series: the oracle of an oblique reconstruction (round 33).

A scanner's oblique reconstruction samples the patient, who has not moved, on a turned grid: slice
``s``, row ``r``, column ``c`` is the patient at

    ImagePositionPatient(first) + s * slice_mm * normal + r * row_mm * column_dir + c * col_mm * row_dir

with ``(row_dir, column_dir, normal)`` the columns of a rotation ``R`` (the ImageOrientationPatient
written is its first two columns).  :func:`write_oblique` does exactly that with a real CT: each voxel
centre of the turned stack is computed by that formula, in patient millimetres, and the CT (HU, linear) or
a mask (its fraction, linear) is sampled there with :func:`scipy.ndimage.map_coordinates` (not by the
reader's matrix).  The stack is centred on a chosen point (``pivot_mm``) and has the CT's own spacing, so the
reader, which resamples it back onto the axes, should give the original CT: positions, HU and the vertebra.

Nothing here is the reader's code: the turn is ``scipy.spatial.transform.Rotation``'s, the slices are
written with pydicom from :func:`~trainer.core.anatomy.dicom_io.write_ct_series`'s files (its UIDs and
modules) with the two geometry attributes replaced.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from scipy import ndimage as ndi
from scipy.spatial.transform import Rotation

from trainer.core.anatomy.dicom_io import write_ct_series
from trainer.core.anatomy.grid import Grid, Volume

AIR_HU = -1024


def rotation(axis: str, angle_deg: float) -> np.ndarray:
    """The 3 x 3 matrix of a turn by ``angle_deg`` about the LPS axes ``axis`` (scipy's extrinsic Euler letters:
    ``"x"``, or ``"zy"`` with two angles)."""
    return Rotation.from_euler(axis, angle_deg, degrees=True).as_matrix()


def stack_points(shape, steps_mm, rot: np.ndarray, first_mm) -> np.ndarray:
    """(slice, row, column, 3) patient positions (x, y, z mm) of a stack's voxel centres by the DICOM formula."""
    ns, nr, nc = shape
    ds, dr, dc = steps_mm
    s, r, c = np.meshgrid(np.arange(ns) * ds, np.arange(nr) * dr, np.arange(nc) * dc, indexing="ij")
    return (np.asarray(first_mm, float) + s[..., None] * rot[:, 2] + r[..., None] * rot[:, 1]
            + c[..., None] * rot[:, 0])


def oblique_stack(values: np.ndarray, grid: Grid, rot: np.ndarray, pivot_mm, shape, order: int, cval: float):
    """(stack [slice, row, column] of ``values`` sampled on the turned grid of ``shape`` centred on ``pivot_mm``
    with ``grid``'s spacing, the first slice's ImagePositionPatient, (slice, row, column) spacing mm).

    ``order`` 3 (the HU): a cubic spline, prefiltered once, so that the series is about as sharp as the CT it
    comes from, as a scanner's oblique reconstruction from its raw data is (a linear sample here and the
    reader's linear resampling blur the CT twice); 1: linear (a mask's fraction)."""
    dx, dy, dz = grid.spacing_xyz_mm
    steps = (dz, dy, dx)
    half = (np.asarray(shape, float) - 1) / 2 * steps                   # (slice, row, col) mm to the centre
    first = np.asarray(pivot_mm, float) - (half[0] * rot[:, 2] + half[1] * rot[:, 1] + half[2] * rot[:, 0])
    src = values.astype(np.float32)
    if order > 1:
        src = ndi.spline_filter(src, order=order, output=np.float32, mode="nearest")
    out = np.empty(shape, np.float32)
    for k in range(shape[0]):                                            # one slice at a time: memory
        pts = stack_points((1, *shape[1:]), steps, rot, first + k * dz * rot[:, 2])[0]
        kji = grid.mm_to_index(pts)                                      # fractional (k, j, i) in the CT
        out[k] = ndi.map_coordinates(src, np.moveaxis(kji, -1, 0), order=order, mode="constant", cval=cval,
                                     prefilter=False)
    return out, first, steps


def write_oblique(values: np.ndarray, grid: Grid, rot: np.ndarray, pivot_mm, shape, out_dir, order: int = 3,
                  cval: float = AIR_HU, uid_seed: str = "oblique") -> list[Path]:
    """Write ``values`` (HU on ``grid``) as an oblique series: :func:`oblique_stack`, then each slice's
    ImageOrientationPatient (``rot``'s first two columns) and ImagePositionPatient set with pydicom."""
    stack, first, steps = oblique_stack(values, grid, rot, pivot_mm, shape, order, cval)
    hu = np.rint(np.clip(stack, -32768, 32767)).astype(np.int16)
    dz, dy, dx = steps
    vol = Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid(hu.shape, (dx, dy, dz), (0.0, 0.0, 0.0)))
    files = write_ct_series(vol, out_dir, uid_seed=uid_seed, description="oblique real CT", patient_id="OBLIQUE")
    iop = [f"{v:.8f}" for v in (*rot[:, 0], *rot[:, 1])]
    for k, f in enumerate(files):
        ds = pydicom.dcmread(f)
        ds.ImageOrientationPatient = iop
        ds.ImagePositionPatient = [f"{v:.5f}" for v in first + k * dz * rot[:, 2]]
        del ds.SliceLocation
        ds.save_as(f)
    return files


def crop_shape(grid: Grid, half_mm) -> tuple[int, int, int]:
    """(slices, rows, columns) of a stack with ``grid``'s spacing spanning ``2 * half_mm`` (x, y, z mm)."""
    dx, dy, dz = grid.spacing_xyz_mm
    hx, hy, hz = half_mm
    return (int(2 * hz / dz) + 1, int(2 * hy / dy) + 1, int(2 * hx / dx) + 1)


def read_back(ct, rot: np.ndarray, pivot_mm, order: int = 1) -> Volume:
    """``ct`` (a ``realct_sources.RealCT``) sampled on its own stack turned by ``rot`` about ``pivot_mm``
    (:func:`oblique_stack`, the HU rounded to int16 as the files hold them) and resampled onto the axes by the
    reader's own pass (:func:`~trainer.core.anatomy.dicom_oblique.resample_oblique`): what ``read_ct_series`` gives
    for the series :func:`write_oblique` writes, without the files (``order`` 1: the CT interpolated linearly twice)."""
    from trainer.core.anatomy.dicom_oblique import frame_of, resample_oblique

    stack, first, (dz, dy, dx) = oblique_stack(ct.hu, ct.grid, rot, pivot_mm, ct.hu.shape, order, AIR_HU)
    stack = np.rint(np.clip(stack, -32768, 32767)).astype(np.int16)
    hu, grid = resample_oblique(stack, first, frame_of([*rot[:, 0], *rot[:, 1]]), dy, dx, dz)
    return Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=grid, meta={"kind": "realct", "name": ct.name})
