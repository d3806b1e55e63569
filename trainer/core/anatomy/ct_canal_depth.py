"""The spinal canal's depth on a patient CT: the bone-free gap at the midline between the body and the arch.

The canal's mid-sagittal (antero-posterior) diameter runs from the vertebral body's posterior wall to the front of
the arch (laminae and the spinous process's base) at the midline (FACTS.md 1.2: canal depth 14.7-16.0 mm at
L1-L5, L5 on CT 15.6 +- 2.1 mm; 1.3: 16.0 / 18.1 mm at T11 / T12).  On a patient CT the arch closes the canal at
the midline in some of the vertebra's axial slices only (the laminae slope down and back; between two arches the
canal is closed behind by the ligamentum flavum, not bone), so the depth is read in the slices where it is closed:
each slice's bone-free run along the midline column through a point inside the canal, bounded by bone in front and
behind; runs longer than :data:`MAX_CANAL_DEPTH_MM` are the gap between two arches, not a canal.

Before (docs/realct-log.md, pass 205) the depth was twice the pedicle centres' distance behind the posterior wall:
3-9 mm on the abdominal CT's L1-L5, where the TotalSegmentator mask's runs read 13.5-18 mm.  The canal label
(:func:`~trainer.core.anatomy.ct_labels._other_labels`) reaches this deep behind the pedicle centres' depth and stops
at the first bone met going back (:func:`behind_bone`).
"""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.ct_voxels import axes
from trainer.core.anatomy.grid import Grid

#: a bone-free run along the midline longer than this is the gap between two arches, not the canal (mm); the
#: deepest canals published are about 20 mm (FACTS.md 1.2, 1.3)
MAX_CANAL_DEPTH_MM = 25.0

#: the midline column is this wide either side of the canal's x (mm): one stray marrow voxel does not end a run
COLUMN_HALF_WIDTH_MM = 1.0


def canal_gaps_mm(bone: np.ndarray, grid: Grid, x_mm: float, y_mm: float, z_lo_mm: float,
                  z_hi_mm: float) -> np.ndarray:
    """Each slice's bone-free run (mm) along the midline through the canal point, where bone bounds it both ways.

    Parameters
    ----------
    bone : numpy.ndarray
        Bool (nz, ny, nx) on ``grid``: the vertebra's bone and its neighbours' (the body included).
    grid : Grid
        The grid (mm).
    x_mm, y_mm : float
        A point inside the canal (mm): the canal's midline x and a depth between the posterior wall and the arch
        (the pedicle centres' depth).
    z_lo_mm, z_hi_mm : float
        The slices read: the vertebra's endplates (mm).

    Returns
    -------
    numpy.ndarray
        One length (mm) per slice between the plates whose run through (``x_mm``, ``y_mm``) is bone-free, ends in
        bone on both sides and is at most :data:`MAX_CANAL_DEPTH_MM` long (empty when none is).
    """
    x, y, z = axes(grid)
    sy = float(abs(grid.spacing_xyz_mm[1]))
    cols = np.abs(x - float(x_mm)) <= max(COLUMN_HALF_WIDTH_MM, 0.5 * float(grid.spacing_xyz_mm[0]))
    j0 = int(np.argmin(np.abs(y - float(y_mm))))
    lo, hi = sorted((float(z_lo_mm), float(z_hi_mm)))
    out = []
    for k in np.flatnonzero((z >= lo) & (z <= hi)):
        column = bone[k][:, cols].any(axis=1)
        if column[j0]:
            continue
        front = np.flatnonzero(column[:j0])
        back = np.flatnonzero(column[j0 + 1:])
        if not front.size or not back.size:
            continue
        length = (j0 + 1 + back[0] - front[-1] - 1) * sy
        if length <= MAX_CANAL_DEPTH_MM:
            out.append(length)
    return np.asarray(out, float)


def canal_depth_mm(bone: np.ndarray, grid: Grid, x_mm: float, y_mm: float, z_lo_mm: float, z_hi_mm: float,
                   fallback_mm: float) -> float:
    """The canal's mid-sagittal depth (mm): the median of :func:`canal_gaps_mm`, or ``fallback_mm`` where no slice
    between the plates closes the canal at the midline.

    Parameters
    ----------
    bone, grid, x_mm, y_mm, z_lo_mm, z_hi_mm
        As for :func:`canal_gaps_mm`.
    fallback_mm : float
        The depth used where no slice's run is closed (mm).

    Returns
    -------
    float
        Depth (mm).
    """
    gaps = canal_gaps_mm(bone, grid, x_mm, y_mm, z_lo_mm, z_hi_mm)
    return float(np.median(gaps)) if gaps.size else float(fallback_mm)


def behind_bone(bone: np.ndarray, y_mm: np.ndarray, from_y_mm: float) -> np.ndarray:
    """The voxels at or behind the first bone met going back (+y) from the depth ``from_y_mm`` in each column.

    Parameters
    ----------
    bone : numpy.ndarray
        Bool (nz, ny, nx).
    y_mm : numpy.ndarray
        The grid's y axis (mm, increasing: LPS, +y posterior).
    from_y_mm : float
        The depth the search starts from (mm): a depth inside the canal.

    Returns
    -------
    numpy.ndarray
        Bool, ``bone``'s shape; False in front of ``from_y_mm``.
    """
    out = np.zeros(bone.shape, bool)
    j0 = int(np.searchsorted(np.asarray(y_mm, float), float(from_y_mm)))
    if j0 < bone.shape[1]:
        out[:, j0:, :] = np.maximum.accumulate(bone[:, j0:, :], axis=1)
    return out
