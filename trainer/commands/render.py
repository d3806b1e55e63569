"""``vptrainer render``: one fluoroscopy shot of a scenario's patient to PNG or DICOM."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from trainer.core.errors import ParameterError

NAME = "render"
HELP = "render one fluoroscopy image of a scenario to PNG or DICOM (XA)"
DESCRIPTION = ("Render one fluoroscopy shot of a scenario's synthetic patient: AP or lateral C-arm "
               "position, optional orbital/tilt, written as PNG or as a DICOM XA image.")


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
    parser.add_argument("--out", required=True, metavar="FILE", help="output FILE.png or FILE.dcm")


def run(args) -> int:
    from trainer.core.anatomy.builder import build_patient
    from trainer.core.scenario.loader import load_scenario
    from trainer.core.xray.detector import adrc, expose
    from trainer.core.xray.dicom_export import write_xa
    from trainer.core.xray.display import carm_image, to_display
    from trainer.core.xray.geometry import Pose
    from trainer.core.xray.png import write_png
    from trainer.core.xray.renderer import FluoroRenderer

    out = Path(args.out)
    if out.suffix.lower() not in (".png", ".dcm"):
        raise ParameterError("--out", str(out), "a file name ending in .png or .dcm")
    if not out.parent.is_dir():
        raise ParameterError("--out", str(out), "a file in an existing folder")
    if isinstance(args.size, bool) or not (64 <= args.size <= 1024):
        raise ParameterError("--size", args.size, "64 to 1024 pixels")
    scenario = load_scenario(args.scenario)
    carm = scenario.carm
    orbital = args.orbital if args.orbital is not None else (0.0 if args.view == "ap" else 90.0)
    pose = Pose(orbital, args.tilt)
    lateralish = abs(abs(orbital) - 90.0) < 45.0
    kvp = args.kvp if args.kvp is not None else (carm.kvp_lateral if lateralish else carm.kvp_ap)
    geometry = carm.geometry.with_pixels(args.size)
    patient = build_patient(scenario.anatomy)
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
    if out.suffix.lower() == ".png":
        write_png(out, grey, {"Software": "vptrainer", "Description": f"{scenario.id}: {view}, {kvp:g} kVp"})
    else:
        write_xa(out, grey, renderer.frame(pose), kvp, exposure.dose, when=datetime.now(),
                 description=f"{scenario.id} {view}")
    d = exposure.dose
    print(f"{out}: {scenario.id}, {view}, {kvp:g} kVp, {args.size} px; "
          f"{d.entrance_kerma_mgy * 1000:.0f} uGy, {d.dap_gycm2 * 1000:.2f} mGy.cm2")
    return 0
