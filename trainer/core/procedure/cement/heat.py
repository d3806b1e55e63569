"""Polymerisation heat: peak temperature in the body and at the spinal-canal wall.

FACTS.md 3.5: in-vivo peaks 44.8-86.7 C (Anselmetti 2009), simulator default 80 C;
canal at or below 43.2 C with correct technique (Int Orthop 2012); posterior cortex
59 C with a simulated leak (porcine model); ex-vivo canal 39-57 C (Belkoff & Molloy
2003).  Constants in the ``[heat]`` table of ``assets/cement_products.toml``.
"""

from __future__ import annotations

import math

__all__ = ["peak_body_temperature_c", "canal_wall_temperature_c"]


def peak_body_temperature_c(in_body_ml: float, product_peak_c: float, heat_cfg: dict) -> float:
    """Peak temperature (deg C) inside the body for ``in_body_ml`` of cement.

    Scales the product's peak (reached at ``reference_ml``) with a saturating volume
    factor ``V / (V + half_ml)``: small fills lose their heat to the bone faster.
    """
    body = float(heat_cfg["body_c"])
    v = max(0.0, float(in_body_ml))
    if v <= 0.0:
        return body
    half = float(heat_cfg["half_ml"])
    ref = float(heat_cfg["reference_ml"])
    g = (v / (v + half)) / (ref / (ref + half))
    return body + (float(product_peak_c) - body) * g


def canal_wall_temperature_c(peak_c: float, distance_mm: float, heat_cfg: dict) -> float:
    """Temperature (deg C) at the canal wall with cement ``distance_mm`` from the canal.

    ``37 + (peak - 37) * contact * exp(-d / decay_mm)``; ``distance_mm`` 0 means cement
    in the canal.  Infinite distance (no cement) gives body temperature.
    """
    body = float(heat_cfg["body_c"])
    if not math.isfinite(distance_mm):
        return body
    f = float(heat_cfg["contact"]) * math.exp(-max(0.0, distance_mm) / float(heat_cfg["decay_mm"]))
    return body + (float(peak_c) - body) * f
