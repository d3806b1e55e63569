"""``vptrainer phantom``: write a synthetic patient as a DICOM CT series."""

from __future__ import annotations

import json
import sys

from trainer.core.anatomy.params import LEVELS, MORPHOLOGIES, AnatomyParams, level_from_text

NAME = "phantom"
HELP = "write a synthetic patient (fractured vertebra) as a DICOM CT series"
DESCRIPTION = ("Build the synthetic patient (fine 0.5 mm volume around the target vertebra) and write it "
               "as a CT Image Storage series, one file per axial slice, readable by any DICOM viewer.")


def _grade(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def add_arguments(parser):
    parser.add_argument("--out", required=True, help="output folder (created if missing; must be new or empty)")
    parser.add_argument("--force", action="store_true", help="replace the files of an existing --out folder")
    parser.add_argument("--level", default="L1",
                        help=f"target vertebra, one of {', '.join(LEVELS)}, any letter case (default L1)")
    parser.add_argument("--grade", type=_grade, default=2.0, help="Genant grade 0, 0.5, 1, 2 or 3 (default 2)")
    parser.add_argument("--morphology", default="wedge", help=f"{', '.join(MORPHOLOGIES)} (default wedge)")
    parser.add_argument("--height-loss", type=float, default=None,
                        help="fractional height loss inside the grade's band (default: middle of the band)")
    parser.add_argument("--seed", type=int, default=7, help="patient seed (default 7)")
    parser.add_argument("--sex", default="female", help="female or male (default female)")
    parser.add_argument("--size", type=float, default=1.0, help="size scale 0.8 to 1.2 (default 1)")
    parser.add_argument("--trabecular-hu", type=float, default=95.0,
                        help="mean trabecular HU, 40 to 300 (healthy ~230, osteoporotic 80-110; default 95)")
    parser.add_argument("--cortical-hu", type=float, default=1200.0, help="cortical HU, 700 to 1800 (default 1200)")
    parser.add_argument("--voxel-mm", type=float, default=0.5, help="voxel size 0.25 to 2 mm (default 0.5)")
    parser.add_argument("--cleft", action="store_true", help="add an intravertebral cleft")
    parser.add_argument("--endplate-crack", action="store_true", help="add a superior endplate crack")
    parser.add_argument("--posterior-wall-defect", action="store_true", help="add a posterior wall defect")
    parser.add_argument("--patient-name", default="VPTRAINER^PHANTOM", help="DICOM PatientName")


def run(args) -> int:
    from trainer.core.anatomy.builder import build_patient
    from trainer.core.anatomy.dicom_io import write_ct_series
    from trainer.core.safe_write import atomic_folder, check_output

    out = check_output(args.out, force=args.force, folder=True)
    params = AnatomyParams(level=level_from_text(args.level), sex=args.sex, size_scale=args.size,
                           trabecular_hu=args.trabecular_hu,
                           cortical_hu=args.cortical_hu, fracture_grade=args.grade, morphology=args.morphology,
                           height_loss_fraction=args.height_loss, cleft=args.cleft,
                           endplate_crack=args.endplate_crack, posterior_wall_defect=args.posterior_wall_defect,
                           seed=args.seed, voxel_mm=args.voxel_mm)
    patient = build_patient(params)
    desc = f"vptrainer {params.level} Genant {params.fracture_grade:g} {params.morphology} seed {params.seed}"
    with atomic_folder(out, force=args.force) as tmp:
        files = write_ct_series(patient.volume, tmp, patient_name=args.patient_name, description=desc,
                                uid_seed=json.dumps(params.as_dict(), sort_keys=True))
    g = patient.volume.grid
    print(f"wrote {len(files)} slices ({g.shape[2]} x {g.shape[1]} pixels, {g.spacing_xyz_mm[0]:g} mm) to {args.out}",
          file=sys.stdout)
    return 0
