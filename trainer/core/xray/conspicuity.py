"""Whether a small detail stands out of its anatomical background: a model reader (docs/cement.md).

In radiography detection is limited by the anatomy behind a detail, not by quantum noise
(Burgess, Jacobson & Judy 2001, Med Phys 28:419: power-law anatomical backgrounds).  The reader
modelled here is the non-prewhitening matched filter with an eye filter (NPWE; Burgess, Li &
Abbey 1997, JOSA A 14:2420; Eckstein, Abbey & Bochud 2000, Handbook of Medical Imaging vol. 1
ch. 10): its template is the expected detail filtered twice by the eye's contrast sensitivity
``E(f) = f**1.3 exp(-c f**2)``, peaking at 4 cycles per degree.  Its detectability is

    d' = <w, s> / sqrt(var_x <w, b(. + x)> + sum(w**2 / N))

with ``s`` the detail's contrast (``-ln T`` units), ``w`` the template, ``b`` the same shot without
the detail and ``x`` the template's shifts to nearby positions that do not overlap it (a ring of
one to two of its own sizes): the spread of the reader's response to the anatomy there is the
"noise" (trabecular texture, body edges, other cement).  ``N`` is the quanta per pixel (the
log image's quantum variance is ``1/N``).  A detail counts as seen from ``d' >= 5`` (Rose 1948;
Burgess 1999, JOSA A 16:633).  The eye filter's frequencies are set by the reading geometry: the
image at detector size read from :data:`VIEWING_DISTANCE_MM`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import signal as sps

__all__ = ["EYE_EXPONENT", "EYE_PEAK_CYC_PER_DEG", "ROSE_K", "VIEWING_DISTANCE_MM", "FOOTPRINT_FRACTION",
           "pixel_deg", "eye_filter", "npwe_template", "detectability"]

EYE_EXPONENT = 1.3            #: E(f) = f**1.3 exp(-c f**2) (Burgess, Li & Abbey 1997)
EYE_PEAK_CYC_PER_DEG = 4.0    #: its peak (same source; the contrast sensitivity peak, 3-5 cycles/deg)
ROSE_K = 5.0                  #: Rose (1948): a detail is seen from a signal-to-noise ratio of about 5
VIEWING_DISTANCE_MM = 500.0   #: the image read at detector size from 50 cm (a workstation distance; our choice)
FOOTPRINT_FRACTION = 0.1      #: a detail's footprint: pixels above this fraction of its peak contrast


def pixel_deg(pixel_mm: float, viewing_distance_mm: float = VIEWING_DISTANCE_MM) -> float:
    """Visual angle of one detector pixel (degrees) for an image read at detector size.

    Parameters
    ----------
    pixel_mm : float
        Pixel pitch at the detector (mm).
    viewing_distance_mm : float
        Eye to display (mm).
    """
    return math.degrees(2.0 * math.atan(0.5 * float(pixel_mm) / float(viewing_distance_mm)))


def eye_filter(shape: tuple[int, int], px_deg: float) -> np.ndarray:
    """The eye's contrast sensitivity ``E(f)`` on the FFT grid of ``shape`` (peak 1 at 4 cycles/deg).

    Parameters
    ----------
    shape : (rows, cols)
    px_deg : float
        Visual angle of one pixel (degrees).
    """
    fy = np.fft.fftfreq(shape[0], d=px_deg)
    fx = np.fft.fftfreq(shape[1], d=px_deg)
    f = np.hypot(fy[:, None], fx[None, :])                       # cycles per degree
    c = EYE_EXPONENT / (2.0 * EYE_PEAK_CYC_PER_DEG ** 2)        # dE/df = 0 at the peak
    peak = EYE_PEAK_CYC_PER_DEG ** EYE_EXPONENT * math.exp(-c * EYE_PEAK_CYC_PER_DEG ** 2)
    return (f ** EYE_EXPONENT * np.exp(-c * f * f)) / peak


def npwe_template(s: np.ndarray, px_deg: float | None) -> np.ndarray:
    """The reader's template for the detail ``s``: ``s`` filtered by ``E(f)**2`` (None: ``s`` itself, NPW)."""
    s = np.asarray(s, np.float64)
    if px_deg is None:
        return s
    e = eye_filter(s.shape, px_deg)
    return np.fft.ifft2(np.fft.fft2(s) * e * e).real


def detectability(s: np.ndarray, background: np.ndarray, px_deg: float | None,
                  quanta: np.ndarray | None = None, ring: tuple[float, float] = (1.0, 2.0)) -> float:
    """The model reader's ``d'`` for the detail ``s`` on the shot ``background`` (module docstring).

    Parameters
    ----------
    s : ndarray (H, W)
        The detail's contrast: the shot with it minus the shot without it (``-ln T``; >= 0 where it is).
    background : ndarray (H, W)
        The shot without the detail (``-ln T``).
    px_deg : float or None
        Visual angle of a pixel (degrees, :func:`pixel_deg`); None for the plain matched filter (NPW,
        no eye filter).
    quanta : ndarray (H, W) or None
        Quanta per pixel behind the patient (quantum variance ``1/N`` of the log image); None: none.
    ring : (float, float)
        The shifts sampled, in units of the detail's size ``D`` (its footprint's longer side, at least
        one period of the eye's peak frequency): every whole-pixel shift with ``ring[0] D <= |x| <= ring[1] D``.

    Returns
    -------
    float
        ``d'`` (0 for an empty detail, inf where neither background nor quanta vary).
    """
    s = np.asarray(s, np.float64)
    b = np.asarray(background, np.float64)
    peak = float(s.max()) if s.size else 0.0
    if peak <= 0.0:
        return 0.0
    rows, cols = np.nonzero(s >= FOOTPRINT_FRACTION * peak)
    size = max(int(rows.max() - rows.min()) + 1, int(cols.max() - cols.min()) + 1)
    if px_deg is not None:
        size = max(size, int(math.ceil(1.0 / (EYE_PEAK_CYC_PER_DEG * px_deg))))
    r_out = int(math.ceil(ring[1] * size))
    r_in = ring[0] * size
    margin = size                                   # the template's filtered skirt around the footprint
    h, w_ = s.shape
    t0, t1 = max(0, int(rows.min()) - margin), min(h, int(rows.max()) + margin + 1)
    l0, l1 = max(0, int(cols.min()) - margin), min(w_, int(cols.max()) + margin + 1)
    # the template on a padded patch (the filter is circular: pad so its skirt does not wrap)
    pad = 2 * margin
    patch = np.zeros((t1 - t0 + 2 * pad, l1 - l0 + 2 * pad))
    patch[pad:-pad, pad:-pad] = s[t0:t1, l0:l1]
    tmpl = npwe_template(patch, px_deg)[pad:-pad, pad:-pad]
    if px_deg is not None:
        tmpl -= tmpl.mean()                         # E(0) = 0: what the crop cut off the skirt, not a DC term
    sig = float((tmpl * s[t0:t1, l0:l1]).sum())
    var_q = 0.0 if quanta is None else float((tmpl ** 2 / np.asarray(quanta, np.float64)[t0:t1, l0:l1]).sum())
    # the template's response to the background at every shift up to r_out (the image's edge reflected)
    bp = np.pad(b, r_out, mode="reflect")[t0:t1 + 2 * r_out, l0:l1 + 2 * r_out]
    resp = sps.correlate(bp, tmpl, mode="valid", method="fft")
    dy, dx = np.mgrid[-r_out:r_out + 1, -r_out:r_out + 1]
    d = np.hypot(dy, dx)
    vals = resp[(d >= r_in) & (d <= r_out)]
    var_b = float(vals.var())
    var = var_b + var_q
    return math.inf if var <= 0.0 else sig / math.sqrt(var)
