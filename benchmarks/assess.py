"""Benchmark: ``assess`` of a recorded session without rendering - budget 0.5 s (DESIGN.md section 7).

Records an expert session on the default scenario (the shared expert plan,
:mod:`trainer.core.procedure.expert_plan`), then times the offline assessment in parts:
reading and verifying the file, the patient (built from scratch; from an empty patient cache = build + write, "cold"; from a
filled cache, "warm"), the replay without rendering, and the scoring itself.  The totals
are given cold (patient built) and warm (patient from the cache, as ``vptrainer assess``
does for the second session of a case).  Finally the whole command is run in a fresh
process (interpreter start and imports included), warm.  The cache lives in a temporary
folder (never the user's).  Prints one JSON object per measurement:
{name, p50_ms, p95_ms, budget_ms, n}, and the load average when it ran.
Usage: .venv/bin/python benchmarks/assess.py [--n 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from trainer.core.anatomy import cache
from trainer.core.anatomy.builder import build_patient
from trainer.core.procedure.expert_plan import ExpertPlan, play_expert
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring import score
from trainer.core.scoring.context import expected_from_scenario
from trainer.core.session.live import LiveSession
from trainer.core.session.reader import read_session
from trainer.core.session.replay import replay

ROOT = Path(__file__).resolve().parents[1]


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
        os.environ[cache.ENV_DIR] = str(Path(d) / "cache")
        path = Path(d) / "expert.jsonl"
        with LiveSession(sc, path, seed=7, trainee="bench", render=False, patient=build_patient(sc.anatomy),
                         started_at="2026-01-01T00:00:00Z") as live:
            play_expert(live, ExpertPlan(answers=expected))
        parts = {k: [] for k in ("read", "build_patient", "patient_cache_cold", "patient_cache_warm",
                                 "replay_no_render", "score")}
        for _ in range(args.n):
            for f in cache.cache_dir().glob("patient-*.npzc"):
                f.unlink()
            t0 = time.perf_counter()
            rec = read_session(path)
            t1 = time.perf_counter()
            build_patient(rec.scenario().anatomy)
            t2 = time.perf_counter()
            cache.cached_patient(rec.scenario().anatomy)
            t3 = time.perf_counter()
            patient = cache.cached_patient(rec.scenario().anatomy)
            t4 = time.perf_counter()
            proc = replay(rec, render=False, patient=patient)
            t5 = time.perf_counter()
            report = score(proc)
            t6 = time.perf_counter()
            for k, v in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
                parts[k].append(v)
        print(json.dumps({"session_actions": len(rec.entries), "events": len(proc.events),
                          "score": round(report.score, 1), "loadavg_1_5_15": list(os.getloadavg())}))
        for k, v in parts.items():
            print(json.dumps(_stats(f"assess_{k}", v)))
        rest = np.add(np.add(parts["read"], parts["replay_no_render"]), parts["score"])
        print(json.dumps(_stats("assess_total_cold_build", rest + np.asarray(parts["build_patient"]), 500)))
        print(json.dumps(_stats("assess_total_warm_cache", rest + np.asarray(parts["patient_cache_warm"]), 500)))
        print(json.dumps(_stats("assess_without_patient_build", rest, 500)))
        # the command in a fresh process (cache already filled above), as a user runs it
        cmd = [sys.executable, "-m", "trainer.cli", "assess", str(path), "--json"]
        walls = []
        for _ in range(max(3, args.n // 2)):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
            walls.append(time.perf_counter() - t0)
        print(json.dumps(_stats("assess_cli_process_warm", walls)))
        print(json.dumps({"loadavg_1_5_15": list(os.getloadavg())}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
