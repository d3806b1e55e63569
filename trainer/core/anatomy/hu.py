"""CT numbers (HU) from the label volume: tissue values, cortical shells and trabecular texture.

Documented values (FACTS.md 1.5): trabecular bone about 230 HU healthy, 80-110 HU
osteoporotic (the patient's ``trabecular_hu`` is the mean of the CANCELLOUS label);
cortical shell 1000-1500 HU (``cortical_hu``).  Soft-tissue values are textbook CT
numbers [NV]: fat -100, muscle 50, soft tissue 40, skin 30, CSF/dura 15, disc 90,
blood 45, aerated lung -850.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy.crop_morphology import iterated
from trainer.core.anatomy.labels import Label

__all__ = ["TISSUE_HU", "BONE_MASK_LABELS", "cortical_shell", "assign_hu", "bone_mask", "trabecular_texture",
           "texture_tile", "bone_box"]

TISSUE_HU = {
    Label.AIR: -1000, Label.SKIN: 30, Label.FAT: -100, Label.MUSCLE: 50, Label.CANAL: 15,
    Label.FORAMEN_LEFT: -40, Label.FORAMEN_RIGHT: -40, Label.DISC: 90, Label.BASIVERTEBRAL_VEIN: 45,
    Label.SEGMENTAL_VEIN: 45, Label.CLEFT: 15, Label.SOFT_TISSUE: 40, Label.LUNG: -850, Label.TABLE: -950,
}
BONE_MASK_LABELS = (Label.BODY_CORTEX, Label.CANCELLOUS, Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT,
                    Label.POSTERIOR_ELEMENTS, Label.ADJACENT_VERTEBRA, Label.RIB, Label.PELVIS)
#: Cores of pedicles, posterior elements, neighbours and ribs are denser than the body's cancellous bone [NV].
CORE_FACTOR = 1.3
CORTEX_MM = 1.0
#: Posterior elements (pedicles, laminae, processes) are cortical-dominant and keep their density
#: in osteoporosis much better than the body's trabeculae: thicker cortex and a denser core [NV].
POSTERIOR_CORTEX_MM = 1.5
POSTERIOR_CORE_EXTRA_HU = 110.0


def _lut(values: dict, default=0, dtype=np.int16) -> np.ndarray:
    lut = np.full(256, default, dtype)
    for k, v in values.items():
        lut[int(k)] = v
    return lut


_BONE_LUT = np.zeros(256, bool)
_BONE_LUT[[int(b) for b in BONE_MASK_LABELS]] = True


def bone_mask(labels: np.ndarray) -> np.ndarray:
    """True where ``labels`` hold a bone label (``BONE_MASK_LABELS``)."""
    return _BONE_LUT[labels]


def mask_box(mask: np.ndarray):
    """Slices of the bounding box of a 3-D boolean mask's True voxels (or None when it has none)."""
    idx = [np.flatnonzero(mask.any(axis=tuple(a for a in range(3) if a != ax))) for ax in range(3)]
    if any(i.size == 0 for i in idx):
        return None
    return tuple(slice(int(i[0]), int(i[-1]) + 1) for i in idx)


def bone_box(labels: np.ndarray):
    """Slices of the bounding box of all bone voxels (or None)."""
    return mask_box(_BONE_LUT[labels])


def cortical_shell(labels: np.ndarray, spacing_mm: float, box=None, cortex_mm: float = CORTEX_MM) -> np.ndarray:
    """Boolean mask of bone voxels within ``cortex_mm`` of a non-bone voxel (city-block erosion)."""
    box = box if box is not None else tuple(slice(0, n) for n in labels.shape)
    sub = _BONE_LUT[labels[box]]
    n = max(1, int(round(cortex_mm / spacing_mm)))
    core = iterated(ndi.binary_erosion, sub, ndi.generate_binary_structure(3, 1), n, border_value=1)   # a thin box
    shell = np.zeros(labels.shape, bool)
    shell[box] = sub & ~core
    return shell


#: relative CT numbers of the body's endplate cortex and wall cortex (renormalised so that the
#: BODY_CORTEX mean stays ``cortical_hu``): denser endplates, a lighter outline of the walls [NV]
ENDPLATE_FACTOR = 1.15
WALL_FACTOR = 0.85
#: the posterior wall keeps the endplates' density: only the lateral and anterior walls, which the AP
#: and the lateral show face-on or as the body's outline, are lightened [NV].  Lightened like them, the
#: wall line that the lateral's depth judgement rests on fell under CNR 5 on most lumbar cases
POSTERIOR_WALL_FACTOR = 1.15
#: cortex voxels this close to the posterior wall (mm in front of ``posterior_from_j`` less 2 mm) count as posterior wall
POSTERIOR_WALL_BAND_MM = 4.0


def _facing_z(is_bone: np.ndarray) -> np.ndarray:
    """True where a non-bone voxel lies within 2 voxels above or below (endplate-facing shell)."""
    out = np.zeros(is_bone.shape, bool)
    for d in (1, 2):
        out[d:] |= ~is_bone[:-d]
        out[:-d] |= ~is_bone[d:]
    return out


def frac_body_rim(cortical_hu: float, core_hu: float, spacing_mm: float) -> float:
    """HU of a coarse voxel holding ``CORTEX_MM`` of body cortex (partial volume)."""
    frac = min(1.0, CORTEX_MM / spacing_mm)
    return frac * cortical_hu + (1 - frac) * core_hu


def texture_tile(shape, spacing_mm: float, rng: np.random.Generator, tile_mm=(32.0, 48.0, 48.0)) -> np.ndarray:
    """One periodic tile of trabecular texture for a region of ``shape`` voxels (float32).

    Zero-mean, unit-SD band-pass noise with trabecular-sized blobs (about 0.5-2 mm),
    elongated along z (vertical trabeculae dominate osteoporotic bone), filtered with
    wrap-around so that repeating the tile (``tile_mm`` along z, y, x) is seamless: the
    cost does not grow with the volume.
    """
    tile = tuple(int(min(n, max(8, round(t / spacing_mm)))) for n, t in zip(shape, tile_mm))
    noise = rng.standard_normal(tile, dtype=np.float32)
    sig = np.maximum(np.array([1.1, 0.4, 0.4]) / spacing_mm, 0.5)
    fine = ndi.gaussian_filter(noise, sig, mode="wrap", truncate=2.5)
    coarse = ndi.gaussian_filter(fine, max(1.5 / spacing_mm, 0.7), mode="wrap", truncate=2.5)
    tex = fine - 0.7 * coarse
    tex -= float(tex.mean())
    tex /= float(tex.std()) or 1.0
    return tex


def trabecular_texture(shape, spacing_mm: float, rng: np.random.Generator) -> np.ndarray:
    """The texture tile repeated over ``shape`` (float32)."""
    tex = texture_tile(shape, spacing_mm, rng)
    reps = [int(np.ceil(n / t)) for n, t in zip(shape, tex.shape)]
    return np.tile(tex, reps)[: shape[0], : shape[1], : shape[2]]


#: image noise of soft tissue on the fine grid (HU SD), like a clinical CT at bone-kernel doses [NV]
SOFT_NOISE_HU = 8.0
_NOISY = np.zeros(256, bool)
_NOISY[[int(k) for k in TISSUE_HU if k not in (Label.AIR, Label.LUNG)]] = True


def _add_soft_noise(hu: np.ndarray, labels: np.ndarray, rng: np.random.Generator, tile=(40, 64, 64)):
    """Add zero-mean white noise (a repeated random tile, SD ``SOFT_NOISE_HU``) to soft tissue."""
    t = tuple(min(n, k) for n, k in zip(hu.shape, tile))
    noise = np.rint(rng.standard_normal(t, dtype=np.float32) * SOFT_NOISE_HU).astype(np.int16)
    nz, ny, nx = hu.shape
    for k0 in range(0, nz, t[0]):
        for j0 in range(0, ny, t[1]):
            for i0 in range(0, nx, t[2]):
                blk = (slice(k0, k0 + t[0]), slice(j0, j0 + t[1]), slice(i0, i0 + t[2]))
                sub = hu[blk]
                m = _NOISY[labels[blk]]
                sub[m] += noise[: sub.shape[0], : sub.shape[1], : sub.shape[2]][m]


def assign_hu(labels: np.ndarray, spacing_mm: float, trabecular_hu: float, cortical_hu: float,
              rng: np.random.Generator, textured: bool = True, shell: np.ndarray | None = None,
              box=None, posterior_from_j: int | None = None, posterior_shell: np.ndarray | None = None) -> np.ndarray:
    """HU volume (int16) for ``labels``.

    Parameters
    ----------
    labels : uint8 array
    spacing_mm : float
        Isotropic voxel size (mm); at 2 mm and above the cortex is blended by partial volume.
    trabecular_hu, cortical_hu : float
        Means of the CANCELLOUS and BODY_CORTEX labels.
    rng : numpy.random.Generator
        Texture noise.
    textured : bool
        Trabecular texture (fine grids) or flat values (context grids).
    shell : bool array, optional
        Cortical voxels of the non-body bones; computed when not given.
    box : tuple of slices, optional
        Bounding box of all bone voxels (:func:`bone_box`); computed when not given.
    posterior_from_j : int, optional
        Bone voxels other than the target body (pedicles, posterior elements, neighbours, ribs)
        at y index ``j >= posterior_from_j`` (behind the posterior body walls) are posterior
        elements: core ``POSTERIOR_CORE_EXTRA_HU`` denser and, where ``posterior_shell`` (a
        ``POSTERIOR_CORTEX_MM`` shell) is given, a thicker cortex.
    """
    hu = _lut(TISSUE_HU)[labels]
    if textured and spacing_mm < 1.5:
        _add_soft_noise(hu, labels, rng)
    if box is None:
        box = bone_box(labels)
    if box is None:
        return hu
    if shell is None:
        shell = cortical_shell(labels, spacing_mm, box)
    lab = labels[box]
    is_bone = _BONE_LUT[lab]
    kk, jj, ii = np.nonzero(is_bone)          # box-local indices of the bone voxels
    lab_b = lab[kk, jj, ii]
    sh_b = shell[box][kk, jj, ii]
    core_hu = trabecular_hu * CORE_FACTOR + 20.0
    if posterior_from_j is not None:
        post_b = (jj + box[1].start >= posterior_from_j) & (lab_b != Label.CANCELLOUS) & (lab_b != Label.BODY_CORTEX)
        core_b = np.where(post_b, core_hu + POSTERIOR_CORE_EXTRA_HU, core_hu).astype(np.float32)
        if posterior_shell is not None:
            sh_b = sh_b | (post_b & posterior_shell[box][kk, jj, ii])
    else:
        post_b = None
        core_b = np.full(kk.shape, core_hu, dtype=np.float32)
    if spacing_mm >= 1.5:
        frac: float | np.ndarray = min(1.0, CORTEX_MM / spacing_mm)
        if post_b is not None:
            frac = np.where(post_b, min(1.0, POSTERIOR_CORTEX_MM / spacing_mm), frac)
        rim_hu = frac * cortical_hu + (1 - frac) * core_b
        vals = np.where(sh_b, rim_hu, core_b).astype(np.float32)
        vals[lab_b == Label.CANCELLOUS] = trabecular_hu
        vals[lab_b == Label.BODY_CORTEX] = frac_body_rim(cortical_hu, core_hu, spacing_mm)
    else:
        if textured:
            tile = texture_tile(lab.shape, spacing_mm, rng)
            tz, ty, tx = tile.shape
            tex = tile[kk % tz, jj % ty, ii % tx]
        else:
            tex = np.zeros(kk.size, np.float32)
        amp = 0.45 * trabecular_hu + 30.0
        vals = np.where(sh_b, cortical_hu + 40.0 * tex, core_b + amp * tex).astype(np.float32)
        canc = lab_b == Label.CANCELLOUS
        cv = trabecular_hu + amp * tex[canc]
        cv += trabecular_hu - float(cv.mean()) if cv.size else 0.0
        vals[canc] = cv
        cort = lab_b == Label.BODY_CORTEX
        if cort.any():
            # endplates denser than the walls, the label mean kept at cortical_hu [NV]
            ep = _facing_z(is_bone)[kk[cort], jj[cort], ii[cort]]
            w = np.where(ep, ENDPLATE_FACTOR, WALL_FACTOR)
            if posterior_from_j is not None:
                j_wall = posterior_from_j - int(round((2.0 + POSTERIOR_WALL_BAND_MM) / spacing_mm))
                w = np.where(~ep & (jj[cort] + box[1].start >= j_wall), POSTERIOR_WALL_FACTOR, w)
            w /= float(w.mean())
            vals[cort] = cortical_hu * w + 40.0 * tex[cort]
    hb = hu[box]
    hb[kk, jj, ii] = np.clip(np.rint(vals), -1024, 3071).astype(np.int16)
    return hu
