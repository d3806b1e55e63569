"""Benchmark: ``assess`` of a recorded session without rendering - budget 0.5 s (DESIGN.md section 7).

Records an expert session on the default scenario (the scripted plan of the scoring
tests), then times the offline assessment in parts: reading and verifying the file, the
patient build, the replay without rendering, and the scoring itself.  Prints one JSON
object per measurement: {name, p50_ms, p95_ms, budget_ms, n}.
Usage: .venv/bin/python benchmarks/assess.py [--n 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "core" / "scoring"))

import scoring_plans as plans  # noqa: E402

from trainer.core.anatomy.builder import build_patient  # noqa: E402
from trainer.core.scenario.loader import load_scenario  # noqa: E402
from trainer.core.scoring import score  # noqa: E402
from trainer.core.scoring.context import expected_from_scenario  # noqa: E402
from trainer.core.session.live import LiveSession  # noqa: E402
from trainer.core.session.reader import read_session  # noqa: E402
from trainer.core.session.replay import replay  # noqa: E402


def _stats(name, times_s, budget_ms=None):
    t = np.asarray(times_s) * 1000.0
    return {"name": name, "p50_ms": round(float(np.percentile(t, 50)), 1),
            "p95_ms": round(float(np.percentile(t, 95)), 1), "budget_ms": budget_ms, "n": int(t.size)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5)
    args = ap.parse_args(argv)
    sc = load_scenario(None)
    expected, _ = expected_from_scenario(sc)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "expert.jsonl"
        with LiveSession(sc, path, seed=7, trainee="bench", render=False, patient=build_patient(sc.anatomy),
                         started_at="2026-01-01T00:00:00Z") as live:
            plans.expert(live, expected)
        parts = {"read": [], "build_patient": [], "replay_no_render": [], "score": [], "total": []}
        for _ in range(args.n):
            t0 = time.perf_counter()
            rec = read_session(path)
            t1 = time.perf_counter()
            patient = build_patient(rec.scenario().anatomy)
            t2 = time.perf_counter()
            proc = replay(rec, render=False, patient=patient)
            t3 = time.perf_counter()
            report = score(proc)
            t4 = time.perf_counter()
            for k, v in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0)):
                parts[k].append(v)
        print(json.dumps({"session_actions": len(rec.entries), "events": len(proc.events),
                          "score": round(report.score, 1)}))
        for k, v in parts.items():
            print(json.dumps(_stats(f"assess_{k}", v, 500 if k == "total" else None)))
        print(json.dumps(_stats("assess_without_patient_build",
                                np.subtract(parts["total"], parts["build_patient"]), 500)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
