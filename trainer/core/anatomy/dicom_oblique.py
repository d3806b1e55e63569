"""A slightly oblique CT series resampled onto an axis-aligned LPS grid (issue 12, round 33).

Scanners and PACS reconstruct some series a few degrees off the axes (a patient-aligned
reconstruction, a reformat): a rigid rotation of an orthogonal stack, its slices along their
normal.  The trainer's volumes are axis-aligned (:class:`~trainer.core.anatomy.grid.Grid`), so
such a series is resampled once, on reading, into the LPS grid that holds it:

* accepted up to :data:`MAX_OBLIQUE_DEG` off the nearest axes (the rotation angle between the
  series' frame and the nearest axis-aligned frame, any axis); beyond it the reader refuses;
* spacing: the series' own spacing along the nearest axes (an axial series at 0.7 x 0.7 x 2.5 mm
  stays 0.7 x 0.7 x 2.5 mm);
* extent: the bounding box of the series' voxel centres, the origin at its low corner;
  outside the series: air (:data:`AIR_HU`, -1024 HU);
* interpolation: trilinear (:func:`scipy.ndimage.affine_transform`, ``order=1``), slab by slab
  of :data:`SLAB_VOXELS` output voxels so that no float copy of the whole volume is made; a sample
  within :data:`EDGE_VOXELS` of the stack's edge reads the edge (a face of the box on a face of the
  stack is not left to rounding).

A tilted gantry (slices sheared: positions not along the normal, or GantryDetectorTilt) is not
this, and stays refused (:func:`~trainer.core.anatomy.ct_series_checks.refuse_gantry_tilt`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy.grid import Grid, float3, int3

__all__ = ["AIR_HU", "EDGE_VOXELS", "MAX_BOX_VOXELS", "MAX_OBLIQUE_DEG", "SLAB_VOXELS", "Frame", "frame_of", "oblique_grid",
           "oblique_note", "resample_oblique"]

#: the largest rotation (deg) off the nearest axis-aligned frame that is resampled; see docs/scenario-format.md
MAX_OBLIQUE_DEG = 15.0
AIR_HU = -1024
#: the largest axis-aligned box an oblique series is resampled onto (400 MB of int16), checked from the headers
#: before any pixel is read: the box grows with the angle and the series' length (600 x 512 x 512 at 15 deg about
#: (1, 1, 1) is a 694 x 701 x 709 box, 3.45e8 voxels, whose read alone peaked at 1.41 GB RSS, hostile33), and every
#: later step works on it; 300 x 512 x 512 at 15 deg about any axis (at most 1.65e8) stays within it
MAX_BOX_VOXELS = 200_000_000
#: how far (in the stack's voxels) beyond its first or last voxel centre a sample still reads that edge voxel
EDGE_VOXELS = 1e-6
#: output voxels resampled at a time (float32: 64 MB a slab)
SLAB_VOXELS = 16_000_000
#: slabs resampled at once (threads: scipy's affine_transform releases the GIL); each slab is its own output rows,
#: so the volume is the same whatever the count
RESAMPLE_THREADS = 4
_PLANES = {0: "sagittal", 1: "coronal", 2: "axial"}


@dataclass(frozen=True)
class Frame:
    """A series' orientation against the nearest axis-aligned frame.

    Attributes
    ----------
    row, col, normal : ndarray
        Unit row and column directions (orthonormalised) and the slice normal, LPS.
    axes : tuple of (int, int)
        (LPS axis 0/1/2 for x/y/z, sign) nearest each of row, column and normal.
    angle_deg : float
        Rotation angle (deg) from that axis-aligned frame to the series' frame.
    """

    row: np.ndarray
    col: np.ndarray
    normal: np.ndarray
    axes: tuple[tuple[int, int], tuple[int, int], tuple[int, int]]
    angle_deg: float

    @property
    def plane(self) -> str:
        """``'axial'``, ``'coronal'`` or ``'sagittal'``: the plane the slices are nearest."""
        return _PLANES[self.axes[2][0]]


def frame_of(iop) -> Frame:
    """The :class:`Frame` of an ImageOrientationPatient (six direction cosines, unit and orthogonal within
    dicom_sanity's tolerance)."""
    v = np.asarray(iop, float)
    r = v[:3] / np.linalg.norm(v[:3])
    c = v[3:] - (v[3:] @ r) * r
    c = c / np.linalg.norm(c)
    n = np.cross(r, c)
    axes = []
    for u in (r, c, n):
        a = int(np.argmax(np.abs(u)))
        axes.append((a, int(np.sign(u[a]))))
    m = np.column_stack([r, c, n])
    p = np.zeros((3, 3))
    for col, (a, s) in enumerate(axes):
        p[a, col] = s
    cos = (float(np.trace(p.T @ m)) - 1.0) / 2.0 if len({a for a, _ in axes}) == 3 else -1.0
    angle = math.degrees(math.acos(max(-1.0, min(1.0, cos))))
    return Frame(r, c, n, (axes[0], axes[1], axes[2]), angle)


def oblique_grid(shape, first_mm, frame: Frame, row_mm: float, col_mm: float, slice_mm: float) -> Grid:
    """The axis-aligned LPS grid :func:`resample_oblique` resamples a stack of ``shape`` (slices, rows, columns)
    onto: the series' spacing along the nearest axes, the bounding box of its voxel centres (origin the low
    corner).  Computed from the headers alone, so that the reader can refuse a box over :data:`MAX_BOX_VOXELS`
    before it reads a pixel; parameters as :func:`resample_oblique`'s."""
    units = (frame.normal, frame.col, frame.row)                 # along array axes 0, 1, 2 of the stack
    steps = np.array([slice_mm, row_mm, col_mm])
    spacing = np.zeros(3)                                         # (dx, dy, dz)
    for u_axis, (lps, _) in zip((0, 1, 2), (frame.axes[2], frame.axes[1], frame.axes[0])):
        spacing[lps] = steps[u_axis]
    first = np.asarray(first_mm, float)
    ends = [np.array([0.0, (n - 1) * s]) for n, s in zip(shape, steps)]
    corners = np.array([first + a * units[0] + b * units[1] + c * units[2]
                        for a in ends[0] for b in ends[1] for c in ends[2]])
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    n = np.ceil((hi - lo) / spacing - 1e-6).astype(int) + 1        # (nx, ny, nz): the whole box
    return Grid(shape=int3((n[2], n[1], n[0])), spacing_xyz_mm=float3(spacing), origin_mm=float3(lo))


def resample_oblique(stack: np.ndarray, first_mm, frame: Frame, row_mm: float, col_mm: float,
                     slice_mm: float, progress: Callable[[], None] | None = None) -> tuple[np.ndarray, Grid]:
    """Resample an oblique stack onto the axis-aligned LPS grid that holds it.

    Parameters
    ----------
    stack : ndarray
        HU (int16), indexed [slice, row, column] in position order.
    first_mm : array_like
        ImagePositionPatient of the first slice (x, y, z mm): the centre of its first pixel.
    frame : Frame
        The series' orientation (:func:`frame_of`).
    row_mm, col_mm : float
        PixelSpacing: between rows (along the column direction) and between columns (along the
        row direction), mm.
    slice_mm : float
        Between slices along the normal, mm.
    progress : callable, optional
        Called with no argument after each slab (:data:`SLAB_VOXELS`) is done, in slab order; when it raises (the
        import editor's Cancel), the slabs not started are dropped, those running end, and the exception goes on.

    Returns
    -------
    hu : ndarray
        int16 [z, y, x]; air (-1024 HU) outside the series.
    grid : Grid
        Spacing (mm) the series' own along the nearest axes; origin the low corner of the bounding box
        of the series' voxel centres.
    """
    grid = oblique_grid(stack.shape, first_mm, frame, row_mm, col_mm, slice_mm)
    units = (frame.normal, frame.col, frame.row)                 # along array axes 0, 1, 2 of the stack
    steps = np.array([slice_mm, row_mm, col_mm])
    first = np.asarray(first_mm, float)
    lo = np.asarray(grid.origin_mm, float)
    n = np.asarray(grid.shape[::-1])                              # (nx, ny, nz)
    # stack index (s, r, c) of output index (k, j, i): s = (x - first) . normal / slice_mm, ...
    out_units = np.eye(3)[[2, 1, 0]] * np.asarray(grid.spacing_zyx_mm)[:, None]   # output axis -> mm step
    matrix = np.array([[u @ o / st for o in out_units] for u, st in zip(units, steps)])
    offset = np.array([(lo - first) @ u / st for u, st in zip(units, steps)])
    # a face of the box on a face of the stack (a turn about one axis) samples the stack's first or last voxel
    # centre, give or take rounding, and constant mode made a rounding of 1e-13 outside it air (hostile33: a row
    # written 1\4.9e-324\0 turned 32 voxels of tissue at x = 0 air): the map is drawn in towards the stack's centre
    # by EDGE_VOXELS at its edges (a 1e-6 voxel move inside, nothing measurable), so such a sample reads the edge
    centre = (np.asarray(stack.shape, float) - 1) / 2
    shrink = 1 - EDGE_VOXELS / np.maximum(centre, 1.0)
    matrix = matrix * shrink[:, None]
    offset = centre + (offset - centre) * shrink
    out = np.empty(grid.shape, np.int16)
    per_slice = int(n[0] * n[1])
    slab = max(1, SLAB_VOXELS // per_slice)

    def one(k0: int) -> None:
        k1 = min(grid.shape[0], k0 + slab)
        part = np.empty((k1 - k0, *grid.shape[1:]), np.float32)
        ndi.affine_transform(stack, matrix, offset + matrix[:, 0] * k0, output=part, order=1, mode="constant",
                             cval=float(AIR_HU), prefilter=False)
        np.rint(part, out=part)
        out[k0:k1] = part

    starts = range(0, grid.shape[0], slab)
    workers = max(1, min(RESAMPLE_THREADS, os.cpu_count() or 1, len(starts)))
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        # a progress call between slabs (round 34): until then nothing was called during the resampling, so the
        # import editor's Cancel waited for all of it (1.5-1.6 s for 300 x 512 x 512 on two cores, pass 170)
        for done in [pool.submit(one, k0) for k0 in starts]:
            done.result()
            if progress is not None:
                progress()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return out, grid


def oblique_note(angle_deg: float, plane: str) -> str:
    """The line the reader adds to ``meta['notes']`` (``import-ct`` prints it) for a series read by
    :func:`resample_oblique`.

    Parameters
    ----------
    angle_deg : float
        The series' rotation off the nearest axis-aligned frame (deg, :attr:`Frame.angle_deg`).
    plane : str
        The nearest plane's name (:attr:`Frame.plane`).
    """
    return (f"the series is oblique ({float(angle_deg):.2f} deg off {plane}, allowed up to {MAX_OBLIQUE_DEG:g} deg) "
            "and was resampled (linear) onto an axis-aligned grid for the trainer; the slices' fingerprint is unchanged")
