"""Debrief figures drawn with NumPy only: shots with overlays, and the timeline strip.

The last AP and lateral shots are shown with the anatomy that scoring used projected
onto them (pedicle outlines and midline on AP; posterior wall and the anterior-third
target band on lateral), the trocar path, the tip and the cement outline, all through
:func:`trainer.core.xray.geometry.project`.  Images are encoded as RGB PNG here so that
core needs neither Qt nor Pillow.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from scipy import ndimage

from trainer.core.xray.detector import SHUTTER_VALUE
from trainer.core.xray.display import auto_window, enhance, to_display
from trainer.core.xray.geometry import CArmGeometry, Pose, frame_for, project

__all__ = ["encode_png_rgb", "to_grey", "shot_figure", "timeline_figure", "COLOURS"]

COLOURS = {
    "anatomy": (60, 200, 90),     # pedicle outlines, posterior wall, midline
    "target": (90, 160, 255),     # target band on lateral
    "path": (255, 210, 40),       # trocar path (tip positions)
    "shaft": (255, 140, 0),       # the trocar shaft at the end
    "tip": (255, 40, 40),
    "cement": (0, 230, 230),
}


def encode_png_rgb(rgb: np.ndarray) -> bytes:
    """PNG bytes of an (H, W, 3) uint8 RGB image."""
    img = np.ascontiguousarray(rgb, dtype=np.uint8)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"encode_png_rgb needs an (H, W, 3) uint8 array; got {img.shape}")
    h, w, _ = img.shape
    raw = np.zeros((h, w * 3 + 1), np.uint8)
    raw[:, 1:] = img.reshape(h, w * 3)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)) + chunk(b"IEND", b""))


def to_grey(pixels: np.ndarray) -> np.ndarray:
    """uint8 display of a shot: already-uint8 images pass through; log-processed float images
    (dense = higher) get the C-arm look of :mod:`trainer.core.xray.display` (edge enhancement,
    automatic window over the collimated field, dense = dark)."""
    p = np.asarray(pixels)
    if p.dtype == np.uint8:
        return p
    field = p < SHUTTER_VALUE - 1e-3
    img = enhance(p)
    window, level = auto_window(img, field if field.any() else None)
    return to_display(img, window, level)


class _Canvas:
    def __init__(self, grey: np.ndarray, scale: int = 1):
        g = np.repeat(np.repeat(grey, scale, axis=0), scale, axis=1) if scale > 1 else grey
        self.rgb = np.stack([g, g, g], axis=-1).astype(np.uint8)
        self.h, self.w = g.shape
        self.scale = scale

    def _plot(self, cols, rows, colour, width=1):
        c = np.rint(np.asarray(cols, float) * self.scale).astype(int)
        r = np.rint(np.asarray(rows, float) * self.scale).astype(int)
        for dc in range(-(width // 2), width - width // 2):
            for dr in range(-(width // 2), width - width // 2):
                cc, rr = c + dc, r + dr
                ok = (cc >= 0) & (cc < self.w) & (rr >= 0) & (rr < self.h)
                self.rgb[rr[ok], cc[ok]] = colour

    def polyline(self, pts_cr, colour, width=2, dashed=False):
        pts = np.asarray(pts_cr, float).reshape(-1, 2)
        for a, b in zip(pts[:-1], pts[1:]):
            n = int(max(2, np.ceil(np.hypot(*(b - a)) * 2 * self.scale)))
            s = np.linspace(0.0, 1.0, n)
            if dashed:
                s = s[(np.arange(n) // max(1, 4 * self.scale)) % 2 == 0]
            seg = a + s[:, None] * (b - a)
            self._plot(seg[:, 0], seg[:, 1], colour, width)

    def dot(self, cr, colour, radius=3):
        r = radius
        yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
        disk = xx ** 2 + yy ** 2 <= r * r
        c0, r0 = (np.asarray(cr, float) * self.scale).round().astype(int)
        cc, rr = c0 + xx[disk], r0 + yy[disk]
        ok = (cc >= 0) & (cc < self.w) & (rr >= 0) & (rr < self.h)
        self.rgb[rr[ok], cc[ok]] = colour

    def outline(self, mask: np.ndarray, colour):
        if self.scale > 1:
            mask = np.repeat(np.repeat(mask, self.scale, axis=0), self.scale, axis=1)
        edge = mask & ~ndimage.binary_erosion(mask, iterations=max(1, self.scale))
        self.rgb[edge] = colour


def _ellipse_mm(centre, half_w, half_h, n=48):
    t = np.linspace(0.0, 2 * np.pi, n)
    c = np.asarray(centre, float)
    return np.stack([c[0] + half_w * np.cos(t), np.full(n, c[1]), c[2] + half_h * np.sin(t)], axis=-1)


def shot_figure(pixels: np.ndarray, pose: Pose, view: str, geometry: CArmGeometry, landmarks,
                patient_roll_deg: float = 0.0, tip_path_mm=None, shaft_mm=None, cement_points_mm=None,
                scale: int = 1) -> np.ndarray:
    """An (H, W, 3) RGB figure of one shot with the scoring overlays.

    Parameters
    ----------
    pixels : (N, N) array
        The shot (float log image or uint8 display image).
    pose : Pose
        The pose of the shot.
    view : str
        ``'ap'`` or ``'lateral'``: which anatomy overlays to draw.
    geometry : CArmGeometry
        The C-arm geometry (its pixel count is taken from ``pixels``).
    landmarks : Landmarks
    tip_path_mm : (M, 3) array, optional
        Successive tip positions (drawn as the path).
    shaft_mm : ((3,), (3,)), optional
        Skin point and final tip of the trocar (drawn as the shaft).
    cement_points_mm : (K, 3) array, optional
        Cement voxel centres; their projection is outlined.
    scale : int
        Integer upscaling of the image before drawing (thinner-looking lines).
    """
    n = int(np.asarray(pixels).shape[0])
    geom = geometry.with_pixels(n) if geometry.pixels != n else geometry
    frame = frame_for(geom, pose, patient_roll_deg)
    cv = _Canvas(to_grey(pixels), scale)
    lm = landmarks

    def pj(pts):
        return project(frame, np.asarray(pts, float))

    if view == "ap":
        for ped in (lm.pedicle_left, lm.pedicle_right):
            cv.polyline(pj(_ellipse_mm(ped.centre_mm, ped.width_mm / 2, ped.height_mm / 2)), COLOURS["anatomy"])
        c = np.asarray(lm.body_centre_mm, float)
        mid = [[c[0], lm.posterior_wall_y_mm, lm.inferior_endplate_z_mm - 4],
               [c[0], lm.posterior_wall_y_mm, lm.superior_endplate_z_mm + 4]]
        cv.polyline(pj(mid), COLOURS["anatomy"], width=1, dashed=True)
    else:
        c = np.asarray(lm.body_centre_mm, float)
        zs = (lm.inferior_endplate_z_mm, lm.superior_endplate_z_mm)
        cv.polyline(pj([[c[0], lm.posterior_wall_y_mm, zs[0]], [c[0], lm.posterior_wall_y_mm, zs[1]]]),
                    COLOURS["anatomy"])
        for frac in (0.67, 0.90):                       # FACTS.md 2 target band on lateral
            y = lm.posterior_wall_y_mm - frac * lm.body_depth_mm
            cv.polyline(pj([[c[0], y, zs[0]], [c[0], y, zs[1]]]), COLOURS["target"], width=1, dashed=True)
    if cement_points_mm is not None and len(cement_points_mm):
        uv = pj(cement_points_mm)
        mask = np.zeros((n, n), bool)
        cc = np.clip(np.rint(uv[:, 0]).astype(int), 0, n - 1)
        rr = np.clip(np.rint(uv[:, 1]).astype(int), 0, n - 1)
        mask[rr, cc] = True
        mask = ndimage.binary_closing(ndimage.binary_dilation(mask, iterations=1), iterations=2)
        cv.outline(mask, COLOURS["cement"])
    if shaft_mm is not None:
        cv.polyline(pj(np.asarray(shaft_mm, float)), COLOURS["shaft"], width=1)
    if tip_path_mm is not None and len(tip_path_mm) > 1:
        cv.polyline(pj(tip_path_mm), COLOURS["path"], width=2)
    if tip_path_mm is not None and len(tip_path_mm):
        cv.dot(pj(np.asarray(tip_path_mm, float)[-1]), COLOURS["tip"], radius=2 + scale)
    return cv.rgb


LANE_COLOURS = {"shot_ap": (40, 110, 220), "shot_lateral": (230, 120, 20), "shot_oblique": (120, 120, 120),
                "depth": (200, 160, 0), "cement": (0, 170, 170), "leak": (220, 30, 30), "grid": (225, 225, 225)}


def timeline_figure(events, view_of, depth_of, width: int = 900, height: int = 180) -> np.ndarray:
    """(H, W, 3) strip chart over simulated time: shots (top lane, blue AP / orange lateral),
    the tip depth fraction (middle lane) and the injected cement volume (bottom lane), leaks in red.

    ``view_of(event) -> 'ap'|'lateral'|'oblique'``; ``depth_of(tip_mm) -> fraction``.
    """
    rgb = np.full((height, width, 3), 255, np.uint8)
    t_end = max([float(e.t_s) for e in events] + [1.0])
    pad = 6
    lanes = {"shots": (pad, 40), "depth": (52, 112), "cement": (124, height - pad)}

    def x_of(t):
        return int(round(pad + (width - 2 * pad - 1) * float(t) / t_end))

    for lo, hi in lanes.values():
        rgb[lo, pad:width - pad] = LANE_COLOURS["grid"]
        rgb[hi, pad:width - pad] = LANE_COLOURS["grid"]
    depth_pts, cement_pts = [], []
    ml_max = max([float(e.data.get("injected_ml") or 0) for e in events if e.kind == "cement_injected"] + [1.0])
    for e in events:
        x = x_of(e.t_s)
        if e.kind == "shot":
            lo, hi = lanes["shots"]
            rgb[lo + 2:hi - 1, x] = LANE_COLOURS["shot_" + view_of(e)]
        elif e.kind == "trocar_moved" and e.data.get("tip_mm") is not None:
            depth_pts.append((x, depth_of(e.data["tip_mm"])))
        elif e.kind == "cement_injected":
            cement_pts.append((x, float(e.data.get("injected_ml") or 0) / ml_max))
        elif e.kind == "leak":
            rgb[pad:height - pad, max(0, x - 1):x + 1] = LANE_COLOURS["leak"]
    for pts, (lo, hi), key, lo_v in ((depth_pts, lanes["depth"], "depth", -0.2), (cement_pts, lanes["cement"],
                                                                                   "cement", 0.0)):
        if not pts:
            continue
        hi_v = 1.2 if key == "depth" else 1.0
        prev = None
        for x, v in pts:
            y = int(round(hi - (hi - lo) * (np.clip(v, lo_v, hi_v) - lo_v) / (hi_v - lo_v)))
            if prev is not None:                      # step line: along, then up or down
                rgb[prev[1], prev[0]:x + 1] = LANE_COLOURS[key]
                a, b = sorted((prev[1], y))
                rgb[a:b + 1, x] = LANE_COLOURS[key]
            rgb[max(lo, y - 1):min(hi, y + 2), max(0, x - 1):x + 2] = LANE_COLOURS[key]
            prev = (x, y)
    if depth_pts:                                    # the target band of the depth lane
        lo, hi = lanes["depth"]
        for v in (0.67, 0.90):
            y = int(round(hi - (hi - lo) * (v + 0.2) / 1.4))
            rgb[y, pad:width - pad:4] = LANE_COLOURS["shot_ap"]
    return rgb
