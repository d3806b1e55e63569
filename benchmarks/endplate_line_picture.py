"""Draw where ``image_quality.endplate_line`` puts the endplate lines on the thin-slice real CT's laterals.

For each level: the stored picture (mean of the two shots ``image_quality.shots`` takes, dense dark)
and its local contrast (the picture minus a 12-pixel Gaussian, stretched to its 99th percentile), the
central 252 x 252 pixels of the 512-pixel shot, with the superior line (red) and the inferior one (cyan)
drawn as ``image_quality.endplate_line_cnr`` samples them.  Also prints the mean profile across each
line (stored units, 0 white .. 1 black, mm from the line into the disc).

Usage: ``python benchmarks/endplate_line_picture.py [--levels T11,T12] [--out FILE.png]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import image_quality  # noqa: E402

from trainer.core.xray.geometry import Pose  # noqa: E402
from trainer.core.xray.renderer import FluoroRenderer  # noqa: E402

HALF_PX = 126
SCALE = 2


def picture(patient, carm, name):
    geom = carm.geometry.with_pixels(512)
    r = FluoroRenderer(patient, geom, patient_roll_deg=carm.patient_roll_deg)
    pose = Pose(90.0 + carm.patient_roll_deg, 0.0)
    (a, b), _, _ = image_quality.shots(r, pose, carm.kvp_lateral, geom)
    frame = r.frame(pose)
    lm = patient.landmarks
    c = np.asarray(lm.body_centre_mm, float)
    sup, inf = lm.superior_endplate_z_mm, lm.inferior_endplate_z_mm
    pw, aw = lm.posterior_wall_y_mm, lm.anterior_wall_y_mm
    plates = image_quality.endplate_surface_points(patient, c, lm.body_width_mm, 0.5 * (pw + aw), pw - aw,
                                                   0.5 * (sup + inf), sup - inf)
    m = 0.5 * (a + b)
    loc = m - ndimage.gaussian_filter(m, 12)
    c0 = 256 - HALF_PX
    win = slice(c0, 256 + HALF_PX)
    lc = loc[win, win]
    s = np.percentile(np.abs(lc), 99)
    left = Image.fromarray((255 * (1 - np.clip(m[win, win], 0, 1))).astype(np.uint8)).convert("RGB")
    right = Image.fromarray((255 * (1 - np.clip(0.5 + lc / (2 * s), 0, 1))).astype(np.uint8)).convert("RGB")
    size = 2 * HALF_PX * SCALE
    left, right = left.resize((size, size), Image.LANCZOS), right.resize((size, size), Image.LANCZOS)
    draw = ImageDraw.Draw(right)
    for key, superior, colour in (("top", True, (255, 0, 0)), ("bottom", False, (0, 255, 255))):
        cols, rows, out_px = image_quality.endplate_line(frame, plates[key], superior, c)
        draw.line([((u - c0) * SCALE, (v - c0) * SCALE) for u, v in zip(cols, rows)], fill=colour, width=2)
        offs = np.arange(-6.0, 6.01, 1.0)
        prof = [ndimage.map_coordinates(m, [rows + o * out_px, cols.astype(float)], order=1).mean() for o in offs]
        print(f"{name} {'superior' if superior else 'inferior'}: " + " ".join(f"{o:+.0f}:{p:.3f}" for o, p in zip(offs, prof)))
    ImageDraw.Draw(left).text((6, 6), f"{name} lateral", fill=(255, 255, 0))
    tile = Image.new("RGB", (2 * size, size))
    tile.paste(left, (0, 0))
    tile.paste(right, (size, 0))
    return tile


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--levels", default="T11,T12")
    ap.add_argument("--out", default=str(ROOT / "docs" / "images" / "imaging_realct_thin_endplate_lines.png"))
    args = ap.parse_args(argv)
    levels = tuple(args.levels.split(","))
    tiles = [picture(p, carm, name) for name, p, carm in image_quality.thin_cases(levels=levels)]
    out = Image.new("RGB", (tiles[0].width, sum(t.height for t in tiles)))
    for n, t in enumerate(tiles):
        out.paste(t, (0, n * tiles[0].height))
    out.save(args.out)
    print(args.out)


if __name__ == "__main__":
    main()
