"""Benchmark: ``vptrainer play`` and ``vptrainer assess`` on very long sessions (issue 18).

Writes an actions file of ``--actions`` lines, runs ``play`` on it in a child process, then
``assess`` on the session written,
each under ``/usr/bin/time``-style accounting (wall time, CPU time, peak resident memory
from ``resource.getrusage`` of the child).  Targets (issue 18): 100,000 actions play in
<= 10 s on 2 cores; a 1,000,000-line session assesses in <= 500 MB.
Two shapes (``--shape``):

* ``repeat``: a decision, then alternating C-arm moves among 7 poses and 1 s waits (cheap,
  repetitive actions: the session machinery, not the simulation);
* ``mixed``: a decision, a placed trocar, then distinct actions in turn: C-arm poses that
  never repeat, trocar advances and withdrawals of varying length, waits of varying length,
  and every 100th action a refused injection (no cement mixed) or, every 2000th, a shot
  (distinct pose, no image: ``assess`` does not render); ``finish`` last.  Every action makes new event data,
  so nothing is shared: this is the shape that shows whether memory grows per action.

Prints one JSON object per command: {command, shape, lines, wall_s, cpu_s, peak_rss_mb}.
Usage: .venv/bin/python benchmarks/session_scale.py [--actions 100000] [--shape repeat|mixed]
[--direct] [--skip-play SESSION] [--skip-assess] [--keep DIR]
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


#: The expert plan's left placement on the default scenario (tests/data/expert_l1_left.jsonl).
PLACE = ('{"type": "place", "side": "left", "entry_mm": [30.206, 64.199, 7.767], '
         '"target_mm": [4.087, -8.642, 0.997], "gauge": 11}')


def write_mixed_actions(path: Path, n: int) -> None:
    """``n`` lines of distinct actions (see the module docstring); the last is ``finish``."""
    with open(path, "w", encoding="utf-8") as fh:
        head = ['{"type": "decide", "item": "candidacy", "answer": "proceed"}', PLACE, '{"type": "advance", "mm": 40}']
        for line in head:
            fh.write(line + "\n")
        for i in range(n - len(head) - 1):
            orb = round((i * 0.0137) % 180.0 - 90.0, 4)     # 0.0137 deg steps: no pose repeats before 13,000 moves
            tilt = round((i * 0.0071) % 40.0 - 20.0, 4)
            if i % 100 == 99:
                fh.write('{"type": "shot", "pulses": 1}\n' if i % 2000 == 1999
                         else '{"type": "inject", "ml": 0.5}\n')     # refused: no cement mixed
            elif i % 4 == 0:
                fh.write(f'{{"type": "carm", "orbital_deg": {orb}, "tilt_deg": {tilt}}}\n')
            elif i % 4 == 1:
                fh.write(f'{{"type": "advance", "mm": {round(0.1 + (i % 97) * 0.001, 4)}}}\n')
            elif i % 4 == 2:
                fh.write(f'{{"type": "advance", "mm": {-round(0.1 + (i % 97) * 0.001, 4)}}}\n')
            else:
                fh.write(f'{{"type": "wait", "s": {round(0.5 + (i % 1009) * 0.001, 3)}}}\n')
        fh.write('{"type": "finish"}\n')


def write_session_direct(actions: Path, session: Path, pixels: int = 64) -> None:
    """Write the session of ``actions`` with the product's writer, without simulating (fast).

    For measuring ``assess`` on a million lines when ``play`` would take as long again: the
    lines are the writer's own (header, hash chain, seq); each action is marked accepted as
    the mixed shape replays (everything but the injections without cement), with an empty
    summary and time 0.  ``assess`` never reads summaries or times; a wrong acceptance would
    make it report TAMPERED (exit 2), which :func:`run` treats as a failure.
    """
    from trainer.core.procedure.state import ActionResult
    from trainer.core.scenario.loader import load_scenario
    from trainer.core.session.log import SessionWriter, make_header

    sc = load_scenario()
    header = make_header(sc, sc.seed, "benchmark", "2026-01-01T00:00:00+00:00", {"pixels": pixels})
    with SessionWriter(session, header=header, sync_every=100_000) as w, open(actions, encoding="utf-8") as fh:
        for line in fh:
            a = json.loads(line)
            ok = a["type"] != "inject"
            w.append(0.0, ActionResult(ok, a, None if ok else "no cement mixed", {}))


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
    ap.add_argument("--shape", choices=("repeat", "mixed"), default="repeat")
    ap.add_argument("--skip-assess", action="store_true")
    ap.add_argument("--direct", action="store_true",
                    help="mixed shape: write the session with the writer instead of playing it (write_session_direct)")
    ap.add_argument("--skip-play", metavar="SESSION", default=None,
                    help="assess this existing session (of --actions lines) instead of playing a new one")
    ap.add_argument("--keep", default=None, help="folder to keep the files in (default: a temporary one)")
    args = ap.parse_args(argv)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="vpt-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    acts, sess = folder / "actions.jsonl", folder / "session.jsonl"
    py = sys.executable
    env_cmd = [py, "-m", "trainer.cli"]
    if args.skip_play:
        sess = Path(args.skip_play)
    else:
        for p in (acts, sess):
            if p.exists():
                p.unlink()
        (write_mixed_actions if args.shape == "mixed" else write_actions)(acts, args.actions)
        if args.direct and args.shape == "mixed":
            write_session_direct(acts, sess)
        else:
            res = run([*env_cmd, "play", "--actions", str(acts), "--out", str(sess), "--pixels", "64"])
            print(json.dumps({"command": "play", "shape": args.shape, "lines": args.actions, **res}), flush=True)
    if not args.skip_assess:
        res = run([*env_cmd, "assess", str(sess)])
        print(json.dumps({"command": "assess", "shape": args.shape, "lines": args.actions + 1,
                          "file_mb": round(os.path.getsize(sess) / 2**20, 1), **res}), flush=True)


if __name__ == "__main__":
    main()
