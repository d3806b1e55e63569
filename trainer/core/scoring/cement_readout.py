"""The final-cement read-outs scoring needs, from the cement model's public API (issue 14).

* :func:`neural_cement_ml`: cement inside the canal outline and the foramina at the end,
  whatever path it took (``CementModel.canal_leak_ml`` / ``foramen_leak_ml``: the model books
  each voxel once where it ends up, so a basivertebral leak that reached the epidural space
  is canal cement).
* :func:`canal_wall_temperature_c`: the model's peak canal-wall temperature
  (``CementModel.canal_wall_temperature_c``, FACTS.md 3.5 heat law on the cement near the canal).
"""

from __future__ import annotations

__all__ = ["neural_cement_ml", "canal_wall_temperature_c"]


def neural_cement_ml(cement, patient=None) -> dict:
    """``{'canal': mL, 'foramen': mL}`` of cement inside those outlines at the end (zeros without cement).

    ``patient`` is accepted for callers of the earlier signature and not used.
    """
    if cement is None or float(cement.injected_ml) <= 0:
        return {"canal": 0.0, "foramen": 0.0}
    return {"canal": float(cement.canal_leak_ml), "foramen": float(cement.foramen_leak_ml)}


def canal_wall_temperature_c(cement) -> float | None:
    """Peak canal-wall temperature (deg C); None without cement."""
    if cement is None or float(cement.injected_ml) <= 0:
        return None
    return float(cement.canal_wall_temperature_c)
