"""The calibration protocol (docs/cement.md): injections into the synthetic L1 over many seeds.

Used by test_calibration.py; run ``python tests/core/cement/calibration.py`` to
print the table quoted in docs/cement.md.
"""

from __future__ import annotations

import json
import time

import numpy as np

from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.params import AnatomyParams
from trainer.core.procedure.cement import CementModel

STEP_ML = 0.25          #: one push of a 1 mL syringe (FACTS 3 defaults)
STEP_S = 10.0           #: simulated seconds between pushes
TYPES = ("B", "S", "C", "D", "canal", "foramen", "paravertebral")

#: name -> (anatomy flags, minutes after mixing, total mL, start depth fraction, end depth fraction[, product])
CONDITIONS = {
    # well-placed tip (anterior third, 3 mm from the midline), 6 min after mixing; checkpoints 1-4 mL
    "working": ({}, 6.0, 4.0, 0.75, 0.75),
    # the same 1 min after mixing (runny), and at 3 and 8 min
    "early": ({}, 1.0, 3.0, 0.75, 0.75),
    "three_min": ({}, 3.0, 3.0, 0.75, 0.75),
    "eight_min": ({}, 8.0, 3.0, 0.75, 0.75),
    # a high-viscosity product used like the default (FACTS 3.3: high viscosity RR 0.38-0.47)
    "high_viscosity_working": ({}, 6.0, 3.0, 0.75, 0.75, "high-viscosity"),
    # start mid-body and withdraw the cannula to the posterior fifth while injecting 4 mL ...
    "posterior_wall_defect": ({"posterior_wall_defect": True}, 6.0, 4.0, 0.55, 0.20),
    # ... and the same into the intact body (control)
    "posterior_withdrawal_intact": ({}, 6.0, 4.0, 0.55, 0.20),
    "endplate_crack": ({"endplate_crack": True}, 6.0, 2.0, 0.75, 0.75),
}
#: seeds per condition (the control needs fewer)
SEEDS = {"working": 60, "early": 60, "three_min": 30, "eight_min": 30, "high_viscosity_working": 60,
         "posterior_wall_defect": 60,
         "posterior_withdrawal_intact": 30, "endplate_crack": 60}


def osteoporotic_l1(**flags):
    """The default scenario's patient (L1, Genant 2 wedge, 95 HU) with optional defects."""
    return build_patient(AnatomyParams(level="L1", fracture_grade=2.0, morphology="wedge", trabecular_hu=95.0,
                                       seed=7, **flags))


def well_placed_tip(patient, depth_fraction: float, x_mm: float = 3.0) -> np.ndarray:
    """Tip at the given depth fraction, ``x_mm`` left of the midline, halfway between the endplates."""
    lm = patient.landmarks
    y = lm.posterior_wall_y_mm - depth_fraction * lm.body_depth_mm
    zs = np.linspace(-25.0, 25.0, 501)
    col = patient.volume.label_at(np.stack([np.full_like(zs, x_mm), np.full_like(zs, y), zs], axis=1))
    z = zs[col == Label.CANCELLOUS]
    return np.array([x_mm, y, 0.5 * (z.min() + z.max())])


def run_seed(patient, seed: int, minutes: float, total_ml: float, depth0: float, depth1: float,
             product: str = "default"):
    """One trainee: returns the model and {checkpoint mL: (leak types, venous mL)}."""
    model_ss, tip_ss = np.random.default_rng(seed).spawn(2)
    m = CementModel(patient, product, np.random.default_rng(model_ss))
    m.mix(0.0)
    tip0 = well_placed_tip(patient, depth0) + np.random.default_rng(tip_ss).uniform(-1.5, 1.5, 3)
    n = int(round(total_ml / STEP_ML))
    body_depth = patient.landmarks.body_depth_mm
    marks = {}
    for s in range(n):
        tip = tip0.copy()
        tip[1] += (depth0 - depth1) * body_depth * (s / max(1, n - 1))      # withdraw posteriorly
        r = m.inject(STEP_ML, tip, 60.0 * minutes + STEP_S * s)
        assert r.accepted, r.refused_reason
        vol = round((s + 1) * STEP_ML, 3)
        if vol == int(vol):
            marks[vol] = (sorted({lk.type for lk in m.leaks}),
                          sum(lk.volume_ml for lk in m.leaks if lk.type in ("B", "S")))
    return m, marks


def run_condition(patient, name: str, seeds) -> dict:
    flags, minutes, total, d0, d1, *product = CONDITIONS[name]
    per_seed = [run_seed(patient, s, minutes, total, d0, d1, *product) for s in seeds]
    out = {"seeds": len(per_seed), "product": (product or ["default"])[0], "minutes_after_mix": minutes,
           "total_ml": total,
           "depth_fraction": [d0, d1], "at_ml": {}}
    n = len(per_seed)
    for vol in sorted(per_seed[0][1]):
        rows = [marks[vol] for _, marks in per_seed]
        out["at_ml"][vol] = {
            "any": sum(bool(t) for t, _ in rows) / n,
            **{k: sum(k in t for t, _ in rows) / n for k in TYPES},
            "venous_ml_mean": float(np.mean([v for _, v in rows])),
        }
    models = [m for m, _ in per_seed]
    out["conservation_max_error_ml"] = max(abs(m.injected_ml - m.in_body_ml - m.leaked_ml) for m in models)
    out["pe_risk"] = sum(m.pe_risk for m in models) / n
    out["fill_fraction_mean"] = float(np.mean([m.fill_fraction for m in models]))
    return out


def main() -> int:
    table = {}
    for name, (flags, *_r) in CONDITIONS.items():
        t = time.perf_counter()
        table[name] = run_condition(osteoporotic_l1(**flags), name, range(SEEDS[name]))
        table[name]["run_s"] = round(time.perf_counter() - t, 1)
    print(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
