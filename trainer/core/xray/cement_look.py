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

__all__ = ["finger_mm", "interdigitate", "INSIDE_MOTTLE"]

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


def interdigitate(deposit: CementDeposit, marrow: np.ndarray, bone: np.ndarray, spacing_mm: float,
                  origin=(0, 0, 0)) -> CementDeposit:
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
    lobe = np.clip(LOBE_GAIN * ndi.gaussian_filter(m, LOBE_SIGMA_MM / spacing_mm, truncate=2.0), -LOBE_MAX, LOBE_MAX)
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
