"""From a log-processed detector image to display grey levels.

Fluoroscopy convention: dense = dark (bone and metal dark, air bright); ``invert=True``
gives the radiograph look (dense = bright).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from trainer.core.errors import ParameterError
from trainer.core.xray.shapes import MARK_CEMENT

__all__ = ["to_display", "auto_window", "enhance", "smooth", "present", "flip", "flip_pixel", "carm_image",
           "burn_marker", "side_letter"]


def to_display(image: np.ndarray, window: float, level: float, invert: bool = False) -> np.ndarray:
    """Map ``image`` (dense = higher value) to uint8 grey levels.

    Parameters
    ----------
    image : ndarray (N, N)
        Log-processed detector image.
    window, level : float
        Width and centre of the displayed value range (image units); values below
        ``level - window/2`` are white and above ``level + window/2`` black (fluoroscopy).
    invert : bool
        Dense = bright instead.
    """
    if not (window > 0):
        raise ParameterError("window", window, "a positive width")
    v = (np.asarray(image, np.float32) - np.float32(level - window / 2.0)) / np.float32(window)
    np.clip(v, 0.0, 1.0, out=v)
    if not invert:
        v = 1.0 - v
    return (v * 255.0 + 0.5).astype(np.uint8)


def flip(image: np.ndarray, horizontal: bool = False, vertical: bool = False) -> np.ndarray:
    """The image as a C-arm's flip buttons show it (a view; the stored image never changes).

    ``horizontal`` mirrors left-right, ``vertical`` top-bottom.  Map clicks on a flipped
    image back to detector pixels with :func:`flip_pixel`.
    """
    img = np.asarray(image)
    if horizontal:
        img = img[:, ::-1]
    if vertical:
        img = img[::-1, :]
    return img


def flip_pixel(col: float, row: float, pixels: int, horizontal: bool = False,
               vertical: bool = False) -> tuple[float, float]:
    """Detector ``(col, row)`` of a point at ``(col, row)`` on the flipped display (its own inverse)."""
    if horizontal:
        col = pixels - 1 - col
    if vertical:
        row = pixels - 1 - row
    return col, row


def auto_window(image: np.ndarray, mask: np.ndarray | None = None, low_pct: float = 0.5,
                high_pct: float = 99.5) -> tuple[float, float]:
    """A window and level ``(window, level)`` spanning the given percentiles of ``image``.

    ``mask`` restricts the statistics (e.g. to the collimated field).  Percentiles are
    taken on every 2nd pixel for speed.
    """
    img = np.asarray(image)
    vals = img[::2, ::2] if mask is None else img[::2, ::2][np.asarray(mask)[::2, ::2]]
    if vals.size == 0:
        vals = img.ravel()
    lo, hi = np.percentile(vals, [low_pct, high_pct])
    w = max(float(hi - lo), 1e-3)
    return w, float(lo + w / 2.0)


def enhance(image: np.ndarray, amount: float = 0.6, sigma_px: float = 6.0) -> np.ndarray:
    """Unsharp-mask edge enhancement as C-arm image processing applies it (float32 out)."""
    img = np.asarray(image, np.float32)
    if amount <= 0:
        return img.copy()
    blur = smooth(img, sigma_px)
    return (img + np.float32(amount) * (img - blur)).astype(np.float32)


def smooth(image: np.ndarray, sigma_px: float) -> np.ndarray:
    """Gaussian blur (float32); wide kernels run on a block-averaged copy and are upsampled.

    For ``sigma_px >= 8`` the image is averaged in blocks of ``f`` (a power of two up to
    ``sigma_px / 3`` that divides both sides), blurred with ``sigma_px / f`` and linearly
    interpolated back: about 10 times faster, and indistinguishable for a smooth
    background estimate.
    """
    img = np.asarray(image, np.float32)
    h, w = img.shape
    f = 1
    while f * 2 <= sigma_px / 3 and h % (f * 2) == 0 and w % (f * 2) == 0:
        f *= 2
    if f == 1:
        return ndimage.gaussian_filter(img, sigma_px, mode="nearest")
    small = img.reshape(h // f, f, w // f, f).mean(axis=(1, 3))
    small = ndimage.gaussian_filter(small, sigma_px / f, mode="nearest")
    return _upsample(small.astype(np.float32), f)


def _upsample(small: np.ndarray, f: int) -> np.ndarray:
    """Linear interpolation of a cell-centred image to ``f`` times its size (separable gathers)."""
    out = small
    for axis in (1, 0):
        m = out.shape[axis]
        pos = np.clip((np.arange(m * f) + 0.5) / f - 0.5, 0, m - 1)
        i0 = np.minimum(pos.astype(np.intp), max(m - 2, 0))
        i1 = np.minimum(i0 + 1, m - 1)
        wt = (pos - i0).astype(np.float32)
        shape = (1, -1) if axis == 1 else (-1, 1)
        wt = wt.reshape(shape)
        a = np.take(out, i0, axis=axis)             # a (1 - wt) + b wt, in place
        a *= 1 - wt
        b = np.take(out, i1, axis=axis)
        b *= wt
        a += b
        out = a
    return out


def _soft_clip(x: np.ndarray, limit: float) -> np.ndarray:
    """``limit * tanh(x / limit)``: small details pass, large steps (metal edges) are capped."""
    return (np.float32(limit) * np.tanh(x / np.float32(limit))).astype(np.float32)


#: pixels this many IQRs above the patient's upper quartile are metal or cement and left out of the
#: window statistics.  1.5 IQR also dropped the spine column of a dense lumbar AP, which then
#: clipped black (L3: 1.7 % of the patient)
PATIENT_FENCE_IQR = 3.0


#: range scale (log units) of the edge-preserving noise reduction on metal and cement pixels: about six
#: times the quantum noise of a 4-pulse shot behind the default patient (0.025 log per pixel), two to
#: three times the noise behind 1-2 log units of cement, a tenth of a steel trocar's step (2-4)
METAL_RANGE_LOG = 0.15


def _keep_metal_apart(base: np.ndarray, work: np.ndarray, metal: np.ndarray, sigma_px: float,
                      soft: np.ndarray | None = None) -> None:
    """Redo the noise reduction ``base = G(work)`` round the ``metal`` pixels, in place, so that
    metal is averaged with metal and anatomy with anatomy (normalised convolution), as a C-arm's
    edge-preserving filter keeps a steel edge sharp; the ``soft`` ones among them (the cement's) with
    the neighbours of about their own value, marked or not (a bilateral filter, range
    :data:`METAL_RANGE_LOG`), so the thin margin of a deposit, a few tenths of a log unit over the
    bone, shades into it.  (Averaged with marked pixels only, that margin took the dense core's
    value: the cement showed black to a pixel-sharp edge.  Bilateral on the steel too, the lateral
    trocar read 0.1-0.3 mm narrower.)

    Only the metal's bounding box (plus two kernel radii) is filtered; the box's outer radius is
    not written back (its own border), and away from the metal the result equals the plain blur.
    """
    n0, n1 = work.shape
    r = int(3.0 * sigma_px + 0.5)                          # gaussian_filter's radius at truncate=3
    rows, cols = np.flatnonzero(metal.any(axis=1)), np.flatnonzero(metal.any(axis=0))
    a0, a1 = max(rows[0] - 2 * r, 0), min(rows[-1] + 1 + 2 * r, n0)
    b0, b1 = max(cols[0] - 2 * r, 0), min(cols[-1] + 1 + 2 * r, n1)
    sub = work[a0:a1, b0:b1]
    anat = (~metal[a0:a1, b0:b1]).astype(np.float32)
    num_a = ndimage.gaussian_filter(sub * anat, sigma_px, truncate=3.0)
    den_a = ndimage.gaussian_filter(anat, sigma_px, truncate=3.0)
    # the metal's share of the same blur (the plain blur ``base`` is exact where it is written back)
    num_m, den_m = base[a0:a1, b0:b1] - num_a, np.float32(1.0) - den_a
    eps = np.float32(1e-6)
    val = np.where(anat > 0, num_a / np.maximum(den_a, eps), num_m / np.maximum(den_m, eps))
    if soft is not None and soft.any():
        mi, mj = np.nonzero(soft[a0:a1, b0:b1])
        pad = np.pad(sub, r, mode="edge")
        centre = sub[mi, mj]
        num = np.zeros(mi.size, np.float32)
        den = np.zeros(mi.size, np.float32)
        k = np.float32(-0.5 / METAL_RANGE_LOG ** 2)
        for di in range(-r, r + 1):
            for dj in range(-r, r + 1):
                ws = np.float32(np.exp(-(di * di + dj * dj) / (2.0 * sigma_px * sigma_px)))
                if ws < 1e-4:
                    continue
                nb = pad[mi + r + di, mj + r + dj]
                d = nb - centre
                w = ws * np.exp(k * d * d)
                num += w * nb
                den += w
        val[mi, mj] = num / den
    # keep the box's outer radius (filtered with the box's own border) unless it is the image's
    i0, j0 = (0 if a0 == 0 else r), (0 if b0 == 0 else r)
    i1, j1 = (val.shape[0] if a1 == n0 else val.shape[0] - r), (val.shape[1] if b1 == n1 else val.shape[1] - r)
    base[a0 + i0:a0 + i1, b0 + j0:b0 + j1] = val[i0:i1, j0:j1]


#: excess (log units, after scatter and processing) of a marked pixel over the anatomy under it that
#: shows black (:func:`_shade_metal`) [T: by eye on the cement images].  The scatter bounds what a dense
#: overlay adds: a 3 mm steel shaft 0.5-0.8 on the default patient (lateral, AP), the core of 3 mL of
#: paste 0.3-0.8 (the synthetic lateral's 0.3-0.45), its margin and runny cement's streaks 0.1-0.4.
#: 0.45 until pass 107: the lateral's paste core was black only because the body sat at the window's
#: top; with :data:`TARGET_HEADROOM_LOG` of room it showed grey (3 mL of paste on the default lateral:
#: 38 % of its pixels black -> 1 %), at 0.3 42 %
METAL_BLACK_LOG = 0.3
#: the grading compresses the cement's excess at most this much: where the anatomy is already near
#: black (T12 lateral, over the dome) the cement keeps a third of its excess and its core saturates,
#: instead of vanishing into the little room left
METAL_MIN_GAIN = 1.0 / 3.0
#: inpainting scale (mm at the detector) of the anatomy under a marked region
_UNDER_SIGMA_MM = 6.0
#: the inpainted anatomy is that of the densest pixel within this size (mm): biased dark, so that the
#: graded cement is never lighter than the bone or soft tissue round it
_UNDER_DARK_MM = 4.0


def _shade_metal(out: np.ndarray, metal: np.ndarray, shade: np.ndarray, top: float, pixel_mm: float) -> None:
    """Grade the marked pixels between their anatomy and black, in place (halo-free, local).

    Only the ``shade`` pixels (the cement's) are graded: a steel shaft's apparent width is its
    half-black width, which the compression would narrow (lateral trocar 5.3 -> 5.0 mm).
    The anatomy under the marked pixels is estimated from the unmarked ones round them (normalised
    convolution with two box filters, about a Gaussian of :data:`_UNDER_SIGMA_MM`); where the window
    leaves less room between it and black (``top``) than :data:`METAL_BLACK_LOG`, a marked pixel's
    excess ``e`` over it is compressed linearly into that room (``under + e room / METAL_BLACK_LOG``,
    black from ``METAL_BLACK_LOG``), elsewhere it is shown as it is.  Shown plainly, cement over the dense vertebral body (room
    0.1-0.3 log units) saturated to its very edge; compressed, a thin margin shades into the bone
    and runny cement's streaks read grey while a paste core and a steel shaft stay black.  The
    unmarked pixels are untouched, so no halo forms, and the gain is at most 1 (no noise is
    amplified).
    """
    n0, n1 = out.shape
    size = 2 * int(np.sqrt(3.0) * _UNDER_SIGMA_MM / pixel_mm) + 1     # two boxes of this size: a Gaussian's SD
    r = size
    rows, cols = np.flatnonzero(shade.any(axis=1)), np.flatnonzero(shade.any(axis=0))
    a0, a1 = max(rows[0] - r, 0), min(rows[-1] + 1 + r, n0)
    b0, b1 = max(cols[0] - r, 0), min(cols[-1] + 1 + r, n1)
    sub, m = out[a0:a1, b0:b1], metal[a0:a1, b0:b1]
    # the anatomy's darker side: each unmarked pixel replaced by the densest unmarked one within
    # :data:`_UNDER_DARK_MM` (a cement deposit beside bright lung, T12 lateral, was otherwise inpainted
    # too light and shown lighter than the dome round it)
    k = 2 * int(0.5 * _UNDER_DARK_MM / pixel_mm) + 1
    dark = ndimage.maximum_filter(np.where(m, np.float32(-1e9), sub), size=k, mode="nearest")
    num = np.where(m, np.float32(0.0), np.maximum(dark, sub))
    den = (~m).astype(np.float32)
    for _ in range(2):
        num = ndimage.uniform_filter(num, size, mode="nearest")
        den = ndimage.uniform_filter(den, size, mode="nearest")
    mi, mj = np.nonzero(shade[a0:a1, b0:b1])
    d = den[mi, mj]
    under = np.where(d > 1e-3, num[mi, mj] / np.maximum(d, np.float32(1e-3)), np.float32(top))
    under = np.minimum(under, np.float32(top))
    room = np.float32(top) - under
    gain = np.clip(room / np.float32(METAL_BLACK_LOG), np.float32(METAL_MIN_GAIN), np.float32(1.0))
    e = sub[mi, mj] - under
    sub[mi, mj] = np.where(e > 0, under + gain * e, sub[mi, mj])


#: the target's anatomy: the central square of the field this wide (share of the image side); the C-arm
#: is centred on the target vertebra, so this is its body and pedicles (about 40 mm at the isocentre)
TARGET_REGION = 0.2
#: the target's dense level: this percentile of the anatomy in :data:`TARGET_REGION` (the vertebral body)
TARGET_DENSE_PCT = 75.0
#: the window's top is kept at least this far (log units) above the target's dense level, so that cement
#: over the body has room to show darker than the bone round it: two thirds of :data:`METAL_BLACK_LOG`'s
#: earlier 0.45 (now both 0.3), the grading's gain there being 2/3, so a paste core (0.45 log and more over
#: the bone) still shows black
#: [T: pass 107 of docs/realct-log.md].  Real CTs put the body at 0.89-0.93 of the patient-percentile
#: window (a dense dome and a wide body above the body's level; pass 101): 0.1-0.15 log units of room,
#: where 3 mL of cement darkened the angiogram's T12 lateral by 0.046 of the window
TARGET_HEADROOM_LOG = 0.3
#: ... but never more than this share of the patient-percentile window: a narrow window (the abdomen's
#: lateral, 0.75 log) already has the room in its own terms and would only lose contrast
TARGET_HEADROOM_SHARE = 0.2


def target_headroom_top(image: np.ndarray, lo: float, hi: float, metal: np.ndarray | None = None) -> float:
    """The lowest window top (log units) that leaves :data:`TARGET_HEADROOM_LOG` above the target's dense
    level.

    Parameters
    ----------
    image : ndarray (N, N)
        The processed image (log units, dense = higher).
    lo, hi : float
        The patient-percentile window's bottom and top (log units).
    metal : ndarray of bool, optional
        Trocar and cement pixels, left out of the statistics.

    Returns
    -------
    float
        ``d + min(TARGET_HEADROOM_LOG, TARGET_HEADROOM_SHARE (hi - lo))`` where ``d`` is the
        :data:`TARGET_DENSE_PCT` percentile of the :data:`TARGET_REGION` (log units); ``lo`` when the
        region holds no anatomy.
    """
    n0, n1 = image.shape
    b0, b1 = int(round(n0 * (1 - TARGET_REGION) / 2)), int(round(n1 * (1 - TARGET_REGION) / 2))
    sub = image[b0:n0 - b0, b1:n1 - b1]
    if metal is not None:
        sub = sub[~np.asarray(metal)[b0:n0 - b0, b1:n1 - b1]]
    if sub.size == 0:
        return float(lo)
    dense = float(np.percentile(sub, TARGET_DENSE_PCT))
    return float(max(dense + min(TARGET_HEADROOM_LOG, TARGET_HEADROOM_SHARE * (hi - lo)), lo))


def present(image: np.ndarray, mask: np.ndarray | None = None, pixel_mm: float = 300.0 / 512,
            compress: float = 0.7, compress_sigma_mm: float = 20.0, sharpen: float = 0.3,
            sharpen_sigma_mm: float = 1.5, central: float = 0.6,
            halo_limit: float = 0.08, denoise_mm: float = 0.7, low_pct: float = 0.15,
            high_pct: float = 99.85, patient_log: float = 0.4,
            metal: np.ndarray | None = None) -> tuple[np.ndarray, float, float]:
    """The default C-arm look: harmonisation, halo-free edge enhancement, automatic window.

    Steps (kernel sizes at the detector, so the look does not depend on the image size):

    1. Spatial noise reduction (``denoise_mm`` Gaussian at the detector, 0.36 mm at the isocentre).
       Given ``metal`` (the pixels the trocar or cement cover: the renderer's uint8 marks,
       :data:`~trainer.core.xray.shapes.MARK_STEEL` / ``MARK_CEMENT`` from
       :meth:`~trainer.core.xray.renderer.FluoroRenderer.render_shot`, or a bool mask), it averages
       anatomy with anatomy and steel with marked pixels only (normalised convolution), as an
       edge-preserving C-arm filter keeps a steel edge sharp (a plain blur spread the saturated AP
       trocar about 0.9 mm wider than the lateral's), and a cement pixel (all marked pixels of a
       bool mask) with the neighbours of about its value (bilateral).  Marked pixels also stay out
       of the window statistics.
    2. Dynamic-range compression ("harmonisation"): subtract ``compress`` times a
       ``compress_sigma_mm`` low-pass of the image, so the abdomen's thickness gradient
       shrinks while structures smaller than the kernel keep their contrast.  The low-pass
       is taken of the image with metal and cement clipped to the anatomy's range, so they
       leave no dark or bright halo around themselves.
    3. Edge enhancement: ``sharpen`` times the band-pass detail (``sharpen_sigma_mm``),
       soft-clipped at ``halo_limit`` (log units) so the steel and barium edges do not ring.
    4. Window from the ``low_pct``-``high_pct`` percentiles of the patient (raw log above
       ``patient_log``, metal and cement excluded by the patient's Tukey fence), its top capped
       at the larger of the ``central`` region's far fence (upper quartile + 3 IQR) and the
       patient's, so the trocar and the cement do not stretch the window.
    5. The cement's pixels (``MARK_CEMENT``; all marked pixels of a bool mask) graded between the
       anatomy under them and black (:func:`_shade_metal`); the steel and the anatomy untouched.

    Returns ``(processed image, window, level)`` for :func:`to_display`.
    """
    img = np.asarray(image, np.float32)
    if mask is not None and not np.all(mask):
        fill = float(np.median(img[mask])) if np.any(mask) else 0.0
        work = np.where(mask, img, np.float32(fill))
    else:
        work = img
    n = img.shape[0]
    b = int(round(n * (1 - central) / 2))
    region = np.zeros(img.shape, bool)
    region[b:n - b, b:n - b] = True
    if mask is not None:
        region &= np.asarray(mask)
        if not region.any():
            region = np.asarray(mask)
    k = max(1, n // 128)                      # statistics on every k-th pixel (16k samples)
    sigma_px = max(denoise_mm / pixel_mm, 0.3)
    base = ndimage.gaussian_filter(work, sigma_px, truncate=3.0)
    metal_k = None
    shade = None
    if metal is not None:
        marks = np.asarray(metal)
        metal = marks.astype(bool)
        # graded: the cement's pixels (a plain bool mask: all of them); the steel stays as it is
        shade = metal if marks.dtype == bool else marks == MARK_CEMENT
        if metal.any():
            _keep_metal_apart(base, work, metal, sigma_px, shade)
            metal_k = metal[::k, ::k]
            if (region[::k, ::k] & ~metal_k).sum() >= 100:
                region = region & ~metal
    q1, q3 = np.percentile(base[::k, ::k][region[::k, ::k]], [25.0, 75.0])
    anat_hi = float(q3 + 3.0 * (q3 - q1))                      # metal/cement above this
    clipped = np.minimum(base, np.float32(anat_hi))
    out = smooth(clipped, compress_sigma_mm / pixel_mm)                 # the low-pass, then in place:
    out *= np.float32(-compress)
    out += base                                                         # base - compress * low
    if sharpen > 0:
        detail = ndimage.gaussian_filter(clipped, sharpen_sigma_mm / pixel_mm, truncate=3.0)
        np.subtract(clipped, detail, out=detail)
        detail *= np.float32(1.0 / halo_limit)                          # soft clip: limit tanh(x / limit)
        np.tanh(detail, out=detail)
        detail *= np.float32(halo_limit) * np.float32(sharpen)
        out += detail
    # window: the tails of the whole patient (raw log > patient_log, i.e. more than about 2 cm of
    # water) so that almost nothing inside the patient clips; metal capped by the Tukey fence of
    # the dominant region.  Statistics on every k-th pixel only.
    out_k, region_k = out[::k, ::k], region[::k, ::k]
    patient = base[::k, ::k] > np.float32(patient_log)
    if mask is not None:
        patient &= np.asarray(mask)[::k, ::k]
    if metal_k is not None:
        patient &= ~metal_k
    patient_fence = np.inf
    if patient.sum() >= 100:                     # no metal, no cement: above the patient's Tukey fence
        p1, p3 = np.percentile(out_k[patient], [25.0, 75.0])
        patient &= out_k <= np.float32(p3 + PATIENT_FENCE_IQR * (p3 - p1))
        patient_fence = float(p3 + 3.0 * (p3 - p1))
    if patient.sum() < 100:
        patient = region_k
    vals = out_k[patient]
    lo, hi = np.percentile(vals, [low_pct, high_pct])
    q1, q3 = np.percentile(out_k[region_k], [25.0, 75.0])
    # fence: metal and cement saturate, not stretch the window.  The central region's fence alone
    # clipped the dense posterior muscles and bone of a lung-dominated thoracic lateral (T9: 3.4 %
    # of the patient black); the whole patient's (far) fence bounds it from below
    hi = min(hi, max(q3 + 3.0 * (q3 - q1), min(patient_fence, hi)))
    hi = max(float(hi), target_headroom_top(out, float(lo), float(hi), metal))
    w = max(float(hi - lo), 1e-3)
    lvl = float(lo + w / 2.0)
    if metal is not None and shade is not None and shade.any():
        _shade_metal(out, metal, shade, float(hi), pixel_mm)
    if mask is not None and not np.all(mask):
        out[~np.asarray(mask)] = np.float32(lvl + w)      # shutters: black
    return out, w, lvl


#: 5 x 7 glyphs of the side markers (1 = ink)
_GLYPHS = {
    "L": ["10000", "10000", "10000", "10000", "10000", "10000", "11111"],
    "R": ["11110", "10001", "10001", "11110", "10100", "10010", "10001"],
}


def side_letter(orbital_deg: float) -> str:
    """The side marker a shot at ``orbital_deg`` carries in its upper-left corner.

    AP-like views (|orbital| < 45 deg, the detector over the prone patient's back): the image
    shows the patient's left on its left, so the corner reads ``L``.  Lateral-like views: the
    letter names the patient side facing the detector (``L`` for the default lateral,
    orbital +90 with the tube on the patient's right; ``R`` for orbital -90).
    """
    o = float(orbital_deg)
    if abs(o) < 45.0:
        return "L"
    return "L" if o > 0 else "R"


def burn_marker(image: np.ndarray, letter: str, value: float, scale: int | None = None,
                margin: int | None = None, outline: float | None = None) -> np.ndarray:
    """Burn a side-marker letter into the upper-left corner of ``image`` (in place), like a C-arm.

    ``value`` is the pixel value of the letter (choose one that displays white); ``outline``
    (default ``1 - value``) draws a dark rim round it, so the letter reads on lung or air too.
    """
    if letter not in _GLYPHS:
        raise ParameterError("letter", letter, "'L' or 'R'")
    if outline is None:
        outline = 1.0 - value
    n = image.shape[0]
    k = scale if scale is not None else max(1, n // 128)
    m = margin if margin is not None else max(2, n // 64)
    glyph = np.array([[c == "1" for c in row] for row in _GLYPHS[letter]], bool)
    big = np.pad(np.kron(glyph, np.ones((k, k), bool)), k)
    h, w = big.shape
    halo = ndimage.binary_dilation(big, iterations=k)
    region = image[m:m + h, m:m + w]
    region[halo[:region.shape[0], :region.shape[1]]] = outline
    region[big[:region.shape[0], :region.shape[1]]] = value
    return image


def carm_image(image: np.ndarray, mask: np.ndarray | None, pixel_mm: float, orbital_deg: float | None = None,
               metal: np.ndarray | None = None, **look) -> np.ndarray:
    """A shot as the C-arm stores it: :func:`present` applied and normalised to the window.

    Returns float32 in [0, 1], 0 = white (air) and 1 = black (dense), with the side marker
    (:func:`side_letter`) burned in white when ``orbital_deg`` is given.  Display with
    ``to_display(img, 1.0, 0.5)``; an automatic window of it changes little.  ``metal``: the
    pixels the trocar or cement cover (:func:`present`).
    """
    out, w, lvl = present(image, mask, pixel_mm=pixel_mm, metal=metal, **look)     # a new array: normalised in place
    out -= np.float32(lvl - w / 2.0)
    out /= np.float32(w)
    np.clip(out, 0.0, 1.0, out=out)
    if orbital_deg is not None:
        burn_marker(out, side_letter(orbital_deg), 0.0)
    return out
