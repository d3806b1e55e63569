"""Read-outs of the final cement that scoring needs and the cement model does not yet publish.

Minimum versions written for the scoring policy (issue 13) until the cement model's own
public read-outs (issue 14: leaks classified by where the cement ends up, per-type leak
volumes, canal-wall temperature) land; then these functions should defer to them.

* :func:`neural_cement_ml`: cement found inside the canal and foramen outlines of the
  label volume at the end, whatever path it took (public: ``cement.deposit()`` and the
  patient's labels).
* :func:`canal_wall_temperature_c`: the cement model's heat law (FACTS.md 3.5), with the
  heat source taken as the cement inside the vertebral body and its distance to the
  canal.  The source is the bulk cement in cancellous bone (and a cleft): cement in the
  intra-osseous veins and leaks is a thin stream with too little mass to heat the canal
  wall, and cement that reached the canal is judged by the canal-leak rule (the model's
  own ``canal_wall_temperature_c`` uses the nearest cement of any kind with the peak of
  the whole volume).
"""

from __future__ import annotations

import math

import numpy as np

from trainer.core.anatomy.labels import Label
from trainer.core.procedure.cement.domain import CLEFT
from trainer.core.procedure.cement.heat import canal_wall_temperature_c as _wall_c
from trainer.core.procedure.cement.heat import peak_body_temperature_c

__all__ = ["neural_cement_ml", "canal_wall_temperature_c"]

_NEURAL = {"canal": (int(Label.CANAL),), "foramen": (int(Label.FORAMEN_LEFT), int(Label.FORAMEN_RIGHT))}


def neural_cement_ml(cement, patient) -> dict:
    """``{'canal': mL, 'foramen': mL}`` of cement inside those outlines at the end.

    Parameters
    ----------
    cement : CementModel or None
    patient : Patient
        Its label volume and grid give the outlines and the voxel volume (mm3).
    """
    out = {"canal": 0.0, "foramen": 0.0}
    if cement is None or float(cement.injected_ml) <= 0:
        return out
    dep = cement.deposit()
    kji = np.asarray(dep.ijk, np.int64).reshape(-1, 3)
    if kji.size == 0:
        return out
    labels = patient.volume.labels[kji[:, 0], kji[:, 1], kji[:, 2]]
    frac = np.asarray(dep.fraction, float)
    vox_ml = float(patient.volume.grid.voxel_volume_mm3) / 1000.0
    for name, codes in _NEURAL.items():
        out[name] = float(frac[np.isin(labels, codes)].sum() * vox_ml)
    return out


def canal_wall_temperature_c(cement) -> float | None:
    """Peak canal-wall temperature (deg C) from the cement inside the body; None without cement."""
    if cement is None or float(cement.injected_ml) <= 0:
        return None
    heat = cement.config["heat"]
    dom = cement.domain
    flat = np.asarray(cement.flow.occupied())
    bulk = dom.in_body[flat] & (dom.cls[flat] <= CLEFT) if flat.size else np.zeros(0, bool)
    inside = flat[bulk]
    if inside.size == 0:
        return float(heat["body_c"])
    d = float(dom.min_dist_canal_mm(inside))
    peak = peak_body_temperature_c(cement.in_body_ml, cement.product.peak_temperature_c, heat)
    return float(_wall_c(peak, d if math.isfinite(d) else math.inf, heat))
