"""Benchmark: one 0.25 mL cement injection step (flow + leak classification) - budget 50 ms.

Injects 0.25 mL steps into the default patient (L1 Genant 2 wedge, 0.5 mm grid) through
a well-placed tip, in the working phase (6 min after mixing) and in the runny phase
(1 min, fingering, larger fronts), timing every ``inject`` call.  Model construction
(per-seed noise field, about 50 ms) is timed separately; the per-patient domain is
built once and cached.
Prints one JSON object per measurement: {name, p50_ms, p95_ms, budget_ms, n}.
Usage: .venv/bin/python benchmarks/cement_step.py [--seeds 6] [--ml 4]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.params import AnatomyParams
from trainer.core.procedure.cement import CementModel


def _stats(name, times_s, budget_ms):
    t = np.asarray(times_s) * 1000.0
    return {"name": name, "p50_ms": round(float(np.percentile(t, 50)), 2),
            "p95_ms": round(float(np.percentile(t, 95)), 2), "budget_ms": budget_ms, "n": int(t.size)}


def _tip(patient):
    lm = patient.landmarks
    y = lm.posterior_wall_y_mm - 0.75 * lm.body_depth_mm
    zs = np.linspace(-25.0, 25.0, 501)
    col = patient.volume.label_at(np.stack([np.full_like(zs, 3.0), np.full_like(zs, y), zs], axis=1))
    z = zs[col == Label.CANCELLOUS]
    return np.array([3.0, y, 0.5 * (z.min() + z.max())])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--ml", type=float, default=4.0)
    args = ap.parse_args()
    patient = build_patient(AnatomyParams(level="L1", fracture_grade=2.0, morphology="wedge", seed=7))
    tip = _tip(patient)
    t0 = time.perf_counter()
    CementModel(patient, "default", np.random.default_rng(0))           # builds the cached domain
    domain_s = time.perf_counter() - t0
    steps = int(round(args.ml / 0.25))
    for name, minutes in (("cement_step_0.25ml_working", 6.0), ("cement_step_0.25ml_runny", 1.0)):
        times, make = [], []
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            m = CementModel(patient, "default", np.random.default_rng(seed))
            make.append(time.perf_counter() - t0)
            m.mix(0.0)
            for s in range(steps):
                t0 = time.perf_counter()
                m.inject(0.25, tip, 60.0 * minutes + 10.0 * s)
                times.append(time.perf_counter() - t0)
        print(json.dumps(_stats(name, times, 50)))
    print(json.dumps(_stats("cement_model_create", make, None)))
    print(json.dumps({"name": "cement_domain_build", "p50_ms": round(domain_s * 1000, 1), "p95_ms": None,
                      "budget_ms": None, "n": 1}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
