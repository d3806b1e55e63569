"""Voxel helpers shared by the CT modules: structuring elements, 1-D runs, grid axes."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy.grid import Grid

__all__ = ["PLANE", "PLANE_DIAGONAL", "SAGITTAL", "axes", "disc", "outer_face", "outline_and_skin",
           "outline_open_behind", "run_at", "run_bounds",
           "run_length"]


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


def outline_open_behind(inside: np.ndarray) -> np.ndarray:
    """The body's outline in each axial slice of a box around a vertebra (z, y, x; y growing backwards): ``inside``
    with every hole filled but the background reached from the box's back face (its largest y).

    The box's sides and front cut through the body (the fine box: x within 60 mm of the body centre, its front
    45 mm in front of it) and only its back lies beyond the skin, so a region open to a side or the front (a lung
    at T8-T10) is inside the body.  Filled as an ordinary hole-fill does (open to every face), the real chest's
    lungs inside the box were outside the outline and labelled air (round 42, pass 219: 230 000 of the 267 000
    voxels the reference masks call lung at T10).

    Parameters
    ----------
    inside : ndarray of bool
        Voxels of the body (e.g. HU above -400), z x y x x.

    Returns
    -------
    ndarray of bool
        ``inside`` and every background voxel not connected, within its slice (4-connectivity), to the back face.
    """
    m = np.asarray(inside, bool)
    if m.size == 0:
        return m.copy()
    lab, n = ndi.label(~m, structure=PLANE)
    outside = np.zeros(n + 1, bool)
    outside[np.unique(lab[:, -1, :])] = True
    outside[0] = False
    return ~outside[lab]


#: a fine box's voxel at or above this (HU) is inside the body (soft tissue, not air or lung)
BODY_HU = -400.0
#: the skin's depth inside the body's outline (mm)
SKIN_MM = 2.0


def outline_and_skin(hu: np.ndarray, voxel_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """The body's outline in a fine box's slices and its skin: HU alone decides both, so a labelling that tries
    several bone thresholds on one box (:func:`~trainer.core.anatomy.ct_patient._labels_for_patient`) makes them
    once (round 45; until then every threshold step made them again, 0.045 s each at the chest's 5 mm box).

    Parameters
    ----------
    hu : ndarray
        The box's HU, z x y x x (y growing backwards).
    voxel_mm : float
        The box's in-plane voxel (mm).

    Returns
    -------
    outline : ndarray of bool
        :func:`outline_open_behind` of the voxels above :data:`BODY_HU`.
    skin : ndarray of bool
        The outline's outer :data:`SKIN_MM` (at least one voxel) in each slice; the box's faces are not skin.
    """
    outline = outline_open_behind(hu > BODY_HU)
    skin_voxels = max(1, int(round(SKIN_MM / voxel_mm)))
    skin = outline & ~ndi.binary_erosion(outline, structure=PLANE, iterations=skin_voxels,
                                         border_value=1)          # the crop edge is not skin
    return outline, skin
