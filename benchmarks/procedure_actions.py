"""Benchmark: latency of ``Procedure.apply`` per action type along the scripted expert plan.

Runs :func:`trainer.core.procedure.expert_plan.expert_actions` on the default scenario
``--repeats`` times (a fresh procedure each time, sharing the patient, renderer and wall
model as the GUI does after its first session) and reports per action type the p50 and
p95 of ``apply`` in ms.  Also times the first placement and first shot of a procedure with
nothing shared (the wall model's breach map and the renderer are built then).
Prints one JSON object per measurement: {name, p50_ms, p95_ms, n}.
Usage: .venv/bin/python benchmarks/procedure_actions.py [--repeats 3] [--pixels 512]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict

import numpy as np

from trainer.core.anatomy.builder import build_patient
from trainer.core.procedure.expert_plan import expert_actions
from trainer.core.procedure.machine import Procedure
from trainer.core.procedure.walls import WallModel
from trainer.core.scenario.loader import load_scenario
from trainer.core.xray.renderer import FluoroRenderer


def _stats(name, times_s):
    t = np.asarray(times_s) * 1000.0
    return {"name": name, "p50_ms": round(float(np.percentile(t, 50)), 2),
            "p95_ms": round(float(np.percentile(t, 95)), 2), "n": int(t.size)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pixels", type=int, default=512)
    args = ap.parse_args(argv)
    sc = load_scenario()
    patient = build_patient(sc.anatomy)
    acts = expert_actions(sc, patient, "left", 3.0)

    cold = Procedure(sc, patient=patient, pixels=args.pixels)
    first = {}
    for a in acts:
        t0 = time.perf_counter()
        cold.apply(a)
        first.setdefault(a["type"], time.perf_counter() - t0)
    for kind in ("place", "shot", "mix"):
        print(json.dumps(_stats(f"first {kind} (cold)", [first[kind]])))

    renderer = FluoroRenderer(patient, sc.carm.geometry.with_pixels(args.pixels), sc.carm.patient_roll_deg)
    walls = WallModel(patient)
    times = defaultdict(list)
    for _ in range(args.repeats):
        proc = Procedure(sc, patient=patient, pixels=args.pixels, renderer=renderer, walls=walls)
        for a in acts:
            t0 = time.perf_counter()
            proc.apply(a)
            times[a["type"]].append(time.perf_counter() - t0)
    for kind, ts in times.items():
        print(json.dumps(_stats(kind, ts)))


if __name__ == "__main__":
    main()
