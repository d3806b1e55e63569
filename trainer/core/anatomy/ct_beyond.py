"""Soft tissue beyond a short CT series' ends, so that its AP and lateral images are not blank there.

A render reaches about 100 mm above and below the target (``ct_import.context_needed_mm``); a series
that stops short of that left the rays beyond its last slice in air: a white band across the bottom or
top of both shots (the CT angiogram's T12, the chest CT's L1), which a C-arm never shows and which
stretched the automatic window (docs/realct-log.md, pass 105 of round 24).  Beyond each end the series'
end slice is repeated as soft tissue only: inside the body outline water-equivalent tissue at
:data:`FILLED_SOFT_TISSUE_HU`, the end slice's own HU where it is below :data:`FILLED_LUNG_BELOW_HU`
(lung, bowel gas), never bone (round 22 removed the repeated bone on purpose).  The filled voxels are
labelled air and the volumes' ``meta['kind']`` is :data:`FILLED_KIND`: no label, plan or score reads
them; they only attenuate the beam.

The repeated slice is blurred in its plane, more the further it lies from the series' face
(:data:`FILLED_BLUR_MM_PER_MM`): a slice repeated unchanged drew every lung or gas pocket and the
body's outline as straight stripes along the beam's cranio-caudal axis in both shots beyond the
series (pass 107).  Blurred, the fill starts as the end slice (no step at the face) and fades to a
smooth body of the same water content (the blur keeps each slice's sum of attenuation), with no
edge to draw a stripe.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from trainer.core.anatomy.grid import Grid, Volume, float3, int3
from trainer.core.anatomy.labels import Label

__all__ = ["FILLED_BLUR_MAX_MM", "FILLED_BLUR_MM_PER_MM", "FILLED_KIND", "FILLED_LUNG_BELOW_HU", "FILLED_REACH_MM",
           "FILLED_SOFT_TISSUE_HU", "blurred_slice_hu", "filled_slice_hu", "filled_volumes", "fill_fine_beyond"]

#: HU of the filled body: water-equivalent soft tissue (muscle and organs, 30-50 HU)
FILLED_SOFT_TISSUE_HU = 40.0
#: an end-slice voxel inside the body below this HU (lung, gas) keeps its own HU in the fill
FILLED_LUNG_BELOW_HU = -400.0
#: the fill reaches this far (mm) above and below the target's centre: the default C-arm's 100 mm
#: plus room for a tilted or moved beam
FILLED_REACH_MM = 160.0
#: ``meta['kind']`` of a filled volume
FILLED_KIND = "filled beyond the series"
#: in-plane Gaussian blur (SD, mm) of a filled slice per mm of its distance from the series' face: a
#: 10 mm lung or gas pocket is smoothed away about 30 mm out, the body outline's edge over the fill's
#: reach [T: pass 107, by eye on the angiogram's T12 and the chest's L1]
FILLED_BLUR_MM_PER_MM = 0.3
#: ... at most this (mm)
FILLED_BLUR_MAX_MM = 30.0


def filled_slice_hu(end_hu: np.ndarray, inside_body: np.ndarray) -> np.ndarray:
    """The fill's HU for one axial slice.

    Parameters
    ----------
    end_hu : ndarray, shape (ny, nx)
        HU of the series' end slice.
    inside_body : ndarray of bool, shape (ny, nx)
        The body outline on that slice (table and mattress outside).

    Returns
    -------
    ndarray of int16, shape (ny, nx)
        -1000 HU outside the body, ``end_hu`` where it is below :data:`FILLED_LUNG_BELOW_HU`,
        else :data:`FILLED_SOFT_TISSUE_HU` (bone included: no bone is repeated).
    """
    out = np.full(end_hu.shape, -1000, np.int16)
    lung = inside_body & (end_hu < FILLED_LUNG_BELOW_HU)
    out[inside_body] = int(FILLED_SOFT_TISSUE_HU)
    out[lung] = end_hu[lung]
    return out


def blurred_slice_hu(slice_hu: np.ndarray, spacing_xy_mm: tuple[float, float], distance_mm: float) -> np.ndarray:
    """A filled slice ``distance_mm`` from the series' face: ``slice_hu`` blurred in its plane.

    Parameters
    ----------
    slice_hu : ndarray, shape (ny, nx)
        The filled end slice (:func:`filled_slice_hu`), HU.
    spacing_xy_mm : (float, float)
        Voxel size along x and y (mm).
    distance_mm : float
        How far the slice's centre lies from the series' face (mm).

    Returns
    -------
    ndarray of int16, shape (ny, nx)
        ``slice_hu`` under a Gaussian of SD ``min(FILLED_BLUR_MM_PER_MM distance_mm, FILLED_BLUR_MAX_MM)``
        mm, air (-1000 HU) beyond the grid; never above ``slice_hu``'s maximum.
    """
    sd_mm = min(FILLED_BLUR_MM_PER_MM * max(float(distance_mm), 0.0), FILLED_BLUR_MAX_MM)
    if sd_mm <= 0.0:
        return np.asarray(slice_hu, np.int16)
    sigma = (sd_mm / float(spacing_xy_mm[1]), sd_mm / float(spacing_xy_mm[0]))
    out = ndimage.gaussian_filter(np.asarray(slice_hu, np.float32), sigma, mode="constant", cval=-1000.0)
    return np.rint(out).astype(np.int16)


def _slab(grid: Grid, face_mm: float, side: int, reach_mm: float, slice_hu: np.ndarray, meta: dict) -> Volume | None:
    """``slice_hu`` repeated on ``grid``'s x-y lattice and z spacing from the series' end face ``face_mm`` outwards
    (``side`` -1 below, +1 above) until ``reach_mm`` from the target's centre is covered, each slice blurred for
    its distance from the face (:func:`blurred_slice_hu`); None if it already is covered."""
    dz = float(grid.spacing_xyz_mm[2])
    n = int(np.ceil((reach_mm - side * face_mm) / dz - 1e-6))
    if n < 1:
        return None
    spacing_xy = (float(grid.spacing_xyz_mm[0]), float(grid.spacing_xyz_mm[1]))
    near_first = [blurred_slice_hu(slice_hu, spacing_xy, (j + 0.5) * dz) for j in range(n)]
    hu = np.ascontiguousarray(np.stack(near_first if side > 0 else near_first[::-1]), dtype=np.int16)
    z0 = face_mm + 0.5 * dz if side > 0 else face_mm - (n - 0.5) * dz
    g = Grid(int3(hu.shape), grid.spacing_xyz_mm, float3((grid.origin_mm[0], grid.origin_mm[1], z0)))
    vol = Volume(hu=hu, labels=np.full(hu.shape, Label.AIR, np.uint8), grid=g, meta={**meta, "kind": FILLED_KIND})
    vol.blood_pool = None
    return vol


def filled_volumes(context_hu: np.ndarray, grid: Grid, meta: dict, reach_mm: float = FILLED_REACH_MM) -> list[Volume]:
    """The filled volumes below and above a context volume (none where the series reaches ``reach_mm``).

    Parameters
    ----------
    context_hu : ndarray, shape ``grid.shape``
        The context's HU with the outside of the body at -1000 HU and the fine box not yet emptied.
    grid : Grid
        The context's grid, centred on the target (mm).
    meta : dict
        The context's metadata (kept, ``kind`` replaced).
    reach_mm : float
        How far (mm) from the target's centre the fill reaches.

    Returns
    -------
    list of Volume
        Each end's slice (:func:`filled_slice_hu`) repeated at the context's voxels out to ``reach_mm``,
        blurred more with distance (:func:`blurred_slice_hu`).
    """
    half = 0.5 * float(grid.spacing_xyz_mm[2])
    out = []
    for end, side, face in ((0, -1, float(grid.origin_mm[2]) - half), (-1, 1, float(grid.upper_mm[2]) + half)):
        end_hu = np.asarray(context_hu[end], float)
        vol = _slab(grid, face, side, reach_mm, filled_slice_hu(end_hu, end_hu > -1000 + 1e-3), meta)
        if vol is not None:
            out.append(vol)
    return out


def fill_fine_beyond(fine: Volume, filled: list[Volume]) -> int:
    """Set, in place, ``fine``'s HU beyond the series' end slice centres to the filled volume's there (nearest x, y, z):
    each filled volume's z range and the half slice between its face and the end slice's centre, where the
    series' resampling gives air.  The labels stay as they are (air).  Returns how many voxels changed."""
    g = fine.grid
    x = g.origin_mm[0] + g.spacing_xyz_mm[0] * np.arange(g.shape[2])
    y = g.origin_mm[1] + g.spacing_xyz_mm[1] * np.arange(g.shape[1])
    z = g.origin_mm[2] + g.spacing_xyz_mm[2] * np.arange(g.shape[0])
    changed = 0
    for vol in filled:
        f = vol.grid
        dz = float(f.spacing_xyz_mm[2])
        ks = np.flatnonzero((z > f.origin_mm[2] - dz + 1e-3) & (z < f.upper_mm[2] + dz - 1e-3))
        if not ks.size:
            continue
        ii = np.clip(np.rint((x - f.origin_mm[0]) / f.spacing_xyz_mm[0]).astype(int), 0, f.shape[2] - 1)
        jj = np.clip(np.rint((y - f.origin_mm[1]) / f.spacing_xyz_mm[1]).astype(int), 0, f.shape[1] - 1)
        near = np.clip(np.rint((z[ks] - f.origin_mm[2]) / dz).astype(int), 0, f.shape[0] - 1)    # nearest filled slice
        fine.hu[ks] = vol.hu[np.ix_(near, jj, ii)]
        changed += ks.size * jj.size * ii.size
    return changed
