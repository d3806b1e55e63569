"""``vptrainer render``: one fluoroscopy shot of a scenario's patient to PNG or DICOM."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from trainer.core.errors import ParameterError

NAME = "render"
HELP = "render one fluoroscopy image of a scenario to PNG or DICOM (XA)"
DESCRIPTION = ("Render one fluoroscopy shot of a scenario's patient (synthetic, or the patient CT of its [ct] "
               "section, isocentre on the target body): AP or lateral C-arm position, optional orbital/tilt, "
               "written as PNG or as a DICOM XA image.")


def add_arguments(parser):
    parser.add_argument("scenario", nargs="?", default=None,
                        help="built-in scenario id or TOML file (default: the default scenario)")
    parser.add_argument("--view", choices=("ap", "lateral"), default="ap",
                        help="C-arm position: ap (orbital 0) or lateral (orbital 90)")
    parser.add_argument("--orbital", type=float, default=None, metavar="DEG",
                        help="orbital angle in degrees, -135..135 (overrides --view's angle)")
    parser.add_argument("--tilt", type=float, default=0.0, metavar="DEG",
                        help="cranio-caudal tilt in degrees, -45..45 (positive: beam heads cranially)")
    parser.add_argument("--size", type=int, default=512, metavar="N", help="image size in pixels, 64..1024")
    parser.add_argument("--kvp", type=float, default=None,
                        help="tube potential (default: the scenario's kVp for the view)")
    parser.add_argument("--pulses", type=int, default=4,
                        help="pulses in the shot, 1..75 (default 4: a 0.5 s burst at 7.5 pulses/s)")
    parser.add_argument("--invert", action="store_true", help="dense = bright (radiograph look)")
    parser.add_argument("--out", required=True, metavar="FILE", help="output FILE.png or FILE.dcm (must not exist)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")


def _validate_png(path):
    if path.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        raise ParameterError("--out", str(path), "a PNG file", hint="the written file is not a PNG")


def _validate_dicom(path):
    import pydicom

    try:
        pydicom.dcmread(path)
    except Exception as exc:  # noqa: BLE001 (any failure to read back: the file is not kept)
        raise ParameterError("--out", str(path), "a DICOM file",
                             hint=f"the written file does not read back: {exc}") from None


def run(args) -> int:
    from trainer.core.safe_write import atomic_file, check_output
    from trainer.core.scenario.build import patient_for
    from trainer.core.scenario.loader import load_scenario
    from trainer.core.xray.detector import adrc, expose
    from trainer.core.xray.dicom_export import write_xa
    from trainer.core.xray.display import carm_image, to_display
    from trainer.core.xray.geometry import Pose
    from trainer.core.xray.png import write_png
    from trainer.core.xray.renderer import FluoroRenderer

    src = Path(args.scenario) if args.scenario and Path(args.scenario).exists() else None
    out = check_output(args.out, force=args.force, inputs=[src], suffixes=(".png", ".dcm"))
    if isinstance(args.size, bool) or not (64 <= args.size <= 1024):
        raise ParameterError("--size", args.size, "64 to 1024 pixels")
    scenario = load_scenario(args.scenario)
    carm = scenario.carm
    orbital = args.orbital if args.orbital is not None else (0.0 if args.view == "ap" else 90.0)
    pose = Pose(orbital, args.tilt)
    lateralish = abs(abs(orbital) - 90.0) < 45.0
    kvp = args.kvp if args.kvp is not None else (carm.kvp_lateral if lateralish else carm.kvp_ap)
    geometry = carm.geometry.with_pixels(args.size)
    patient = patient_for(scenario)      # the [ct] series, centred on the target body
    renderer = FluoroRenderer(patient, geometry, patient_roll_deg=carm.patient_roll_deg)
    if args.kvp is None:           # the C-arm's automatic dose-rate control picks kVp and output
        n = geometry.pixels
        idx = np.arange(n // 4, n - n // 4, 4)
        kvp, factor = adrc(lambda k: renderer.line_integrals_at(pose, k, idx, idx), kvp)
    else:
        factor = None
    li = renderer.render(pose, kvp)
    rng = np.random.default_rng(scenario.seed)
    if factor is None:
        exposure = expose(li, args.pulses, geometry, rng, kvp=kvp)
    else:
        exposure = expose(li, args.pulses, geometry, rng, kvp=kvp, abc=False, dose_scale=factor)
    img = carm_image(exposure.image, exposure.field_mask, geometry.pixel_mm, orbital)
    grey = to_display(img, 1.0, 0.5, invert=args.invert)
    view = f"orbital {orbital:g} deg, tilt {args.tilt:g} deg"
    png = out.suffix.lower() == ".png"
    with atomic_file(out, force=args.force, validate=_validate_png if png else _validate_dicom) as tmp:
        if png:
            write_png(tmp, grey, {"Software": "vptrainer", "Description": f"{scenario.id}: {view}, {kvp:g} kVp"})
        else:
            write_xa(tmp, grey, renderer.frame(pose), kvp, exposure.dose, when=datetime.now(),
                     description=f"{scenario.id} {view}")
    out = Path(args.out)
    d = exposure.dose
    print(f"{out}: {scenario.id}, {view}, {kvp:g} kVp, {args.size} px; "
          f"{d.entrance_kerma_mgy * 1000:.0f} uGy, {d.dap_gycm2 * 1000:.2f} mGy.cm2")
    print(_target_line(scenario, patient, args, orbital))
    return 0


def _target_line(scenario, patient, args, orbital: float) -> str:
    """What is at the image's centre, and, for a preset (no ``--orbital``), where the target's true view is when
    the preset is not it.

    Round 36: ``render CT.toml --view lateral`` of the real chest L1 (turned 10.7 deg on the table) wrote an
    oblique lateral at orbital 90 and said only the angle: neither the level at the centre nor that its true
    lateral lies at 79.3 deg, which ``scenarios show`` prints."""
    from trainer.core.procedure.expert_plan import ap_lateral_orbitals

    level = scenario.ct.level if scenario.ct is not None else scenario.anatomy.level
    line = f"  centred on the {level} body (the target level)"
    if args.orbital is None:
        true = ap_lateral_orbitals(scenario, patient.landmarks)[0 if args.view == "ap" else 1]
        if abs(true - orbital) >= 0.05:
            line += (f"; this {args.view} preset (orbital {orbital:g} deg) is not a true {args.view.replace('ap', 'AP')} "
                     f"of the {level}: that is at --orbital {true:g} (the vertebra's turn and the patient's roll: "
                     f"'scenarios show')")
    return line
