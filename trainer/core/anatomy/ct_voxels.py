"""Voxel helpers shared by the CT modules: structuring elements, 1-D runs, grid axes."""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.grid import Grid

__all__ = ["PLANE", "PLANE_DIAGONAL", "SAGITTAL", "axes", "disc", "outer_face", "run_at", "run_bounds", "run_length"]


def disc(r_vox: float) -> np.ndarray:
    """Axial disc of radius ``r_vox`` voxels as a (1, n, n) structuring element."""
    n = int(np.ceil(r_vox))
    yy, xx = np.mgrid[-n:n + 1, -n:n + 1]
    return (xx * xx + yy * yy <= r_vox * r_vox + 1e-9)[None]


#: 4-connectivity inside an axial slice, nothing across slices (per-slice fills and labels)
PLANE = np.zeros((3, 3, 3), bool)
PLANE[1] = [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
#: 8-connectivity inside an axial slice, faces only across slices: a thin oblique wall sampled at voxels
#: as coarse as its thickness is a staircase of voxels meeting at their corners, and still one wall
PLANE_DIAGONAL = np.zeros((3, 3, 3), bool)
PLANE_DIAGONAL[1] = True
PLANE_DIAGONAL[0, 1, 1] = PLANE_DIAGONAL[2, 1, 1] = True
#: the same in sagittal planes (y, z connected, nothing across x)
SAGITTAL = np.zeros((3, 3, 3), bool)
SAGITTAL[:, :, 1] = [[0, 1, 0], [1, 1, 1], [0, 1, 0]]


def axes(grid: Grid):
    """Voxel-centre coordinates (x, y, z) of ``grid`` in mm."""
    return grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")


def run_at(mask_1d: np.ndarray, i: int):
    """(first, last) index of the run of True through ``i``; None when ``mask_1d[i]`` is False."""
    if i < 0 or i >= mask_1d.size or not mask_1d[i]:
        return None
    lo = hi = i
    while lo > 0 and mask_1d[lo - 1]:
        lo -= 1
    while hi + 1 < mask_1d.size and mask_1d[hi + 1]:
        hi += 1
    return lo, hi


def run_bounds(mask_1d: np.ndarray, i: int, reach: int = 4):
    """(first, last) index of the run of True through ``i``, or through the nearest True
    within ``reach`` voxels; None if there is none."""
    if not mask_1d[i]:
        near = [j for j in range(max(0, i - reach), min(mask_1d.size, i + reach + 1)) if mask_1d[j]]
        if not near:
            return None
        i = min(near, key=lambda j: abs(j - i))
    return run_at(mask_1d, i)


def run_length(mask_1d: np.ndarray, i: int) -> int:
    """Length (voxels) of the run of True through (or next to) index ``i``; 0 if none."""
    b = run_bounds(mask_1d, i)
    return 0 if b is None else b[1] - b[0] + 1


def outer_face(mask_1d, start: int, step: int):
    """Index of the last True of the first run of True met from ``start`` going ``step``."""
    i = start
    n = mask_1d.size
    while 0 <= i < n and not mask_1d[i]:
        i += step
    if not 0 <= i < n:
        return None
    while 0 <= i + step < n and mask_1d[i + step]:
        i += step
    return i
