"""Save axial, sagittal and coronal slices of a synthetic patient as PNG (docs/images/anatomy_*.png).

Usage: .venv/bin/python tools/anatomy_slices.py [--level L1 --grade 2 --morphology wedge --seed 7 --out docs/images]
Writes greyscale PNGs with a plain zlib/struct encoder (no imaging library needed).
"""

from __future__ import annotations

import argparse
import struct
import zlib
from pathlib import Path

import numpy as np

from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.params import AnatomyParams


def write_png(path: Path, img: np.ndarray) -> None:
    """Write a 2-D uint8 array (rows top to bottom) as an 8-bit greyscale PNG."""
    img = np.ascontiguousarray(img, np.uint8)
    h, w = img.shape
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    path.write_bytes(png)


def window(hu: np.ndarray, level: float, width: float) -> np.ndarray:
    lo = level - width / 2
    return (np.clip((hu.astype(np.float32) - lo) / width, 0, 1) * 255).astype(np.uint8)


def upscale(img: np.ndarray, k: int) -> np.ndarray:
    return np.repeat(np.repeat(img, k, axis=0), k, axis=1)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--level", default="L1")
    ap.add_argument("--grade", type=float, default=2.0)
    ap.add_argument("--morphology", default="wedge")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--trabecular-hu", type=float, default=95.0)
    ap.add_argument("--features", action="store_true", help="add cleft, endplate crack and posterior wall defect")
    ap.add_argument("--out", default="docs/images")
    ap.add_argument("--prefix", default="anatomy")
    a = ap.parse_args(argv)
    p = build_patient(AnatomyParams(level=a.level, fracture_grade=a.grade, morphology=a.morphology, seed=a.seed,
                                    trabecular_hu=a.trabecular_hu, cleft=a.features, endplate_crack=a.features,
                                    posterior_wall_defect=a.features))
    v, lm = p.volume, p.landmarks
    g = v.grid
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    k_ax = int(round(g.mm_to_index([0, 0, lm.pedicle_left.centre_mm[2]])[0]))
    i_mid = int(round(g.mm_to_index([0, 0, 0])[2]))
    j_mid = int(round(g.mm_to_index([0, 0, 0])[1]))
    # axial: rows = y (anterior at top), columns = x with patient right on the image left (radiological)
    ax = v.hu[k_ax][:, ::-1]
    # sagittal: rows = z (head at top), columns = y (anterior left, posterior right)
    sag = v.hu[::-1, :, i_mid]
    # coronal: rows = z (head up), columns = x radiological (patient right on the image left)
    cor = v.hu[::-1, j_mid, ::-1]
    for name, img in (("axial", ax), ("sagittal", sag), ("coronal", cor)):
        write_png(out / f"{a.prefix}_{name}.png", upscale(window(img, 400, 1800), 2))
    write_png(out / f"{a.prefix}_axial_soft.png", upscale(window(ax, 40, 400), 2))
    c = p.context[0]
    kc = int(round(c.grid.mm_to_index([0, 0, 40.0])[0]))
    write_png(out / f"{a.prefix}_context_axial.png", upscale(window(c.hu[kc][:, ::-1], 40, 500), 2))
    ic = int(round(c.grid.mm_to_index([0, 0, 0])[2]))
    write_png(out / f"{a.prefix}_context_sagittal.png", upscale(window(c.hu[::-1, :, ic], 40, 500), 2))
    print(f"wrote {out}/{a.prefix}_*.png (axial at z={lm.pedicle_left.centre_mm[2]:.1f} mm)")


if __name__ == "__main__":
    main()
