"""The flat-panel detector: Beer-Lambert transmission, quantum noise, log processing, dose.

Model per shot (all per detector pixel):

1. Automatic dose-rate control (:func:`adrc`) sets the tube output so that the median
   primary transmission in the central half of the field matches the reference patient's
   (``exp(-ABC_REFERENCE_LOG)`` at 80 kVp), within the tube's range ``ABC_RANGE``; when the
   output would pass its ceiling (a thick lateral) it raises the kVp in 5 kV steps up to
   :data:`ADRC_KVP_MAX` (120 kV), as a C-arm's kV-mA curve does.
2. Unattenuated quanta ``N0 = QUANTA_PER_MM2 * pixel area * pulses * (kVp/80)^2 * abc *
   dose_scale``.  ``QUANTA_PER_MM2`` follows from the reference air kerma (45 uGy per pulse
   at the reference point, 380 mm from the source) inverse-square to the detector
   (6.2 uGy), about 3.1e4 photons/mm2 per uGy at 48 keV, and a detective quantum
   efficiency of 0.6 [D].
3. Expected quanta ``N = N0 (focal_blur(T) + SPR * blur(T (-ln T) / L_med))``, with
   ``T = exp(-line integral)``, the focal spot's penumbra at the isocentre (``focal_spot_mm``) and
   a broad scatter term: each ray's first-order scatter source (:func:`scatter_source`) spread
   over about 19 mm, whose scatter-to-primary ratio at the median central line integral
   ``L_med`` follows the patient's water-equivalent thickness and the field area behind an
   anti-scatter grid (:func:`scatter_to_primary`).
4. Quantum noise: Gaussian with variance ``N`` (Poisson in the large-count limit) from the
   caller's generator: the same generator state gives the same image bit for bit.
5. Detector blur (``mtf_sigma_mm``), then log processing ``image = -ln(N / N0)``: the
   image is in line-integral units, dense = higher value.  Outside a collimated field
   there is no signal and the image holds :data:`SHUTTER_VALUE`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage

from trainer.core.errors import ParameterError
from trainer.core.xray import spectrum
from trainer.core.xray.dose import REFERENCE_KVP, ShotDose, shot_dose
from trainer.core.xray.geometry import CArmGeometry

__all__ = ["Exposure", "expose", "abc_factor", "adrc", "field_mask", "scatter_to_primary", "scatter_source",
           "QUANTA_PER_MM2", "SHUTTER_VALUE", "ABC_RANGE", "ABC_REFERENCE_LOG", "ADRC_KVP_MAX", "GRID_PRIMARY", "GRID_SCATTER"]

QUANTA_PER_MM2 = 1.15e5        #: detected quanta per mm2 per pulse, unattenuated, reference technique [D]
#: median central -ln T of the reference patient (default L1 scenario, AP, 80 kVp, polyenergetic)
ABC_REFERENCE_LOG = 5.59
#: highest tube potential the dose-rate control climbs to [NV]: mobile C-arm generators reach
#: 120 kV (110 left the obese L4 lateral at the output ceiling, wall CNR 4.7).  At 120 kVp x4 and
#: 7.5 pulses/s the air kerma 30 cm from the detector (where 21 CFR 1020.32 measures a C-arm) is
#: about 51 mGy/min, under FACTS.md 5.2's 88 mGy/min normal-mode figure without a boost mode
#: (182 mGy/min at the reference point, 150 mm in front of the isocentre).
ADRC_KVP_MAX = 120.0
GRID_PRIMARY = 0.72            #: primary transmission of a 10:1 anti-scatter grid [NV]
GRID_SCATTER = 0.12            #: scatter transmission of the same grid [NV]
ABC_RANGE = (0.5, 4.0)         #: tube-output range the ABC may use, relative to the reference
SHUTTER_VALUE = 12.0           #: image value behind the collimator blades (no quanta)
_MIN_QUANTA = 0.5


@dataclass(frozen=True, eq=False)
class Exposure:
    """One detector read-out.

    Attributes
    ----------
    image : ndarray float32 (N, N)
        Log-processed image, ``-ln(N/N0)``: dense = higher value (line-integral units).
    dose : ShotDose
    field_mask : ndarray bool (N, N)
        Pixels inside the collimated field.
    abc_factor : float
        Tube output chosen by the ABC, relative to the reference technique.
    quanta_unattenuated : float
        ``N0`` per pixel for this shot.
    """

    image: np.ndarray
    dose: ShotDose
    field_mask: np.ndarray
    abc_factor: float
    quanta_unattenuated: float


def field_mask(geometry: CArmGeometry, field_mm: tuple | None, iris_mm: float | None = None) -> np.ndarray:
    """Boolean (N, N) mask of the collimated field: shutters (centred rectangle ``(width, height)``
    mm at the detector) and iris (centred circle of diameter ``iris_mm``)."""
    n = geometry.pixels
    t = (np.arange(n) - (n - 1) / 2.0) * geometry.pixel_mm
    m = np.ones((n, n), bool)
    if field_mm is not None:
        w, h = (float(v) for v in field_mm)
        if not (10 <= w <= geometry.detector_mm + 1e-9 and 10 <= h <= geometry.detector_mm + 1e-9):
            raise ParameterError("field_mm", field_mm, f"width and height from 10 to {geometry.detector_mm:g} mm")
        m &= (np.abs(t)[None, :] <= w / 2) & (np.abs(t)[:, None] <= h / 2)
    if iris_mm is not None:
        d = float(iris_mm)
        if not (10 <= d <= geometry.detector_mm * np.sqrt(2) + 1e-9):
            raise ParameterError("iris_mm", iris_mm, f"a diameter from 10 to {geometry.detector_mm * np.sqrt(2):.0f} mm")
        m &= t[None, :] ** 2 + t[:, None] ** 2 <= (d / 2) ** 2
    return m


def abc_factor(line_integrals: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Tube output the automatic brightness control picks, relative to the reference technique.

    ``exp(median - ABC_REFERENCE_LOG)`` of the line integrals in the central half of the
    field (every 4th pixel), clipped to :data:`ABC_RANGE`.
    """
    n = line_integrals.shape[0]
    q = slice(n // 4, n - n // 4, 4)
    central = line_integrals[q, q] if mask is None else line_integrals[q, q][mask[q, q]]
    if central.size == 0:
        return 1.0
    med = float(np.median(central))
    return float(np.clip(np.exp(med - ABC_REFERENCE_LOG), *ABC_RANGE))


def scatter_to_primary(water_mm: float, field_area_cm2: float = 900.0, grid: bool = True) -> float:
    """Scatter-to-primary ratio at the detector for a patient of ``water_mm`` water-equivalent thickness.

    Without a grid SPR grows about linearly with thickness and with the square root of the
    field area (about 5 for 20 cm of water and a 30 x 30 cm field, the order of the
    published Monte Carlo figures for abdominal radiography [NV]); a 10:1 grid passes
    :data:`GRID_SCATTER` of the scatter and :data:`GRID_PRIMARY` of the primary.
    """
    spr = 0.025 * max(float(water_mm), 0.0) * np.sqrt(max(float(field_area_cm2), 1.0) / 900.0)
    return spr * (GRID_SCATTER / GRID_PRIMARY if grid else 1.0)


def adrc(central_line_integrals, kvp: float, kvp_max: float = ADRC_KVP_MAX) -> tuple[float, float]:
    """Automatic dose-rate control: the tube potential and output a C-arm picks.

    Parameters
    ----------
    central_line_integrals : callable
        ``f(kvp) -> array`` of the static anatomy's effective line integrals at sampled pixels
        of the central half of the field (cheap: a lookup on cached basis images).
    kvp : float
        The view's nominal tube potential (the scenario's).
    kvp_max : float
        The ceiling of the kV climb.

    Returns
    -------
    (kvp, factor)
        ``factor`` is the tube output relative to the reference technique, chosen so that
        ``N0 T`` (median) matches the reference patient's; above ``ABC_RANGE[1]`` the kVp
        rises in 5 kV steps first, and the output is clipped to ``ABC_RANGE`` at the end.
    """
    k = float(kvp)
    while True:
        med = float(np.median(central_line_integrals(k)))
        factor = float(np.exp(med - ABC_REFERENCE_LOG)) * (REFERENCE_KVP / k) ** 2
        if factor <= ABC_RANGE[1] or k + 5.0 > kvp_max + 1e-9:
            return k, float(np.clip(factor, *ABC_RANGE))
        k += 5.0


@lru_cache(maxsize=8)
def _upsample_index(n_small: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Left neighbours and weights of linear interpolation between cell-centred grids."""
    pos = np.clip((np.arange(n) + 0.5) * n_small / n - 0.5, 0, n_small - 1)
    i0 = np.minimum(pos.astype(int), max(n_small - 2, 0))
    return i0, (pos - i0).astype(np.float32)


def _upsample(small: np.ndarray, n: int, out: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """Separable linear upsampling of a square image into ``out`` (n, n), no BLAS.

    Columns first on the small image, then whole-row gathers (contiguous copies).
    """
    m = small.shape[0]
    i0, w = _upsample_index(m, n)
    i1 = np.minimum(i0 + 1, m - 1)
    cols = small[:, i0] * (1 - w)[None, :] + small[:, i1] * w[None, :]          # (m, n)
    np.take(cols, i0, axis=0, out=out)
    out *= (1 - w)[:, None]
    np.take(cols, i1, axis=0, out=scratch)
    scratch *= w[:, None]
    out += scratch
    return out


_buffers = threading.local()


def _scratch(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two reusable (n, n) float32 work arrays for this thread (fresh 1 MB arrays cost page faults)."""
    store = getattr(_buffers, "store", None)
    if store is None:
        store = _buffers.store = {}
    if n not in store:
        store.clear()
        store[n] = (np.empty((n, n), np.float32), np.empty((n, n), np.float32))
    return store[n]


def _blur(img: np.ndarray, sigma_px: float, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """Detector blur of ``img`` in place (scratch buffers ``s1``, ``s2`` of the same shape).

    A 3-tap binomial kernel of the same variance for small sigma, else a Gaussian.  In-place
    work avoids fresh 1 MB arrays, whose page faults cost more than the arithmetic.
    """
    if sigma_px <= 0.05:
        return img
    if sigma_px > 0.7:
        img[...] = ndimage.gaussian_filter(img, sigma_px, mode="nearest")
        return img
    w = np.float32(sigma_px ** 2 / 2)
    c = np.float32(1 - 2 * w)
    np.multiply(img, c, out=s1)                       # along rows (axis 0) into s1
    np.multiply(img[:-1], w, out=s2[1:])
    s1[1:] += s2[1:]
    np.multiply(img[1:], w, out=s2[:-1])
    s1[:-1] += s2[:-1]
    s1[0] += w * img[0]
    s1[-1] += w * img[-1]
    np.multiply(s1, c, out=img)                       # along columns back into img
    np.multiply(s1[:, :-1], w, out=s2[:, 1:])
    img[:, 1:] += s2[:, 1:]
    np.multiply(s1[:, 1:], w, out=s2[:, :-1])
    img[:, :-1] += s2[:, :-1]
    img[:, 0] += w * s1[:, 0]
    img[:, -1] += w * s1[:, -1]
    return img


def scatter_source(li: np.ndarray, reference_li: float) -> np.ndarray:
    """Relative scatter emitted towards the detector by the ray of line integral ``li`` (first order).

    A pencil beam through a uniform absorber of attenuation ``mu`` and length ``L`` scatters, at depth
    ``x``, ``I0 exp(-mu x) mu_s dx``; what reaches the detector near the ray's exit is attenuated like
    the primary over the rest of the path (``exp(-mu (L - x))``, forward scatter), so the first-order
    scatter is ``I0 (mu_s / mu) T (-ln T)`` with ``T = exp(-mu L)``: the amplitude of the convolution
    scatter models (Ohnesorge, Flohr and Klingenbeck-Regn, Eur Radiol 1999; the scatter kernel
    superposition of Star-Lack et al., SPIE 2009, with exponents 1 and 1).  A ray through air
    (``li`` = 0) scatters nothing and a ray through a very dense path little; the most comes from
    ``li`` = 1.  Normalised by ``reference_li`` (the field's median), so that a uniform field of that
    thickness gives ``T``: its scatter-to-primary ratio is :func:`scatter_to_primary`'s.

    Parameters
    ----------
    li : ndarray
        Line integrals ``-ln T`` (dimensionless).
    reference_li : float
        The line integral whose scatter-to-primary ratio is the nominal one.

    Returns
    -------
    ndarray
        ``T (-ln T) / reference_li`` (same shape as ``li``; 0 where ``li <= 0``).
    """
    x = np.maximum(np.asarray(li, np.float64), 0.0)
    return np.exp(-x) * x / max(float(reference_li), 1e-3)


def _scatter(li: np.ndarray, mask: np.ndarray | None, out: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """Broad scatter field into ``out``: the first-order scatter source (:func:`scatter_source`) of each
    ray blurred over about 19 mm.

    Computed on 8 x 8 pixel blocks (the field is smooth), then upsampled linearly.  The source is
    normalised by the median block line integral of the field's central half (inside the field), as
    the scatter-to-primary ratio is set from the median central thickness.
    """
    n = li.shape[0]
    f = next(k for k in (8, 4, 2, 1) if n % k == 0)
    m = n // f                                            # block means keep the field left-right symmetric
    blocks = li.reshape(m, f, m, f).mean(axis=(1, 3))
    q = slice(m // 4, m - m // 4)
    central = blocks[q, q]
    if mask is not None:
        cover = mask.reshape(m, f, m, f).mean(axis=(1, 3))
        inside = central[cover[q, q] > 0.5]
        central = inside if inside.size else central
    small = scatter_source(blocks, float(np.median(central)))
    if mask is not None:
        small = small * cover
    small = ndimage.gaussian_filter(small, sigma=max(1.0, 32.0 * n / 512 / f), mode="nearest")
    if f == 1:
        out[...] = small
        return out
    return _upsample(small.astype(np.float32), n, out, scratch)


def expose(line_integrals: np.ndarray, pulses: int, geometry: CArmGeometry, rng: np.random.Generator,
           kvp: float = REFERENCE_KVP, field_mm: tuple | None = None, dose_scale: float = 1.0,
           abc: bool = True, spr: float | None = None, mtf_sigma_mm: float = 0.25,
           focal_spot_mm: float = 0.6, grid: bool = True, iris_mm: float | None = None) -> Exposure:
    """Turn line integrals into a noisy, log-processed detector image and its dose.

    Parameters
    ----------
    line_integrals : ndarray (N, N)
        Effective ``-ln T`` per pixel of the beam at ``kvp`` (from :class:`FluoroRenderer`).
    pulses : int
        Pulses in this shot (1 to 75; 7.5 pulses per second).
    geometry : CArmGeometry
    rng : numpy.random.Generator
        Source of the quantum noise (seeded by the caller).
    kvp : float
        Tube potential (dose scales with (kVp/80)^2).
    field_mm : (width, height) mm or None
        Collimated field at the detector; None = whole detector.
    dose_scale : float
        Dose-level setting (and, with ``abc=False``, the caller's ADRC output); noise
        standard deviation scales as ``1/sqrt(dose_scale * pulses)``.
    abc : bool
        Brightness control from this image's median (True) or fixed technique (False).
    spr : float or None
        Scatter-to-primary ratio of a uniform field of the median central line integral (thinner
        and thicker rays scatter as :func:`scatter_source` says); None = :func:`scatter_to_primary`
        of the patient's water-equivalent thickness (median central line integral / water's mean
        mu) and the field.
    mtf_sigma_mm : float
        Gaussian detector blur at the detector plane (mm).
    focal_spot_mm : float
        Focal spot size (FWHM, mm); its penumbra for an object at the isocentre blurs the primary.
    grid : bool
        Anti-scatter grid in (default) or out.
    iris_mm : float or None
        Iris (circular collimator) diameter at the detector; None = open.
    """
    li = np.asarray(line_integrals, np.float32)
    n = geometry.pixels
    if li.shape != (n, n):
        raise ParameterError("line_integrals", f"shape {li.shape}", f"({n}, {n}) for this geometry")
    mask = field_mask(geometry, field_mm, iris_mm)
    sub_mask = None if field_mm is None and iris_mm is None else mask
    factor = abc_factor(li, sub_mask) if abc else 1.0
    dose = shot_dose(pulses, kvp, geometry, field_mm, factor, dose_scale, iris_mm)
    n0 = (QUANTA_PER_MM2 * geometry.pixel_mm ** 2 * pulses * (kvp / REFERENCE_KVP) ** 2
          * factor * dose_scale)
    if spr is None:
        q = slice(n // 4, n - n // 4, 4)
        central = li[q, q] if sub_mask is None else li[q, q][mask[q, q]]
        med = float(np.median(central)) if central.size else 0.0
        area_cm2 = float(mask.sum()) * geometry.pixel_mm ** 2 / 100.0
        spr = scatter_to_primary(med / _water_mu_mean(kvp), area_cm2, grid)
    t, sq = _scratch(n)
    counts = np.empty((n, n), np.float32)             # becomes the returned image
    # focal-spot penumbra of an object at the isocentre, at the detector: f (SID - SOD) / SOD
    fs_sigma_px = focal_spot_mm / 2.355 * (geometry.sid_mm - geometry.sod_mm) / geometry.sod_mm / geometry.pixel_mm
    _expected_transmission(li, sub_mask, float(spr), fs_sigma_px, t, sq, counts)
    t *= np.float32(n0 * (GRID_PRIMARY if grid else 1.0))   # expected quanta behind the grid
    rng.standard_normal(out=counts, dtype=np.float32)
    np.sqrt(t, out=sq)
    counts *= sq
    counts += t
    _blur(counts, mtf_sigma_mm / geometry.pixel_mm, t, sq)
    np.maximum(counts, np.float32(_MIN_QUANTA), out=counts)
    image = np.log(counts, out=counts)
    np.subtract(np.float32(np.log(n0 * (GRID_PRIMARY if grid else 1.0))), image, out=image)
    if sub_mask is not None:
        image[~mask] = SHUTTER_VALUE
    return Exposure(image=image, dose=dose, field_mask=mask, abc_factor=factor, quanta_unattenuated=float(n0))


_last = threading.local()         # per thread: the last shot's line integrals and noise-free transmission


def _expected_transmission(li: np.ndarray, mask: np.ndarray | None, spr: float, fs_sigma_px: float,
                           out: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """Noise-free relative signal ``focal_blur(exp(-li)) + spr * scatter(li)`` into ``out``.

    The last call's primary (focal-blurred transmission) is kept per thread: a shot in an
    unchanged pose with nothing moved reuses it whole, and when only the trocar or cement
    moved (their bounding box, a small part of the field) only that box is recomputed; the
    pixels come out bit for bit as a full computation's.  The scatter term is global and cheap
    (8 x 8 blocks): it is reused only when nothing changed.  ``s1``, ``s2`` are (N, N) scratch
    arrays.
    """
    n = li.shape[0]
    radius = 0 if fs_sigma_px <= 0.05 else (1 if fs_sigma_px <= 0.7 else int(4.0 * fs_sigma_px + 0.5))
    prev = getattr(_last, "shot", None)
    primary = None
    if prev is not None and prev[0].shape == li.shape and prev[2] == radius and prev[3] == fs_sigma_px:
        old_li, old_primary = prev[0], prev[1]
        changed = old_li != li
        rows = np.flatnonzero(changed.any(axis=1))
        if rows.size == 0:
            primary = old_primary
            if spr > 0 and prev[4] is not None and _same_mask(prev[5], mask):
                np.multiply(prev[4], np.float32(spr), out=out)
                out += primary
                return out
        else:
            cols = np.flatnonzero(changed.any(axis=0))
            r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
            if (r1 - r0) * (c1 - c0) <= n * n // 4:
                # inputs two kernel radii round the box, outputs one radius round it
                a0, a1 = max(r0 - 2 * radius, 0), min(r1 + 2 * radius, n)
                b0, b1 = max(c0 - 2 * radius, 0), min(c1 + 2 * radius, n)
                sub = np.exp(-li[a0:a1, b0:b1])
                if radius:
                    _blur(sub, fs_sigma_px, np.empty_like(sub), np.empty_like(sub))
                i0, i1 = max(r0 - radius, 0), min(r1 + radius, n)
                j0, j1 = max(c0 - radius, 0), min(c1 + radius, n)
                primary = old_primary                   # updated in place (owned by the cache)
                primary[i0:i1, j0:j1] = sub[i0 - a0:i1 - a0, j0 - b0:j1 - b0]
                old_li[a0:a1, b0:b1] = li[a0:a1, b0:b1]
    if primary is None:
        primary = np.empty((n, n), np.float32)
        np.negative(li, out=primary)
        np.exp(primary, out=primary)
        if radius:
            _blur(primary, fs_sigma_px, s1, s2)
        _last.shot = (np.array(li, np.float32), primary, radius, fs_sigma_px, None, None)
    if spr > 0:
        _scatter(li, mask, out, s1)
        _last.shot = _last.shot[:4] + (out.copy(), None if mask is None else mask.copy())
        out *= np.float32(spr)
        out += primary
    else:
        out[...] = primary
    return out


def _same_mask(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and bool(np.array_equal(a, b))


@lru_cache(maxsize=16)
def _water_mu_mean(kvp: float) -> float:
    """Detector-weighted mean linear attenuation of water (1/mm) for the beam at ``kvp``."""
    w = spectrum.detector_weights(float(kvp))
    return float((w * spectrum.linear_mu_per_mm("water")).sum())


def _scratch_extra(n: int) -> np.ndarray:
    """A third reusable (n, n) float32 work array for this thread."""
    store = getattr(_buffers, "extra", None)
    if store is None or store.shape != (n, n):
        store = _buffers.extra = np.empty((n, n), np.float32)
    return store
