"""Benchmark: ``vptrainer assess DIR --csv OUT --jobs N`` on 50 sessions - budget 0.5 s a session
on 2 cores, warm patient cache (issue 13).

Records 50 sessions (the validity catalogue's expert and single-error variants on four
built-in cases, seeds 0..), warms the patient cache in a temporary folder (never the user's),
then times the batch over ``--jobs`` processes and the same sessions one by one in this
process, and checks that every score is the same.  Prints one JSON object:
{sessions, jobs, batch_s, per_session_s, budget_s, one_by_one_s, batch_cpu_s, one_by_one_cpu_s,
same_scores, load_avg} (CPU: user + system of this process and its workers).
Usage: .venv/bin/python benchmarks/assess_batch.py [--n 50] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = ("l1-wedge-default", "l2-endplate-crack", "l3-crush-grade3", "t12-biconcave")
VARIANTS = ("expert", "runny_cement", "exposure_abuse", "tip_off_midline", "no_ap_checks")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="vpt-batch-"))
    os.environ["VPTRAINER_CACHE_DIR"] = str(tmp / "cache")
    from trainer.commands.assess_batch import assess_many
    from trainer.core.anatomy.cache import cached_patient
    from trainer.core.scenario.loader import load_scenario
    from trainer.core.scoring.validity import play, variant_by_id
    from trainer.core.session.live import LiveSession

    paths = []
    k = 0
    while len(paths) < args.n:
        sid = CASES[k % len(CASES)]
        vid = VARIANTS[(k // len(CASES)) % len(VARIANTS)]
        sc = load_scenario(sid)
        p = tmp / f"s{k:03d}_{sid}_{vid}.jsonl"
        with LiveSession(sc, p, seed=k, trainee=f"r{k}", render=False, patient=cached_patient(sc.anatomy),
                         started_at="2026-01-01T00:00:00Z") as live:
            play(sc, None, k, variant_by_id(vid), live=live)
        paths.append(p)
        k += 1
    def cpu_s():             # this process and its reaped worker processes, user + system
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    c0, t0 = cpu_s(), time.perf_counter()
    batch = assess_many(paths, jobs=args.jobs)
    batch_s, batch_cpu = time.perf_counter() - t0, cpu_s() - c0
    c0, t0 = cpu_s(), time.perf_counter()
    single = assess_many(paths, jobs=1)
    one_s, one_cpu = time.perf_counter() - t0, cpu_s() - c0
    same = [b["score"] for b in batch] == [s["score"] for s in single] and all(b["status"] in (
        "passed", "failed") for b in batch)
    print(json.dumps({"sessions": len(paths), "jobs": args.jobs, "batch_s": round(batch_s, 2),
                      "per_session_s": round(batch_s / len(paths), 3), "budget_s": 0.5,
                      "one_by_one_s": round(one_s, 2), "batch_cpu_s": round(batch_cpu, 2),
                      "one_by_one_cpu_s": round(one_cpu, 2), "same_scores": same,
                      "statuses": sorted({b["status"] for b in batch}), "load_avg": os.getloadavg()}))


if __name__ == "__main__":
    main()
