"""Reference line integrals by dense trilinear ray marching (slow; for tests and checks).

It integrates the renderer's continuous model directly: inside the fine box the
unpooled fine volume, outside it the filled context volumes, each trilinearly
interpolated, sampled every ``step_mm`` along every pixel's ray (midpoint rule).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from trainer.core.xray.geometry import Frame, frame_for, pixel_rays
from trainer.core.xray.renderer import fine_box_mm

__all__ = ["reference_line_integrals", "reference_basis_integrals", "march_volume"]


def _segment(o, d, lo, hi):
    """Entry/exit parameters of rays (o + t d) through the box [lo, hi]; t_in > t_out means a miss."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t0 = (lo - o) / d
        t1 = (hi - o) / d
    tmin = np.where(np.isnan(t0), -np.inf, np.minimum(t0, t1)).max(axis=-1)
    tmax = np.where(np.isnan(t1), np.inf, np.maximum(t0, t1)).min(axis=-1)
    return np.maximum(tmin, 0.0), tmax


def march_volume(mu, grid, origins, dirs, step_mm, exclude_box=None, chunk=2048) -> np.ndarray:
    """Integral of trilinear ``mu`` (1/mm) along rays, optionally skipping a box (lo, hi)."""
    sp = np.asarray(grid.spacing_xyz_mm)
    lo = np.asarray(grid.origin_mm) - sp / 2
    hi = grid.upper_mm + sp / 2
    out = np.zeros(len(dirs))
    t_in, t_out = _segment(origins, dirs, lo, hi)
    for s in range(0, len(dirs), chunk):
        sl = slice(s, s + chunk)
        a, b = t_in[sl], t_out[sl]
        hit = b > a
        if not np.any(hit):
            continue
        n = int(np.ceil((b[hit] - a[hit]).max() / step_mm))
        k = (np.arange(n) + 0.5) * step_mm
        t = a[hit, None] + k[None, :]
        valid = t < b[hit, None]
        pts = origins[sl][hit][:, None, :] + t[..., None] * dirs[sl][hit][:, None, :]
        if exclude_box is not None:
            blo, bhi = exclude_box
            valid &= ~np.all((pts >= blo) & (pts <= bhi), axis=-1)
        kji = grid.mm_to_index(pts[valid])
        vals = ndimage.map_coordinates(mu, kji.T, order=1, mode="nearest", prefilter=False)
        acc = np.zeros(valid.shape)
        acc[valid] = vals
        # the last partial step
        w = np.ones_like(t)
        last = np.clip((b[hit, None] - (t - 0.5 * step_mm)) / step_mm, 0.0, 1.0)
        w = np.minimum(w, last)
        out[np.nonzero(hit)[0] + s] = (acc * w).sum(axis=1) * step_mm
    return out


def reference_line_integrals(renderer, pose, kvp: float, pixels: int = 64, fine_step_mm: float = 0.1,
                             context_step_mm: float = 0.2, volumes: dict | None = None) -> np.ndarray:
    """Reference (pixels, pixels) line integrals of ``renderer``'s anatomy on a reduced detector.

    ``volumes`` (``{'fine': (grid, arr), 'context': [...]}``) replaces the mono-energetic
    :meth:`FluoroRenderer.mu_volumes` (e.g. one of :meth:`FluoroRenderer.basis_volumes`).
    """
    geom = renderer.geometry.with_pixels(pixels)
    frame: Frame = frame_for(geom, pose, renderer.patient_roll_deg)
    cols, rows = np.meshgrid(np.arange(pixels, dtype=float), np.arange(pixels, dtype=float))
    o, d = pixel_rays(frame, cols.ravel(), rows.ravel())
    vols = renderer.mu_volumes(kvp) if volumes is None else volumes
    fgrid, fmu = vols["fine"]
    box = fine_box_mm(fgrid)
    total = march_volume(fmu, fgrid, o, d, fine_step_mm)
    for g, mu in vols["context"]:
        total += march_volume(mu, g, o, d, context_step_mm, exclude_box=box)
    return total.reshape(pixels, pixels).astype(np.float32)


def reference_basis_integrals(renderer, pose, pixels: int = 64, **kw) -> tuple[np.ndarray, np.ndarray]:
    """Reference water and cortical-bone path lengths (mm) by ray marching the basis volumes."""
    vols = renderer.basis_volumes()
    water = reference_line_integrals(renderer, pose, 0.0, pixels, volumes=vols["water"], **kw)
    bone = reference_line_integrals(renderer, pose, 0.0, pixels, volumes=vols["bone"], **kw)
    return water, bone
