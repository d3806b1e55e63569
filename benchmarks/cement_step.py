"""Benchmark: one 0.25 mL cement injection step (flow, leak classification, heat) - budget 50 ms.

Injects 0.25 mL steps into the default scenario's patient (L1 Genant 2 wedge, 0.5 mm
grid) at the expert target (anterior third), in paste (5.5 min after mixing, the
calibration protocol) and runny (2 min: fingering, larger fronts), timing every
``inject`` call: the flow, the leak bookkeeping by site and the canal-wall heat update.
Model construction (per-seed noise field and fracture cracks) is timed separately; the
per-patient domain is built once and cached.
Prints one JSON object per measurement: {name, p50_ms, p95_ms, budget_ms, n}.
Usage: .venv/bin/python benchmarks/cement_step.py [--seeds 6] [--ml 4]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from trainer.core.procedure.cement import CementModel
from trainer.core.procedure.cement.calibration import patient_of
from trainer.core.procedure.plans import expert_target_mm


def _stats(name, times_s, budget_ms, cpu_s=None):
    t = np.asarray(times_s) * 1000.0
    row = {"name": name, "p50_ms": round(float(np.percentile(t, 50)), 2),
           "p95_ms": round(float(np.percentile(t, 95)), 2), "budget_ms": budget_ms, "n": int(t.size)}
    if cpu_s is not None:       # CPU time of this process: what the step costs when the machine is shared
        c = np.asarray(cpu_s) * 1000.0
        row.update(cpu_p50_ms=round(float(np.percentile(c, 50)), 2), cpu_p95_ms=round(float(np.percentile(c, 95)), 2))
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--ml", type=float, default=4.0)
    args = ap.parse_args()
    patient = patient_of("l1-wedge-default")
    tip = expert_target_mm(patient, "left")
    t0 = time.perf_counter()
    CementModel(patient, "default", np.random.default_rng(0))           # builds the cached domain
    domain_s = time.perf_counter() - t0
    steps = int(round(args.ml / 0.25))
    for name, minutes in (("cement_step_0.25ml_paste", 5.5), ("cement_step_0.25ml_runny", 2.0)):
        times, cpu, make = [], [], []
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            m = CementModel(patient, "default", np.random.default_rng(seed))
            make.append(time.perf_counter() - t0)
            m.mix(0.0)
            for s in range(steps):
                t0, c0 = time.perf_counter(), time.process_time()
                m.inject(0.25, tip, 60.0 * minutes + 10.0 * s)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
        print(json.dumps(_stats(name, times, 50, cpu)))
    print(json.dumps(_stats("cement_model_create", make, None)))
    print(json.dumps({"name": "cement_domain_build", "p50_ms": round(domain_s * 1000, 1), "p95_ms": None,
                      "budget_ms": None, "n": 1}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
