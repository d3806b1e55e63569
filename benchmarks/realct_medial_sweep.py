"""The expert line turned medially by 0-15 deg on every real-CT level side, against the reference mask.

Usage: ``python benchmarks/realct_medial_sweep.py [--cases totalseg:L4] [--angles 0 4 8 12 15]`` (needs
``tools/setup.sh --test``'s downloads; the levels and import of :mod:`realct_plans`).

For each level side and angle the core plan (:class:`~trainer.core.procedure.expert_plan.ExpertPlan`
with ``medial_error_deg``: the line turned medially about its entry) is played and scored as
``benchmarks/realct_plans.py`` does; the cells are the failed rules and the worst graded breach (grade,
wall, mm).  The oracle is the TotalSegmentator reference mask, read with NumPy only: the trocar's line
(skin to its deepest tip, every 0.25 mm, in the CT's coordinates: the patient's plus the scenario's body
centre) is followed through the mask's pedicle span (behind the slice's posterior body wall, in front of
the canal centre: ``realct_reference.measure``'s pedicle masks); at each point the row of that side's
pedicle mask in the point's slice gives the medial edge (the most medial voxel's edge), and the cell is
the most the line's axis, and its outer surface (axis plus the trocar's radius), went medial of it (mm;
negative: it stayed lateral of the edge by that much; where: mm in front of the mask's canal
centre), with the Gertzbein-Robbins grade of the outer
surface's excursion (FACTS.md 2: 0 none, 1 < 2 mm, 2 2-4 mm, 3 > 4 mm) and whether the line entered
the mask's canal (a point off the vertebra's mask inside the hole its axial slice encloses around the
canal centre).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this tree's trainer, not the installed one
sys.path.insert(0, str(Path(__file__).resolve().parent))

import realct_plans  # noqa: E402
import realct_reference as reference  # noqa: E402
import realct_sources as sources  # noqa: E402

from trainer.core.procedure.expert_plan import ExpertPlan, play_expert  # noqa: E402
from trainer.core.procedure.machine import Procedure  # noqa: E402
from trainer.core.scoring import score  # noqa: E402

ANGLES_DEG = (0.0, 4.0, 8.0, 12.0, 15.0)


def gr_grade(excursion_mm: float) -> int:
    """Gertzbein-Robbins grade of a breach ``excursion_mm`` past the wall (FACTS.md 2).  Written from FACTS.md 2
    here, not imported from ``trainer.core.anatomy.breach.gr_grade``: this is the oracle the product's grading is
    compared with, so it must not be the product's code (tests/realct/test_realct_medial_sweep.py checks it on
    hand-listed excursions)."""
    if excursion_mm <= 0.0:
        return 0
    return 1 if excursion_mm < 2.0 else 2 if excursion_mm <= 4.0 else 3


def line_points_mm(proc) -> tuple[np.ndarray, float]:
    """Points (n, 3; patient mm) every 0.25 mm from the skin to the deepest tip, and the trocar's radius (mm)."""
    placed = next(e.data for e in proc.events if e.kind == "trocar_placed")
    tips = [(e.data["depth_mm"], e.data["tip_mm"]) for e in proc.events
            if e.kind == "trocar_moved" and e.data["tip_mm"] is not None]
    deepest = np.asarray(max(tips, key=lambda t: t[0])[1], float)
    skin = np.asarray(placed["skin_mm"], float)
    n = max(2, int(np.linalg.norm(deepest - skin) / 0.25) + 1)
    return skin + np.linspace(0.0, 1.0, n)[:, None] * (deepest - skin), 0.5 * float(placed["outer_diameter_mm"])


def mask_oracle(labels, grid, label: int, ref, side: str, points_ct_mm: np.ndarray) -> dict:
    """The line's medial excursion past the mask's pedicle and its canal entry (see the module)."""
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    ped = ref.pedicle_left if side == "left" else ref.pedicle_right
    s = 1.0 if side == "left" else -1.0
    sx = grid.spacing_xyz_mm[0]
    v = labels == label
    cx, cy = (float(c) for c in ref.canal_xy_mm)
    worst, at_y = -np.inf, np.nan
    canal = False
    canal_of: dict[int, np.ndarray] = {}
    for p in points_ct_mm:
        k = int(np.argmin(np.abs(z - p[2])))
        j = int(np.argmin(np.abs(y - p[1])))
        i = int(np.argmin(np.abs(x - p[0])))
        row = np.flatnonzero(ped[k, j] > 0)
        if row.size:
            edge = (x[row].min() - 0.5 * sx) if s > 0 else (x[row].max() + 0.5 * sx)
            if s * (edge - p[0]) > worst:
                worst, at_y = s * (edge - p[0]), cy - p[1]
        if k not in canal_of:
            holes = ndi.binary_fill_holes(v[k]) & ~v[k]
            lab, _ = ndi.label(holes)
            jc, ic = int(np.argmin(np.abs(y - cy))), int(np.argmin(np.abs(x - cx)))
            canal_of[k] = lab == lab[jc, ic] if lab[jc, ic] else np.zeros_like(holes)
        canal = canal or bool(canal_of[k][j, i])
    return {"axis_mm": float(worst), "front_of_canal_mm": float(at_y), "canal": canal}


def play(sc, patient, side: str, angle_deg: float, labels, grid, label: int, ref) -> dict:
    """One line: the score's failed rules and worst breach, and the mask oracle's cells."""
    proc = play_expert(Procedure(sc, patient=patient, render=False),
                       ExpertPlan(sides=(side,), medial_error_deg=angle_deg))
    rep = score(proc)
    breaches = [e.data for e in proc.events if e.kind == "breach"]
    worst = max(breaches, key=lambda b: (b["grade"], b["breach_mm"]), default=None)
    pts, radius = line_points_mm(proc)
    centre = np.asarray(sc.ct.landmarks["body_centre_mm"], float)
    oracle = mask_oracle(labels, grid, label, ref, side, pts + centre)
    return {"rules": sorted(f["rule"] for f in rep.failed_rules), "score": rep.score, "passed": rep.passed,
            "worst": None if worst is None else (worst["grade"], worst["wall"], worst["breach_mm"]),
            "axis_mm": oracle["axis_mm"], "outer_mm": oracle["axis_mm"] + radius,
            "mask_grade": gr_grade(oracle["axis_mm"] + radius), "canal": oracle["canal"],
            "front_of_canal_mm": oracle["front_of_canal_mm"]}


def main(argv=None) -> int:
    ap = realct_plans.cases_parser(__doc__.splitlines()[0])
    ap.add_argument("--angles", nargs="*", type=float, default=list(ANGLES_DEG))
    args = ap.parse_args(argv)
    print("| CT | level | side | medial deg | passed (score) | failed rules | worst breach (grade, wall, mm) "
          "| mask: axis / outer surface medial of the pedicle mm | at, mm in front of the canal centre "
          "| mask grade | mask canal entered |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, levels in realct_plans.wanted_cases(args.cases).items():
            ct = sources.load(name)
            for level, sc, patient in realct_plans.scenarios(name, levels, Path(tmp)):
                label = sources.VERTEBRA_LABELS[level]
                ref = reference.measure(ct.labels, ct.grid, label)
                for side in ("left", "right"):
                    for a in args.angles:
                        r = play(sc, patient, side, a, ct.labels, ct.grid, label, ref)
                        w = "-" if r["worst"] is None else f"{r['worst'][0]}, {r['worst'][1]}, {r['worst'][2]:.1f}"
                        print(f"| {name} | {level} | {side} | {a:g} | {'yes' if r['passed'] else 'no'} "
                              f"({r['score']:.1f}) | {', '.join(r['rules']) or '-'} | {w} "
                              f"| {r['axis_mm']:+.1f} / {r['outer_mm']:+.1f} | {r['front_of_canal_mm']:.1f} | {r['mask_grade']} "
                              f"| {'yes' if r['canal'] else 'no'} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
