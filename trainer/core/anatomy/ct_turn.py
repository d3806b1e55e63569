"""A vertebra in its own frame: the CT resampled turned about a pivot, and the map back.

A real vertebra need not face +y: a patient rolled on a wedge, a scoliotic vertebra turned 10-30 deg
about the long axis, the lordotic L5 tilted about the left-right axis.  The landmark estimate
(:mod:`trainer.core.scenario.ct_import`) and the labelling (:mod:`trainer.core.anatomy.ct_patient`)
read walls, canal and isthmus along the grid's rows and columns, so where the vertebra is turned far
they work on the CT resampled in the vertebra's own frame (:func:`sampled_turned`) and map the result
back to the CT's frame: points by the rotation, label volumes by nearest neighbour.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy.axial_rotation import TURNED_DEG, MirrorSearch, mirror_rotation_deg
from trainer.core.anatomy.grid import Grid

__all__ = ["TURNED_DEG", "rotation_about_x", "rotation_about_z", "sampled_turned", "turn_if_turned_deg", "turned_bounds",
           "vertebra_turn_deg"]

#: the refined turn's step (deg): :func:`~trainer.core.anatomy.axial_rotation.mirror_rotation_deg`'s default
_REFINE_STEP_DEG = 0.1


def rotation_about_x(tilt_deg: float) -> np.ndarray:
    """The 3 x 3 rotation (x, y, z) by ``tilt_deg`` (deg) about the left-right axis: a frame whose level plates
    lie tilted by that much in the CT."""
    t = np.radians(tilt_deg)
    return np.array([[1.0, 0.0, 0.0], [0.0, np.cos(t), -np.sin(t)], [0.0, np.sin(t), np.cos(t)]])


def rotation_about_z(turn_deg: float) -> np.ndarray:
    """The 3 x 3 rotation (x, y, z) by ``turn_deg`` (deg) about the cranio-caudal axis (positive: the front
    towards the patient's left, as ``Landmarks.axial_rotation_deg``): a vertebra facing +y in a frame lies
    turned by that much in the CT."""
    t = np.radians(turn_deg)
    return np.array([[np.cos(t), -np.sin(t), 0.0], [np.sin(t), np.cos(t), 0.0], [0.0, 0.0, 1.0]])


def sampled_turned(array: np.ndarray, grid: Grid, out_grid: Grid, pivot_mm, rot: np.ndarray, order: int,
                   cval: float, output=np.float32) -> np.ndarray:
    """``array`` (on ``grid``) sampled at the voxel centres of ``out_grid``, whose point ``u`` (mm) lies at
    ``grid``'s ``pivot + rot (u - pivot)``.

    Parameters
    ----------
    array : ndarray
        (z, y, x) values on ``grid`` (HU, or labels with ``order=0``).
    grid, out_grid : Grid
        Source and output grids (LPS mm); their spacings may differ.
    pivot_mm : sequence of float
        (x, y, z) mm, the point the turn keeps.
    rot : ndarray
        3 x 3 rotation (x, y, z) from the output's frame to the source's.
    order : int
        Interpolation order (1: linear, 0: nearest neighbour, 3: cubic spline).
    cval : float
        The value outside ``grid``.
    output : dtype
        The output array's type.

    Returns
    -------
    ndarray
        ``out_grid.shape``.
    """
    sp_in, sp_out = np.asarray(grid.spacing_xyz_mm, float), np.asarray(out_grid.spacing_xyz_mm, float)
    p = np.asarray(pivot_mm, float)
    lo, o = np.asarray(out_grid.origin_mm, float), np.asarray(grid.origin_mm, float)
    # output voxel (i, j, k) is the point u = lo + sp_out * (i, j, k), at the source's p + rot (u - p); ndimage
    # indexes (k, j, i)
    matrix = (rot * sp_out[None, :] / sp_in[:, None])[::-1, ::-1]
    offset = ((p + rot @ (lo - p) - o) / sp_in)[::-1]
    return ndi.affine_transform(array, matrix, offset=offset, output_shape=tuple(out_grid.shape), output=output,
                                order=order, cval=cval)


def turned_bounds(lo_mm, hi_mm, pivot_mm, rot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` mm of the box, in the frame ``rot`` maps to the CT's (about ``pivot_mm``), that holds the
    CT's box ``[lo_mm, hi_mm]``: so that every voxel of that box has a voxel of the frame's nearby."""
    lo, hi, p = (np.asarray(v, float) for v in (lo_mm, hi_mm, pivot_mm))
    corners = np.array([[a, b, c] for a in (lo[0], hi[0]) for b in (lo[1], hi[1]) for c in (lo[2], hi[2])])
    own = (corners - p) @ rot + p                   # rot.T (corner - p) + p, row-wise
    return own.min(axis=0), own.max(axis=0)


def vertebra_turn_deg(volume, pedicle_left_mm, pedicle_right_mm, inferior_z_mm: float, superior_z_mm: float) -> float:
    """The vertebra's own axial rotation (deg, positive: its front turned towards the patient's left): the
    :func:`~trainer.core.anatomy.axial_rotation.mirror_rotation_deg` of the slab between its endplates (z, mm)
    about the midpoint of its pedicle centres (x, y, z mm).  The one definition the landmark estimate
    (``ct_import.axial_turn_if_turned_deg``, through :func:`turn_if_turned_deg`), the labelling (``ct_patient``:
    whether to label in the own frame) and the landmarks' ``axial_rotation_deg`` measure."""
    mid = 0.5 * (np.asarray(pedicle_left_mm, float) + np.asarray(pedicle_right_mm, float))
    return mirror_rotation_deg(volume, mid, float(inferior_z_mm), float(superior_z_mm))


def turn_if_turned_deg(volume, pedicle_left_mm, pedicle_right_mm, inferior_z_mm: float,
                       superior_z_mm: float) -> float | None:
    """:func:`vertebra_turn_deg` (deg) where the vertebra is turned :data:`TURNED_DEG` or more, else None: the
    question the landmark estimate and the labelling ask of the turn (whether to work in the vertebra's own frame).

    The mirror search's refined turn lies within 1 deg (and its 0.1 deg rounding) of its coarse one
    (:class:`~trainer.core.anatomy.axial_rotation.MirrorSearch`), so where the coarse turn is under
    ``TURNED_DEG - 1.1`` the answer is None without the refinement (a fifth of the search; docs/realct-log.md
    pass 226); elsewhere the turn refined as :func:`vertebra_turn_deg` refines it.

    Parameters
    ----------
    volume : Volume
        HU (and grid, LPS mm) holding the vertebra.
    pedicle_left_mm, pedicle_right_mm : sequence of float
        The pedicle centres (x, y, z mm).
    inferior_z_mm, superior_z_mm : float
        The endplates (z, mm).

    Returns
    -------
    float or None
        The turn (deg, positive: the front towards the patient's left), or None where under :data:`TURNED_DEG`.
    """
    mid = 0.5 * (np.asarray(pedicle_left_mm, float) + np.asarray(pedicle_right_mm, float))
    search = MirrorSearch(volume, mid, float(inferior_z_mm), float(superior_z_mm))
    if abs(search.coarse_turn_deg) + 1.0 + _REFINE_STEP_DEG < TURNED_DEG:
        return None
    turn = search.refined_deg(_REFINE_STEP_DEG)
    return turn if abs(turn) >= TURNED_DEG else None
