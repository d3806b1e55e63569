"""A real CT turned about the patient's long axis by a known angle: the oracle of a rotated patient.

Real patients do not lie square on the table (a roll on a wedge; scoliotic vertebrae turned 10-30
deg).  :func:`rotated` resamples a :class:`realct_sources.RealCT` as if the patient had been turned
about the cranio-caudal axis through the canal of one level: the HU with linear interpolation, the
TotalSegmentator mask by nearest neighbour with the same transform (scipy.ndimage.affine_transform),
on the same grid.  The applied angle is known exactly and does not come from our code, so the
import's measured turn, its labels and its plans can be checked against it and against the turned
mask (``realct_reference``).

Sign, as ``Landmarks.axial_rotation_deg``: positive turns the vertebra's front towards the patient's
left (+x in LPS), i.e. a point's (x, y) is rotated counter-clockwise by the angle in the x-y plane
(the posterior direction (0, 1) goes to (-sin, cos)).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import realct_reference as reference
import realct_sources as sources
from realct_cases import level_import
from realct_memo import memo
from scipy import ndimage as ndi

from trainer.core.anatomy.ct_patient import patient_from_ct
from trainer.core.anatomy.grid import Grid
from trainer.core.anatomy.labels import body_mask
from trainer.core.scenario.ct_import import landmarks_as_written

#: CT number of air outside the scanned field, where the turned volume samples beyond the original
AIR_HU = -1024


def _turned_grid(grid, angle_deg: float, pivot_xy_mm):
    """The grid holding the whole of ``grid``'s field turned by ``angle_deg`` about the vertical line
    through ``pivot_xy_mm``: same spacing and slices, (x, y) extended to the turned field's bounding box,
    so no scanned voxel is lost (the abdominal CT's field cuts the patient's sides and back)."""
    sx, sy, _ = grid.spacing_xyz_mm
    lo, hi = np.asarray(grid.origin_mm, float), np.asarray(grid.upper_mm, float)
    corners = np.array([turned_point((x, y), angle_deg, pivot_xy_mm) for x in (lo[0], hi[0]) for y in (lo[1], hi[1])])
    c_lo = np.floor((corners.min(axis=0) - lo[:2]) / (sx, sy))
    c_hi = np.ceil((corners.max(axis=0) - lo[:2]) / (sx, sy))
    origin = (lo[0] + c_lo[0] * sx, lo[1] + c_lo[1] * sy, grid.origin_mm[2])
    shape = (grid.shape[0], int(c_hi[1] - c_lo[1]) + 1, int(c_hi[0] - c_lo[0]) + 1)
    return Grid(shape, grid.spacing_xyz_mm, origin)


def _transform(grid, out_grid, angle_deg: float, pivot_xy_mm):
    """(matrix, offset) mapping a voxel index (z, y, x) of ``out_grid`` to one of ``grid`` (same spacing),
    for a turn by ``angle_deg`` about the vertical line through ``pivot_xy_mm``."""
    t = math.radians(angle_deg)
    c, s = math.cos(t), math.sin(t)
    sx, sy, _ = grid.spacing_xyz_mm
    ox, oy, _ = grid.origin_mm
    px, py = float(pivot_xy_mm[0]), float(pivot_xy_mm[1])
    # input mm = R(-t) (output mm - pivot) + pivot, R(-t) = [[c, s], [-s, c]]; index = (mm - origin) / spacing
    m = np.array([[1.0, 0.0, 0.0],
                  [0.0, c, -s * sx / sy],
                  [0.0, s * sy / sx, c]])
    ax, ay = out_grid.origin_mm[0] - px, out_grid.origin_mm[1] - py   # output index 0 relative to the pivot, mm
    off_x = (c * ax + s * ay + px - ox) / sx
    off_y = (-s * ax + c * ay + py - oy) / sy
    off_z = (out_grid.origin_mm[2] - grid.origin_mm[2]) / grid.spacing_xyz_mm[2]
    return m, np.array([off_z, off_y, off_x])


def rotated(ct, angle_deg: float, pivot_level: str, anterior_mm: float = 0.0):
    """``ct`` turned by ``angle_deg`` (deg, positive: the front towards the patient's left) about the
    cranio-caudal axis through the canal centre of ``pivot_level`` (measured on ``ct``'s mask), or
    ``anterior_mm`` in front of it (a roll of the whole table: the axis through the patient's middle, not the
    canal, so the column moves sideways as well as turning).

    Parameters
    ----------
    ct : realct_sources.RealCT
        An unthickened CT (``fine`` is None) and its mask.
    angle_deg : float
        The turn, deg.
    pivot_level : str
        The level whose reference canal centre (x, y, mm) the axis passes through.
    anterior_mm : float
        How far in front of that canal centre (mm, towards -y) the axis passes.

    Returns
    -------
    realct_sources.RealCT
        The same spacing and slices on the turned field's bounding box (:func:`_turned_grid`); HU linearly
        interpolated (air outside the original field), mask nearest neighbour.
    """
    if ct.fine is not None:
        raise ValueError("turn the thin CT, then thicken it")
    # once per test run (realct_memo): 13 files turn the two CTs, several by the same angles
    return memo("rotated", (ct, float(angle_deg), pivot_level, float(anterior_mm)),
                lambda: _turned(ct, float(angle_deg), pivot_level, float(anterior_mm)))


def _turned(ct, angle_deg: float, pivot_level: str, anterior_mm: float):
    """:func:`rotated` itself."""
    pivot = _pivot(ct, pivot_level, anterior_mm)
    out = _turned_grid(ct.grid, angle_deg, pivot)
    m, off = _transform(ct.grid, out, angle_deg, pivot)
    hu = ndi.affine_transform(ct.hu.astype(np.float32), m, off, output_shape=out.shape, order=1, cval=float(AIR_HU))
    labels = ndi.affine_transform(ct.labels, m, off, output_shape=out.shape, order=0, cval=0)
    return sources.RealCT(name=f"{ct.name}-turned{angle_deg:+g}", hu=np.rint(hu).astype(np.int16),
                          labels=labels.astype(np.uint8), grid=out,
                          source=ct.source + f" (turned {angle_deg:+g} deg about {pivot_level}'s canal)")


def _pivot(ct, level: str, anterior_mm: float = 0.0) -> np.ndarray:
    """(x, y) mm of the turn's axis: ``anterior_mm`` in front of ``level``'s reference canal centre."""
    return reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS[level]).canal_xy_mm - (0.0, anterior_mm)


def twisted(ct, angle_at_z: Callable[[np.ndarray], np.ndarray], pivot_level: str):
    """``ct`` with each slice turned by its own angle about the cranio-caudal axis through ``pivot_level``'s
    canal: a rotatory scoliosis's axial turn, growing level by level (the vertebrae turn; the curve's sideways
    shift is not modelled).  The HU linearly, the mask by nearest neighbour, slice by slice with the in-plane
    transform of :func:`rotated`; on the bounding box of the field turned by the smallest and the largest angle.

    Parameters
    ----------
    ct : realct_sources.RealCT
        An unthickened CT and its mask.
    angle_at_z : callable
        Slice z (mm, array) -> turn (deg, array; positive: the front towards the patient's left).
    pivot_level : str
        The level whose reference canal centre the axis passes through.

    Returns
    -------
    realct_sources.RealCT
    """
    if ct.fine is not None:
        raise ValueError("turn the thin CT, then thicken it")
    pivot = _pivot(ct, pivot_level)
    angles = np.asarray(angle_at_z(ct.grid.axis_mm("z")), float)
    lo_g, hi_g = (_turned_grid(ct.grid, float(a), pivot) for a in (angles.min(), angles.max()))
    org = np.minimum(lo_g.origin_mm, hi_g.origin_mm)
    top = np.maximum(lo_g.upper_mm, hi_g.upper_mm)
    sx, sy, _ = ct.grid.spacing_xyz_mm
    out = Grid((ct.grid.shape[0], int(round((top[1] - org[1]) / sy)) + 1, int(round((top[0] - org[0]) / sx)) + 1),
               ct.grid.spacing_xyz_mm, (float(org[0]), float(org[1]), ct.grid.origin_mm[2]))
    hu = np.full(out.shape, AIR_HU, np.int16)
    labels = np.zeros(out.shape, np.uint8)
    for k, a in enumerate(angles):
        m, off = _transform(ct.grid, out, float(a), pivot)
        m2, off2 = m[1:, 1:], off[1:]
        hu[k] = np.rint(ndi.affine_transform(ct.hu[k].astype(np.float32), m2, off2, output_shape=out.shape[1:],
                                             order=1, cval=float(AIR_HU)))
        labels[k] = ndi.affine_transform(ct.labels[k], m2, off2, output_shape=out.shape[1:], order=0, cval=0)
    return sources.RealCT(name=f"{ct.name}-twisted", hu=hu, labels=labels, grid=out,
                          source=ct.source + f" (turned {angles.min():+.1f} to {angles.max():+.1f} deg slice by slice)")


def scoliotic(ct, top_level: str, apex_level: str, apex_deg: float, pivot_level: str):
    """:func:`twisted` with the turn proportional to z: 0 at ``top_level``'s body centre, ``apex_deg`` at
    ``apex_level``'s (reference masks), linear in between and beyond."""
    z0, z1 = (float(reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS[lv]).body_centre_mm[2])
              for lv in (top_level, apex_level))
    return twisted(ct, lambda z: apex_deg * (np.asarray(z, float) - z0) / (z1 - z0), pivot_level)


def turned_point(p_mm, angle_deg: float, pivot_xy_mm) -> np.ndarray:
    """``p_mm`` (x, y[, z], mm) turned by ``angle_deg`` about the vertical line through ``pivot_xy_mm``."""
    t = math.radians(angle_deg)
    p = np.array(p_mm, float)
    dx, dy = p[0] - pivot_xy_mm[0], p[1] - pivot_xy_mm[1]
    p[0] = pivot_xy_mm[0] + math.cos(t) * dx - math.sin(t) * dy
    p[1] = pivot_xy_mm[1] + math.sin(t) * dx + math.cos(t) * dy
    return p


def turned_reference(ct, angle_deg: float, pivot_level: str, level: str) -> reference.Reference:
    """The reference of ``level`` on ``rotated(ct, angle_deg, pivot_level)``: measured on the unturned
    mask (``realct_reference.measure``, whose canal, wall and isthmus rows are read along the grid's
    axes, so it assumes a vertebra facing +y) and turned with the same transform, its masks by nearest
    neighbour and its points exactly.  Measured on the turned mask directly, the chest T12's pedicle
    line turns 4.9 deg for an applied 10 deg.  Once per test run for the same mask, turn and levels
    (``realct_memo``)."""
    return reference.unboxed(memo("turned_reference_box", (ct.labels, ct.grid, float(angle_deg), pivot_level, level),
                                  lambda: reference.boxed(_turned_reference(ct, float(angle_deg), pivot_level, level))))


def _turned_reference(ct, angle_deg: float, pivot_level: str, level: str) -> reference.Reference:
    """:func:`turned_reference` itself."""
    ref = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS[level])
    pivot = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS[pivot_level]).canal_xy_mm
    out = _turned_grid(ct.grid, angle_deg, pivot)
    m, off = _transform(ct.grid, out, angle_deg, pivot)

    def mask(a):
        return ndi.affine_transform(a.astype(np.uint8), m, off, output_shape=out.shape, order=0, cval=0).astype(bool)

    def point(p):
        return turned_point(p, angle_deg, pivot)

    return reference.Reference(
        body=mask(ref.body), pedicle_left=mask(ref.pedicle_left), pedicle_right=mask(ref.pedicle_right),
        body_centre_mm=point(ref.body_centre_mm), pedicle_left_centre_mm=point(ref.pedicle_left_centre_mm),
        pedicle_right_centre_mm=point(ref.pedicle_right_centre_mm),
        superior_endplate_z_mm=ref.superior_endplate_z_mm, inferior_endplate_z_mm=ref.inferior_endplate_z_mm,
        canal_xy_mm=point(ref.canal_xy_mm))


def turned_import(ct, angle_deg: float, level: str, pivot_level: str = "L3", as_written: bool = True):
    """(``rotated(ct, angle_deg, pivot_level)``, its volume, its detected column, the landmarks ``import-ct --level``
    publishes for ``level`` there: the estimate from the column's point, ``import_landmarks``, as the scenario file
    holds it, ``landmarks_as_written``; until round 31, and with ``as_written=False``, the unrounded estimate)."""
    turned = rotated(ct, angle_deg, pivot_level)
    col, lm = level_import(turned, level)      # the column and the estimate once per run (realct_cases)
    return turned, turned.volume(), col, landmarks_as_written(dict(lm)) if as_written else lm


def _turned_labels(ct, angle_deg: float, level: str, pivot_level: str, as_written: bool):
    """(the patient labelled from :func:`turned_import`'s landmarks, its labels on the turned CT's grid in the box
    round the mask's vertebra, that box, the turned reference, the turned CT): what :func:`turned_labelled` and
    :func:`turned_dice` read."""
    turned = rotated(ct, angle_deg, pivot_level)
    # the same turn and level labelled by several files (L5 unturned: test_realct_turned_label_shape.py,
    # _pedicle_depth.py, _pedicle_height.py): once per run (realct_memo), keyed by the turned CT and the level
    patient, ours, box = memo("turned_labels", (turned.hu, turned.labels, turned.grid, level, bool(as_written)),
                              lambda: _labelled_turned(turned, level, as_written))
    return patient, ours, box, turned_reference(ct, angle_deg, pivot_level, level), turned


def _labelled_turned(turned, level: str, as_written: bool):
    """:func:`_turned_labels`' patient (labelled from :func:`turned_import`'s landmarks of the turned CT), its
    labels in the box round the turned mask's vertebra and that box."""
    col, lm = level_import(turned, level)
    lm = landmarks_as_written(dict(lm)) if as_written else lm
    patient = patient_from_ct(turned.volume(), lm, level, column=col)
    k, j, i = np.nonzero(turned.labels == sources.VERTEBRA_LABELS[level])
    box = tuple(slice(max(0, a.min() - 3), min(n, a.max() + 4)) for a, n in zip((k, j, i), turned.labels.shape))
    return patient, reference.labels_on_ct(patient, lm["body_centre_mm"], turned.grid, box), box


def turned_labelled(ct, angle_deg: float, level: str, pivot_level: str = "L3", as_written: bool = True):
    """(the patient labelled from what ``import-ct --level`` estimates on ``ct`` turned by ``angle_deg``
    (:func:`turned_import`), its body Dice against the turned mask, a text naming both volumes (mL))."""
    patient, ours, box, ref, turned = _turned_labels(ct, angle_deg, level, pivot_level, as_written)
    body = body_mask(ours)
    vox_ml = float(np.prod(turned.grid.spacing_xyz_mm)) / 1000.0
    text = f"{body.sum() * vox_ml:.1f} mL labelled, the mask's {ref.body[box].sum() * vox_ml:.1f}"
    return patient, reference.dice(body, ref.body[box]), text


def turned_dice(ct, angle_deg: float, level: str, pivot_level: str = "L3", as_written: bool = True):
    """(the patient labelled from what ``import-ct --level`` estimates on ``ct`` turned by ``angle_deg``
    (:func:`turned_import`), (its body Dice, left pedicle Dice, right pedicle Dice) against the turned mask's).
    One home for the turned-label tests (pedicle height, depth and soft tissue; until round 30 two copies)."""
    patient, ours, box, ref, _ = _turned_labels(ct, angle_deg, level, pivot_level, as_written)
    return patient, reference.label_dices(ours, ref, box)
