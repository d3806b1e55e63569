"""Polymerisation heat: peak temperature in the body and at the spinal-canal wall.

FACTS.md 3.5: in-vivo peaks 44.8-86.7 C (Anselmetti 2009), simulator default 80 C;
canal at or below 43.2 C with correct technique (Int Orthop 2012); posterior cortex
59 C with a simulated leak (porcine model); ex-vivo canal 39-57 C (Belkoff & Molloy
2003).  Constants in the ``[heat]`` table of ``assets/cement_products.toml``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["canal_heat_weight", "canal_wall_temperature_c", "peak_body_temperature_c"]


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


def canal_heat_weight(distance_mm: np.ndarray, heat_cfg: dict) -> np.ndarray:
    """How much of a cement voxel's heat reaches the canal wall from ``distance_mm`` away (0..1).

    ``exp(-d / decay_mm)``: polymerisation heat spreads by conduction over the few minutes
    of the exotherm, and bone between the cement and the canal absorbs it.
    """
    return np.exp(-np.maximum(0.0, np.asarray(distance_mm, np.float64)) / float(heat_cfg["decay_mm"]))


def canal_wall_temperature_c(product_peak_c: float, local_ml: float, source_ml: float, heat_cfg: dict) -> float:
    """Temperature (deg C) at the canal wall from the cement near it.

    ``37 + (peak(S) - 37) * H / (H + local_half_ml)``:

    * ``S`` (mL) is the cement within ``source_zone_mm`` of the canal, the mass whose
      exotherm heats the wall; ``peak(S)`` is the peak a mass of that volume reaches
      (:func:`peak_body_temperature_c`), so a few tenths of a mL by the wall (a thread in a
      vein) stays near 40-45 C at its centre however much cement sits further forward
      (FACTS 3.5: goat vertebrae, 0.8 mL reached 44.6 C at the interface);
    * ``H = sum(v_i * exp(-d_i / decay_mm))`` (mL) is the distance-weighted local cement
      volume (:func:`canal_heat_weight`): how close that mass lies to the wall.

    FACTS 3.5 also gives: canal <= 43.2 C with correct technique; 59 C at the posterior
    cortex with a simulated leak; 39-57 C at the canal ex vivo with 6-10 mL.
    """
    body = float(heat_cfg["body_c"])
    h = max(0.0, float(local_ml))
    if h <= 0.0:
        return body
    peak = peak_body_temperature_c(max(0.0, float(source_ml)), product_peak_c, heat_cfg)
    return body + (peak - body) * h / (h + float(heat_cfg["local_half_ml"]))
