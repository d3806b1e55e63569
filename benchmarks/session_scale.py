"""Benchmark: ``vptrainer play`` and ``vptrainer assess`` on very long sessions (issue 18).

Writes an actions file of ``--actions`` lines (chart decisions, then alternating C-arm
moves and waits: cheap actions, so the measurement is of the session machinery, not of
rendering), runs ``play`` on it in a child process, then ``assess`` on the session written,
each under ``/usr/bin/time``-style accounting (wall time, CPU time, peak resident memory
from ``resource.getrusage`` of the child).  Targets (issue 18): 100,000 actions play in
<= 10 s on 2 cores; a 1,000,000-line session assesses in <= 500 MB.
Prints one JSON object per command: {command, lines, wall_s, cpu_s, peak_rss_mb}.
Usage: .venv/bin/python benchmarks/session_scale.py [--actions 100000] [--skip-assess] [--keep DIR]
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

ROOT = Path(__file__).resolve().parents[1]


def write_actions(path: Path, n: int) -> None:
    """``n`` lines: one decision, then alternating small C-arm moves and 1 s waits."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"type": "decide", "item": "candidacy", "answer": "proceed"}\n')
        for i in range(n - 1):
            if i % 2:
                fh.write(f'{{"type": "carm", "orbital_deg": {i % 7}.0, "tilt_deg": 0.0}}\n')
            else:
                fh.write('{"type": "wait", "s": 1}\n')


def run(cmd: list[str]) -> dict:
    """Run a child under GNU time: wall, CPU (user + sys) and peak resident memory of that child."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "TIME %e %U %S %M", *cmd], cwd=ROOT, capture_output=True,
                          text=True)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 3):             # 3: assess scored an unfinished session
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-500:]}")
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("TIME ")][-1]
    _, e, u, s_, m = line.split()
    return {"wall_s": round(wall, 2), "cpu_s": round(float(u) + float(s_), 2), "peak_rss_mb": round(int(m) / 1024, 1)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--actions", type=int, default=100_000)
    ap.add_argument("--skip-assess", action="store_true")
    ap.add_argument("--keep", default=None, help="folder to keep the files in (default: a temporary one)")
    args = ap.parse_args(argv)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="vpt-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    acts, sess = folder / "actions.jsonl", folder / "session.jsonl"
    for p in (acts, sess):
        if p.exists():
            p.unlink()
    write_actions(acts, args.actions)
    py = sys.executable
    env_cmd = [py, "-m", "trainer.cli"]
    res = run([*env_cmd, "play", "--actions", str(acts), "--out", str(sess), "--pixels", "64"])
    print(json.dumps({"command": "play", "lines": args.actions, **res}), flush=True)
    if not args.skip_assess:
        res = run([*env_cmd, "assess", str(sess)])
        print(json.dumps({"command": "assess", "lines": args.actions + 1,
                          "file_mb": round(os.path.getsize(sess) / 2**20, 1), **res}), flush=True)


if __name__ == "__main__":
    main()
