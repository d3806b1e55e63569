"""Which leaks a post-procedure AP and lateral radiograph shows: measured on the renderer's images.

For every reported leak type the renderer draws each view twice, with the cement left in the body
(the trocar out) and with that leak's cement added; the difference is the leak's contrast, the first
image its background, and the model reader of :mod:`trainer.core.xray.conspicuity` (the NPWE
matched filter against the spread of the anatomy and body cement at nearby positions, plus the
shot's quantum noise) gives its ``d'``.  A leak is visible on a view from ``d' >= 5`` (Rose).
docs/cement.md, "Visibility", has the protocol and its measured numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.core.xray import conspicuity
from trainer.core.xray.detector import adrc, expose
from trainer.core.xray.geometry import CArmGeometry, Pose
from trainer.core.xray.renderer import FluoroRenderer
from trainer.core.xray.shapes import CementDeposit

__all__ = ["RADIOGRAPH_PIXELS", "RADIOGRAPH_PULSES", "PostProcedureViews"]

RADIOGRAPH_PIXELS = 512     #: the C-arm's image size (CArmGeometry default)
RADIOGRAPH_PULSES = 4       #: quanta of a 4-pulse shot, as benchmarks/leak_contrast.py (round 8)


def _key(ijk: np.ndarray) -> np.ndarray:
    return ijk[:, 0].astype(np.int64) * 10**8 + ijk[:, 1].astype(np.int64) * 10**4 + ijk[:, 2]


@dataclass
class _View:
    pose: Pose
    kvp: float
    quanta: float          #: N0 per pixel of the shot (its quanta before the patient)


class PostProcedureViews:
    """The AP and lateral shots of one patient, and the ``d'`` of each leak on them.

    Parameters
    ----------
    patient : Patient
    kvp_ap, kvp_lateral : float
        The views' nominal tube potentials (the scenario's C-arm; dose-rate control may raise them).
    patient_roll_deg : float
    pixels : int
    viewing_distance_mm : float
        The reader's eye to the image shown at detector size (mm).
    """

    def __init__(self, patient, kvp_ap: float, kvp_lateral: float, patient_roll_deg: float = 0.0,
                 pixels: int = RADIOGRAPH_PIXELS,
                 viewing_distance_mm: float = conspicuity.VIEWING_DISTANCE_MM):
        self.geometry = CArmGeometry(pixels=int(pixels))
        self.renderer = FluoroRenderer(patient, self.geometry)
        roll = float(patient_roll_deg)
        n = self.geometry.pixels
        idx = np.arange(n // 4, n - n // 4, 4)
        self.views: dict[str, _View] = {}
        for name, pose, k0 in (("ap", Pose(roll, 0.0), kvp_ap), ("lateral", Pose(90.0 + roll, 0.0), kvp_lateral)):
            kvp, factor = adrc(lambda k, p=pose: self.renderer.line_integrals_at(p, k, idx, idx), float(k0))
            n0 = expose(np.zeros((n, n), np.float32), RADIOGRAPH_PULSES, self.geometry, np.random.default_rng(0),
                        kvp=kvp, abc=False, dose_scale=factor).quanta_unattenuated
            self.views[name] = _View(pose, kvp, float(n0))
        self.px_deg = conspicuity.pixel_deg(self.geometry.pixel_mm, viewing_distance_mm)

    def detectability(self, model) -> dict[str, dict[str, float]]:
        """``{leak type: {view: d'}}`` for every reported leak of the cement ``model`` (views 'ap', 'lateral')."""
        leaks = model.leaks
        if not leaks:
            return {}
        dep = model.deposit()
        keys = _key(dep.ijk)
        body = ~np.isin(keys, _key(model.leak_voxels_kji()))
        mass = CementDeposit(dep.ijk[body], dep.fraction[body], dep.viscosity_pa_s)
        sel = {}
        for lk in leaks:
            if lk.type not in sel:
                sel[lk.type] = np.isin(keys, _key(model.leak_voxels_kji(lk.type)))
        # the body cement as drawn (its margin interdigitated), then each leak's cement added as booked
        # (cement outside cancellous bone is drawn as booked: cement_look.interdigitate)
        drawn = self.renderer.drawn_cement(mass) if mass.voxels else mass
        out: dict[str, dict[str, float]] = {t: {} for t in sel}
        for name, v in self.views.items():
            back = self.renderer.render(v.pose, v.kvp, cement=drawn if drawn.voxels else None,
                                        as_drawn=True).astype(np.float64)
            quanta = v.quanta * np.exp(-back)
            for t, m in sel.items():
                if not m.any():
                    out[t][name] = 0.0
                    continue
                with_leak = CementDeposit(np.concatenate([drawn.ijk, dep.ijk[m]]),
                                          np.concatenate([drawn.fraction, dep.fraction[m]]), dep.viscosity_pa_s)
                s = self.renderer.render(v.pose, v.kvp, cement=with_leak, as_drawn=True).astype(np.float64) - back
                out[t][name] = conspicuity.detectability(np.clip(s, 0.0, None), back, self.px_deg, quanta)
        return out

    def visible(self, model, k: float = conspicuity.ROSE_K) -> bool:
        """Whether any reported leak reaches ``d' >= k`` on the AP or the lateral."""
        return any(d >= k for per in self.detectability(model).values() for d in per.values())
