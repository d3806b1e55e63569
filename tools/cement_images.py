"""Paste and runny cement on AP and lateral fluoroscopy (docs/images/cement_*.png, docs/cement.md).

The default scenario's patient; the same bone (seed) and the same expert tip; 3 mL in
0.25 mL pushes, once 5.5 min after mixing (paste) and once 2 min after mixing (runny).
Each image is a 512 x 512 shot with the trocar in place as the procedure stores it (dose-rate
control, 4 pulses, the C-arm processing with the renderer's metal mask: dense = dark),
cropped to the vertebra and enlarged 2x so the edges of the deposit can be judged.  Also writes an axial cut of the
deposit on the CT (cement_axial_*.png) so the shape can be checked without projection.

Usage: python tools/cement_images.py [--seed 3] [--out docs/images]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from trainer.core.procedure.cement import CementModel
from trainer.core.procedure.cement.calibration import patient_of
from trainer.core.procedure.plans import expert_direction, expert_target_mm
from trainer.core.scenario.loader import load_scenario
from trainer.core.xray.detector import adrc, expose
from trainer.core.xray.display import carm_image
from trainer.core.xray.geometry import CArmGeometry, Pose, project
from trainer.core.xray.renderer import FluoroRenderer
from trainer.core.xray.shapes import TrocarShape


def inject(patient, minutes: float, seed: int, ml: float = 3.0) -> CementModel:
    m = CementModel(patient, "default", np.random.default_rng(seed))
    m.mix(0.0)
    tip = expert_target_mm(patient, "left")
    for s in range(int(round(ml / 0.25))):
        r = m.inject(0.25, tip, 60.0 * minutes + 10.0 * s)
        assert r.accepted, r.refused_reason
    return m


def shot(renderer, geometry, pose, trocar, deposit, centre_px, nominal_kvp, half_px=110) -> np.ndarray:
    """The shot as the procedure stores it (dose-rate control, 4 pulses, C-arm processing with the
    metal mask), cropped round ``centre_px`` and enlarged 2x (uint8, dense = dark)."""
    n = geometry.pixels
    idx = np.arange(n // 4, n - n // 4, 4)
    kvp, factor = adrc(lambda k: renderer.line_integrals_at(pose, k, idx, idx), nominal_kvp)
    li, metal = renderer.render_shot(pose, kvp, trocar=trocar, cement=deposit)
    ex = expose(li, 4, geometry, np.random.default_rng(0), kvp=kvp, abc=False, dose_scale=factor)
    img = carm_image(ex.image, ex.field_mask, geometry.pixel_mm, metal=metal)
    g = (255.0 * (1.0 - img) + 0.5).astype(np.uint8)
    r, c = centre_px
    crop = g[max(0, r - half_px):r + half_px, max(0, c - half_px):c + half_px]
    return np.kron(crop, np.ones((2, 2), np.uint8))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", default="docs/images")
    args = ap.parse_args()
    out = Path(args.out)
    scenario = load_scenario("l1-wedge-default")
    patient = patient_of("l1-wedge-default")
    geometry = CArmGeometry(pixels=512)
    renderer = FluoroRenderer(patient, geometry)
    lm = patient.landmarks
    tip = expert_target_mm(patient, "left")
    d = expert_direction(patient, "left")
    trocar = TrocarShape(tuple(tip), tuple(d), 120.0, 3.0)
    roll = float(scenario.carm.patient_roll_deg)
    poses = {"ap": (Pose(roll, 0.0), scenario.carm.kvp_ap), "lateral": (Pose(90.0 + roll, 0.0), scenario.carm.kvp_lateral)}
    for label, minutes in (("paste", 5.5), ("runny", 2.0)):
        m = inject(patient, minutes, args.seed)
        dep = m.deposit()
        for view, (pose, kvp0) in poses.items():
            frame = renderer.frame(pose)
            col, row = project(frame, np.asarray(lm.body_centre_mm, float))
            img = shot(renderer, geometry, pose, trocar, dep, (int(round(row)), int(round(col))), kvp0)
            Image.fromarray(img).save(out / f"cement_{label}_{view}.png")
        # axial cut through the tip on the CT, cement in colour
        grid = patient.volume.grid
        k = int(round(grid.mm_to_index(tip)[0]))
        hu = patient.volume.hu[k].astype(np.float32)
        g = np.clip((hu + 200.0) / 1400.0, 0, 1)
        rgb = np.stack([g, g, g], axis=-1)
        sel = dep.ijk[:, 0] == k
        jj, ii = dep.ijk[sel, 1], dep.ijk[sel, 2]
        f = dep.fraction[sel][:, None]
        rgb[jj, ii] = (1 - f) * rgb[jj, ii] + f * np.array([0.1, 0.9, 0.9])
        kji_leak = m.leak_voxels_kji()
        ls = kji_leak[:, 0] == k
        rgb[kji_leak[ls, 1], kji_leak[ls, 2]] = np.array([0.95, 0.15, 0.15])
        c = grid.mm_to_index(np.asarray(lm.body_centre_mm, float)).round().astype(int)
        crop = rgb[max(0, c[1] - 60):c[1] + 60, max(0, c[2] - 60):c[2] + 60]
        big = np.kron(crop, np.ones((4, 4, 1)))
        Image.fromarray((big * 255).astype(np.uint8)).save(out / f"cement_axial_{label}.png")
        print(label, f"{m.injected_ml:.2f} mL, leaks:", [(lk.type, round(lk.volume_ml, 3)) for lk in m.leaks])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
