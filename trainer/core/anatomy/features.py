"""Veins and fracture features of the target body: real openings in the label volume.

* Basivertebral vein: a channel from the body centre to the posterior wall at the
  midline, through its foramen in the cortex into the canal (anterior epidural plexus).
* Segmental veins: run round the waist of the body on each side to the neural foramen;
  a nutrient channel through the anterolateral cortex joins each to the cancellous bone.
* Endplate crack: a slit through the superior endplate cortex from cancellous bone to the disc.
* Posterior wall defect: a gap in the posterior cortex from cancellous bone to the canal.
* Cleft: a gas- or fluid-filled cavity under the collapsed superior endplate.

Openings are labelled CANCELLOUS (crack, defect) with fracture-gap fluid HU, so every
cortical barrier the cement model respects is really interrupted there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer.core.anatomy.canvas import Canvas, capsule, ellipsoid, polyline_tube
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.vertebra import Vertebra

__all__ = ["paint_segmental_veins", "paint_basivertebral", "paint_fracture_features",
           "GAP_HU", "CLEFT_GAS_HU", "CLEFT_FLUID_HU"]

GAP_HU = 30            #: fluid/haematoma in a fracture gap
CLEFT_GAS_HU = -850    #: vacuum cleft (gas)
CLEFT_FLUID_HU = 15    #: fluid-filled cleft
_BODY = (Label.BODY_CORTEX, Label.CANCELLOUS)
_SOFT = (Label.MUSCLE, Label.FAT, Label.SOFT_TISSUE, Label.FORAMEN_LEFT, Label.FORAMEN_RIGHT)

#: How far (mm) the segmental vein's nutrient channel reaches in from the body's outer outline: through the
#: cortical foramen on the anterolateral surface and just under it. The segmental (intercostal, lumbar) veins
#: take the body's blood through small foramina on its anterolateral surface; the interior drains centripetally
#: to the basivertebral system [D/T: the depth is ours].
SEGMENTAL_CHANNEL_DEPTH_MM = 3.0
#: Where each anterolateral basivertebral branch ends, as fractions (x of the half-width a, y of the half-depth
#: b, negative = anterior) of the body: the radicles converge on the hub in the central body and run out to
#: the posterior central foramen (Tzika 2021: the basivertebral canal is 12-22 % of the body's depth deep).
BASIVERTEBRAL_ARM_END = (0.20, -0.25)


def _outline_point(v: Vertebra, psi: float, grow: float, side: float):
    """Point on the body outline at polar parameter ``psi`` (0 anterior, pi posterior), grown outwards."""
    b = v.body
    p = 2.4
    a = b.a * (1 - b.waist()) + grow
    bb = (b.b + (1.5 if psi > np.pi / 2 else 0.0)) * (1 - b.waist()) + grow
    x = side * a * np.abs(np.sin(psi)) ** (2 / p)
    y = -np.sign(np.cos(psi)) * bb * np.abs(np.cos(psi)) ** (2 / p)
    return np.array([x, y, b.zc])


def segmental_vein_paths(v: Vertebra, radius_mm: float, foramen_z_mm: float):
    """Per side: (path polyline (N, 3), nutrient channel (p_in, p_out))."""
    out = {}
    d = v.dims
    zmid = v.body.zc + v.body.middle_local_z()
    for side, s in (("left", 1.0), ("right", -1.0)):
        psis = np.radians(np.linspace(30.0, 140.0, 9))
        pts = [_outline_point(v, p, 1.5 + radius_mm, s) for p in psis]
        for q in pts:
            q[2] = zmid
        foramen = np.array([s * (0.5 * d.canal_width_mm + 0.5 * v.pedicle_width_mm + 2.0),
                            v.body.posterior_y + 0.3 * d.canal_depth_mm, foramen_z_mm])
        path = np.vstack(pts + [foramen])
        p_out = pts[2]
        edge = _outline_point(v, psis[2], 0.0, s)[:2]
        p_in = np.append(edge * (1.0 - SEGMENTAL_CHANNEL_DEPTH_MM / float(np.hypot(*edge))), zmid)
        out[side] = (path, (p_in, p_out))
    return out


def paint_segmental_veins(cv: Canvas, v: Vertebra, scale: float, foramen_z_mm: float):
    """The veins themselves (before bone is painted); returns the nutrient channels."""
    r = 1.2 * scale
    paths = segmental_vein_paths(v, r, foramen_z_mm)
    for path, _ in paths.values():
        polyline_tube(cv, path, r, Label.SEGMENTAL_VEIN, only=_SOFT + (Label.SEGMENTAL_VEIN,))
    return [ch for _, ch in paths.values()]


def paint_nutrient_channels(cv: Canvas, hu: np.ndarray, channels, radius_mm: float):
    """Channels through the anterolateral cortex from cancellous bone to the segmental veins."""
    for p_in, p_out in channels:
        f, lo, hi = capsule(p_in, p_out, radius_mm)
        m = cv.paint(lo, hi, f, Label.SEGMENTAL_VEIN, only=_BODY)
        _set_hu(cv, hu, lo, hi, m, 45)


def _set_hu(cv: Canvas, hu, lo, hi, mask, value):
    if mask is None:
        return
    b = cv.box(lo, hi)
    sub = hu[b[0]]
    sub[mask] = value


def paint_basivertebral(cv: Canvas, hu: np.ndarray, v: Vertebra, scale: float):
    """Basivertebral vein and its foramen; returns the foramen centre (x, y, z mm)."""
    b = v.body
    zmid = b.zc + b.middle_local_z()
    r = 1.3 * scale
    yP = b.posterior_y
    foramen = np.array([0.0, yP, zmid])
    hub = np.array([0.0, -0.05 * 2 * b.b, zmid])
    segs = [(np.array([0.0, yP + 0.6, zmid]), hub, r)]
    ax, ay = BASIVERTEBRAL_ARM_END
    for s in (1.0, -1.0):
        segs.append((np.array([0.0, 0.1 * b.b, zmid]), np.array([s * ax * b.a, ay * b.b, zmid + 0.5]), 0.75 * r))
    for p0, p1, rr in segs:
        f, lo, hi = capsule(p0, p1, max(rr, 0.6 * cv.grid.spacing_xyz_mm[0]))
        m = cv.paint(lo, hi, f, Label.BASIVERTEBRAL_VEIN, only=_BODY + (Label.CANAL,))
        _set_hu(cv, hu, lo, hi, m, 45)
    return foramen


def paint_fracture_features(cv: Canvas, hu: np.ndarray, v: Vertebra, params, rng) -> dict:
    """Cleft, endplate crack and posterior wall defect as requested by ``params``; returns their geometry."""
    b = v.body
    vox = max(cv.grid.spacing_xyz_mm)
    feats: dict[str, dict[str, Any]] = {}
    if params.endplate_crack:
        y0 = -0.45 * b.b          # anterior third of the body
        half = max(0.75, 0.75 * vox)

        def crack(x, y, z):
            top = b.top(x, y)
            return (np.abs(y - y0) <= half) & (np.abs(x) <= 0.7 * b.a) & (z >= top - 3.0) & (z <= top + 0.5)

        zt = float(b.top(np.float64(0.0), np.float64(y0)))
        lo, hi = (-0.7 * b.a, y0 - half, zt - 4.0), (0.7 * b.a, y0 + half, zt + 2.0)
        m = cv.paint(lo, hi, crack, Label.CANCELLOUS, only=_BODY)
        _set_hu(cv, hu, lo, hi, m, GAP_HU)
        feats["endplate_crack"] = {"y_mm": float(y0), "x_half_mm": float(0.7 * b.a), "z_mm": zt,
                                   "width_mm": float(2 * half)}
    if params.posterior_wall_defect:
        x0 = -0.2 * v.dims.canal_width_mm
        zmid = b.zc + b.middle_local_z()
        half_x, z0, z1 = max(2.0, vox), zmid + 0.5, zmid + 5.5
        yP = b.posterior_y

        def defect(x, y, z):
            return (np.abs(x - x0) <= half_x) & (y >= yP - 3.0) & (z >= z0) & (z <= z1)

        lo, hi = (x0 - half_x, yP - 3.0, z0), (x0 + half_x, yP + 3.0, z1)
        m = cv.paint(lo, hi, defect, Label.CANCELLOUS, only=_BODY)
        _set_hu(cv, hu, lo, hi, m, GAP_HU)
        feats["posterior_wall_defect"] = {"centre_mm": [float(x0), float(yP), float(0.5 * (z0 + z1))],
                                          "width_mm": float(2 * half_x), "height_mm": float(z1 - z0)}
    if params.cleft:
        gas = bool(rng.random() < 0.5)
        yc = -0.15 * 2 * b.b
        zt = float(b.top(np.float64(0.0), np.float64(yc)))
        c = (0.0, yc, zt - 3.5)
        f, cleft_lo, cleft_hi = ellipsoid(c, (0.3 * b.a * 2, 0.25 * b.b * 2, 2.2))
        m = cv.paint(cleft_lo, cleft_hi, f, Label.CLEFT, only=(Label.CANCELLOUS,))
        _set_hu(cv, hu, cleft_lo, cleft_hi, m, CLEFT_GAS_HU if gas else CLEFT_FLUID_HU)
        feats["cleft"] = {"centre_mm": [float(v) for v in c], "content": "gas" if gas else "fluid"}
    return feats
