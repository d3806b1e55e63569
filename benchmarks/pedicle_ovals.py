"""The pedicle ovals ("eyes") on the squared AP and the window's room above the body on the lateral.

For each scenario (the built-in default, and real-CT scenarios written by ``vptrainer scenarios
import-ct``) the squared AP (the expert plan's orbital and tilt: ``ap_lateral_orbitals``,
``squaring_tilt_deg``) and the true lateral are shot as a procedure takes them (dose-rate control,
polyenergetic render, detector with the scenario's seed, C-arm processing: the stored picture, 0 white
.. 1 black: "window units"), and the same pose is also given as

* ``raw``: the renderer's own line integrals (before the detector and the display), and
* ``drr``: an independent NumPy DRR: line integrals of mu = 0.0206 /mm (1 + HU/1000) (water at about
  60 keV, 0 below -1000 HU) through every volume of the patient (the fine grid and its context), sampled
  every 0.5 mm along each pixel's ray of the same cone-beam frame, no detector, no display,

each in a plain linear window: its 0.15-99.85 percentiles over the patient (path above 0.4, about 2 cm of
water), the window ``display.present`` takes of its harmonised image, without harmonisation or edge
enhancement.  So a contrast that the DRR and ``raw`` hold and the picture lacks is removed by the
display; one that none holds is missing from the data.

AP, each pedicle (regions of ``image_quality.pedicle_rois`` round the landmarks' pedicle centre, width
and height projected with the frame): ``ring`` the cortex band (0.75-1.05 of the projected oval, medial
and lateral walls), ``in`` its core (inside 0.5), ``out`` beside it (1.3-1.7).  Printed: the picture's
mean values (window units), and ``ring-in`` and ``ring-out`` in each of the three images (positive: the
ring is denser).  Lateral: the body's middle (``image_quality.lateral_boxes``) in each image, and the
share of the patient's pixels (path above 0.4) denser than it (what sets the window's top).

Usage::

    vptrainer scenarios import-ct CASES/chest --level T12 --out CASES/chest-T12.toml   # a copy of /work/data/chest
    python benchmarks/pedicle_ovals.py [--size 512] [--drr-size 256] [--png DIR] [SCENARIO.toml ...]

Without scenarios only the built-in default is measured; ``default`` names it among others.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import image_quality as iq  # noqa: E402

from trainer.core.anatomy.endplates import endplate_inclinations_deg  # noqa: E402
from trainer.core.procedure.expert_plan import ap_lateral_orbitals, squaring_tilt_deg  # noqa: E402
from trainer.core.scenario.build import patient_for  # noqa: E402
from trainer.core.scenario.loader import load_scenario  # noqa: E402
from trainer.core.xray.detector import adrc, expose  # noqa: E402
from trainer.core.xray.display import carm_image  # noqa: E402
from trainer.core.xray.geometry import Pose, frame_for, pixel_rays  # noqa: E402
from trainer.core.xray.png import write_png  # noqa: E402
from trainer.core.xray.renderer import FluoroRenderer  # noqa: E402

#: mu of water (1/mm) at about 60 keV (NIST XCOM 0.2059 cm2/g), the DRR's HU scale
MU_WATER_PER_MM = 0.0206
#: the DRR's step along each ray (mm) and its half length about the isocentre (mm)
DRR_STEP_MM = 0.5
DRR_HALF_MM = 300.0
#: the plain window: percentiles of the patient (path above PATIENT_LOG)
LOW_PCT, HIGH_PCT, PATIENT_LOG = 0.15, 99.85, 0.4


def patient_arrays(patient) -> list:
    """``(HU [z, y, x], origin (x, y, z) mm, spacing (x, y, z) mm)`` of every volume of ``patient``."""
    return [(v.hu, np.asarray(v.grid.origin_mm, float), np.asarray(v.grid.spacing_xyz_mm, float))
            for v in [patient.volume, *patient.context]]


def series_arrays(folder, centre_mm) -> list:
    """The DICOM series in ``folder`` read with pydicom alone (axial slices sorted by z, HU by the rescale),
    shifted by ``centre_mm`` as the trainer's patient is (its body centre at the origin): one
    :func:`patient_arrays` entry.  The CT's table is kept (the trainer removes it)."""
    import pydicom

    ds = sorted((pydicom.dcmread(f) for f in Path(folder).iterdir() if f.is_file()),
                key=lambda d: float(d.ImagePositionPatient[2]))
    hu = np.stack([d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in ds]).astype(np.float32)
    z = [float(d.ImagePositionPatient[2]) for d in ds]
    dy, dx = (float(v) for v in ds[0].PixelSpacing)
    origin = np.array([float(ds[0].ImagePositionPatient[0]), float(ds[0].ImagePositionPatient[1]), z[0]])
    return [(hu, origin - np.asarray(centre_mm, float), np.array([dx, dy, (z[-1] - z[0]) / (len(z) - 1)]))]


def numpy_drr(arrays: list, frame, pixels: int) -> np.ndarray:
    """Line integrals (dimensionless) of mu(HU) = MU_WATER_PER_MM (1 + HU/1000), clipped at 0, along the
    rays of ``frame`` (``pixels`` x ``pixels``), trilinear in every array of ``arrays``
    (:func:`patient_arrays`)."""
    rows, cols = np.mgrid[0:pixels, 0:pixels]
    origin, d = pixel_rays(frame, cols.astype(float), rows.astype(float))
    sod = frame.geometry.sod_mm
    ts = np.arange(sod - DRR_HALF_MM, sod + DRR_HALF_MM, DRR_STEP_MM)
    out = np.zeros((pixels, pixels))
    for hu, o, sp in arrays:
        lo, hi = o, o + sp * (np.asarray(hu.shape[::-1]) - 1)
        mu = np.clip(MU_WATER_PER_MM * (1.0 + hu.astype(np.float32) / 1000.0), 0.0, None)
        for t0 in range(0, len(ts), 50):
            t = ts[t0:t0 + 50]
            p = origin[..., None, :] + d[..., None, :] * t[:, None]            # (n, n, k, 3) mm
            inside = np.all((p >= lo) & (p <= hi), axis=-1)
            if not inside.any():
                continue
            idx = (p[inside] - o) / sp
            s = ndimage.map_coordinates(mu, [idx[:, 2], idx[:, 1], idx[:, 0]], order=1, mode="nearest")
            acc = np.zeros(inside.shape, np.float64)
            acc[inside] = s
            out += acc.sum(axis=-1) * DRR_STEP_MM
    return out


def plain_window(li: np.ndarray) -> np.ndarray:
    """``li`` in a plain window (0 at its patient's 0.15th percentile, 1 at its 99.85th)."""
    patient = li > PATIENT_LOG
    lo, hi = np.percentile(li[patient] if patient.sum() >= 100 else li, [LOW_PCT, HIGH_PCT])
    return (li - lo) / max(float(hi - lo), 1e-6)


def shot(renderer, pose, kvp0, geometry, seed):
    """(the stored picture, the renderer's line integrals at the picked kVp)."""
    n = geometry.pixels
    idx = np.arange(n // 4, n - n // 4, 4)
    kvp, factor = adrc(lambda k: renderer.line_integrals_at(pose, k, idx, idx), kvp0)
    li = renderer.render(pose, kvp)
    ex = expose(li, 4, geometry, np.random.default_rng(seed), kvp=kvp, abc=False, dose_scale=factor)
    return carm_image(ex.image, ex.field_mask, geometry.pixel_mm, pose.orbital_deg), li


def oval_row(images: dict, frames: dict, pedicle) -> dict:
    """Ring, core and beside means of one pedicle in each image (``images``/``frames`` by name)."""
    row = {}
    for name, img in images.items():
        ring, out, core = iq.pedicle_rois(frames[name], pedicle, img.shape[0])
        r, c, o = (float(img[m].mean()) if m.any() else float("nan") for m in (ring, core, out))
        if name == "picture":
            row.update(ring=r, inside=c, beside=o)
        row[f"{name}_ring-in"] = r - c
        row[f"{name}_ring-out"] = r - o
    return row


def measure(sid: str, size: int, drr_size: int, png_dir: Path | None) -> list[dict]:
    """The AP oval rows (one per pedicle) and the lateral row of scenario ``sid``."""
    scenario = load_scenario(None if sid == "default" else sid)
    patient = patient_for(scenario)
    carm = scenario.carm
    geometry = carm.geometry.with_pixels(size)
    small = carm.geometry.with_pixels(drr_size)
    r = FluoroRenderer(patient, geometry, patient_roll_deg=carm.patient_roll_deg)
    ap_orb, lat_orb = ap_lateral_orbitals(scenario, patient.landmarks)
    tilt = squaring_tilt_deg(endplate_inclinations_deg(patient))
    series = series_arrays(scenario.ct.folder, scenario.ct.landmarks["body_centre_mm"]) if scenario.ct else []
    name = scenario.id if sid == "default" else Path(sid).stem
    rows = []
    for view, pose, kvp0 in (("ap", Pose(ap_orb, tilt), carm.kvp_ap), ("lateral", Pose(lat_orb, 0.0), carm.kvp_lateral)):
        pic, li = shot(r, pose, kvp0, geometry, scenario.seed)
        f, fs = r.frame(pose), frame_for(small, pose, carm.patient_roll_deg)
        drr_li = numpy_drr(patient_arrays(patient), fs, drr_size)
        images = {"picture": pic, "raw": plain_window(li), "drr": plain_window(drr_li)}
        frames = {"picture": f, "raw": f, "drr": fs}
        masks = {"picture": li > PATIENT_LOG, "raw": li > PATIENT_LOG, "drr": drr_li > PATIENT_LOG}
        if scenario.ct is not None:
            ser_li = numpy_drr(series, fs, drr_size)
            images["series"], frames["series"], masks["series"] = plain_window(ser_li), fs, ser_li > PATIENT_LOG
        if png_dir is not None:
            png_dir.mkdir(parents=True, exist_ok=True)
            for k, img in images.items():
                write_png(png_dir / f"{name}-{view}-{k}.png", (255 * (1 - np.clip(img, 0, 1))).astype(np.uint8))
        base = {"case": name, "view": view, "orbital": round(pose.orbital_deg, 1), "tilt": round(pose.tilt_deg, 1)}
        if view == "ap" and png_dir is not None:             # the regions drawn on the picture: ring white, beside grey
            grey = (255 * (1 - np.clip(pic, 0, 1))).astype(np.uint8)
            for side in ("left", "right"):
                ring, out, _ = iq.pedicle_rois(f, patient.landmarks.pedicle(side), size)
                grey[ring], grey[out] = 255, 128
            write_png(png_dir / f"{name}-ap-regions.png", grey)
        if view == "ap":
            for side in ("left", "right"):
                rows.append({**base, "side": side, **oval_row(images, frames, patient.landmarks.pedicle(side))})
        else:
            body = iq.lateral_boxes(patient.landmarks)["body"]
            row = {**base, "side": "body"}
            for k, img in images.items():
                v = float(iq._sample(img, frames[k], body).mean())
                row[f"{k}_body"] = v
                row[f"{k}_denser_pct"] = 100.0 * float((img[masks[k]] > v).mean())
            rows.append(row)
    return rows


def _pair(r: dict, k: str) -> str:
    return f"{r[k + '_ring-in']:+.3f} / {r[k + '_ring-out']:+.3f}" if k + "_ring-in" in r else "-"


def _body(r: dict, k: str) -> str:
    return f"{r[k + '_body']:.3f} ({r[k + '_denser_pct']:.1f})" if k + "_body" in r else "-"


def table(rows: list[dict]) -> str:
    """Markdown tables: the AP ovals, then the lateral body."""
    ap = [r for r in rows if r["view"] == "ap"]
    lat = [r for r in rows if r["view"] == "lateral"]
    kinds = ("picture", "raw", "drr", "series")
    lines = ["| case | side | orbital, tilt deg | ring | in | beside | " + " | ".join(
        f"{k} ring-in / ring-out" for k in kinds) + " |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in ap:
        lines.append(f"| {r['case']} | {r['side']} | {r['orbital']:.1f}, {r['tilt']:.1f} | {r['ring']:.3f} | {r['inside']:.3f} "
                     f"| {r['beside']:.3f} | " + " | ".join(_pair(r, k) for k in kinds) + " |")
    lines += ["", "| case | lateral orbital | " + " | ".join(f"{k} body (denser %)" for k in kinds) + " |",
              "|---|---|---|---|---|---|"]
    for r in lat:
        lines.append(f"| {r['case']} | {r['orbital']:.1f} | " + " | ".join(_body(r, k) for k in kinds) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("scenarios", nargs="*", default=["default"])
    p.add_argument("--size", type=int, default=512, help="the picture's pixels")
    p.add_argument("--drr-size", type=int, default=256, help="the NumPy DRR's pixels")
    p.add_argument("--png", type=Path, default=None, help="write each image (dense = dark) into this folder")
    a = p.parse_args(argv)
    rows = []
    for sid in a.scenarios:
        rows += measure(sid, a.size, a.drr_size, a.png)
        print(f"measured {sid}", file=sys.stderr, flush=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
