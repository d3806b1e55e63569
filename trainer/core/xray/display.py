"""From a log-processed detector image to display grey levels.

Fluoroscopy convention: dense = dark (bone and metal dark, air bright); ``invert=True``
gives the radiograph look (dense = bright).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from trainer.core.errors import ParameterError

__all__ = ["to_display", "auto_window", "enhance"]


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
    blur = ndimage.gaussian_filter(img, sigma_px, mode="nearest")
    return (img + np.float32(amount) * (img - blur)).astype(np.float32)
