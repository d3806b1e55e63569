"""Line integrals of the things added each shot: the analytic trocar and the cement splat."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from trainer.core.anatomy.grid import Grid
from trainer.core.xray.geometry import Frame, project
from trainer.core.xray.shapes import CementDeposit, TrocarShape

__all__ = ["trocar_chords_mm", "add_trocar", "add_cement"]


def _pixel_dirs(frame: Frame, cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
    g = frame.geometry
    c = (g.pixels - 1) / 2.0
    d = (frame.beam * g.sid_mm + ((cols - c) * g.pixel_mm)[..., None] * frame.u
         + ((rows - c) * g.pixel_mm)[..., None] * frame.v)
    return d / np.linalg.norm(d, axis=-1, keepdims=True)


def trocar_chords_mm(frame: Frame, trocar: TrocarShape, cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Chord length (mm) of the rays through pixels ``(cols, rows)`` in the trocar cylinder.

    Closed form: the ray meets the infinite cylinder between the roots of a quadratic,
    clipped to the slab between the two end caps.
    """
    d = _pixel_dirs(frame, np.asarray(cols, float), np.asarray(rows, float))
    a = np.asarray(trocar.axis)
    p0 = trocar.handle_mm
    r = trocar.outer_diameter_mm / 2.0
    w = frame.source_mm - p0
    wa = float(w @ a)
    da = d @ a
    d_perp = d - da[..., None] * a
    w_perp = w - wa * a
    A = np.einsum("...i,...i->...", d_perp, d_perp)
    B = d_perp @ w_perp
    C = float(w_perp @ w_perp) - r * r
    disc = B * B - A * C
    along = A <= 1e-12                      # ray parallel to the axis: inside iff within the radius
    ok = np.where(along, C < 0, disc > 0)
    sq = np.sqrt(np.where(ok & ~along, disc, 0.0))
    As = np.where(along, 1.0, A)
    t1 = np.where(along, -np.inf, (-B - sq) / As)
    t2 = np.where(along, np.inf, (-B + sq) / As)
    with np.errstate(divide="ignore", invalid="ignore"):
        ta = (0.0 - wa) / da
        tb = (trocar.length_mm - wa) / da
    lo_cap = np.minimum(ta, tb)
    hi_cap = np.maximum(ta, tb)
    parallel = np.abs(da) < 1e-12
    lo_cap = np.where(parallel, -np.inf, lo_cap)
    hi_cap = np.where(parallel, np.inf, hi_cap)
    chord = np.minimum(t2, hi_cap) - np.maximum(t1, lo_cap)
    return np.where(ok, np.maximum(chord, 0.0), 0.0)


def add_trocar(image: np.ndarray, frame: Frame, trocar: TrocarShape, mu_per_mm: float) -> np.ndarray:
    """Add ``mu * chord`` of the trocar to ``image`` (in place, restricted to its bounding box)."""
    g = frame.geometry
    ends = np.array([trocar.tip_mm, trocar.handle_mm])
    depth = (ends - frame.source_mm) @ frame.beam
    if np.all(depth <= 1.0):
        return image
    depth = np.maximum(depth, 1.0)
    uv = project(frame, ends)
    pad = trocar.outer_diameter_mm / 2.0 * g.sid_mm / depth.min() / g.pixel_mm + 2.0
    c0 = int(max(0, np.floor(uv[:, 0].min() - pad)))
    c1 = int(min(g.pixels, np.ceil(uv[:, 0].max() + pad) + 1))
    r0 = int(max(0, np.floor(uv[:, 1].min() - pad)))
    r1 = int(min(g.pixels, np.ceil(uv[:, 1].max() + pad) + 1))
    if c1 <= c0 or r1 <= r0:
        return image
    cols, rows = np.meshgrid(np.arange(c0, c1, dtype=float), np.arange(r0, r1, dtype=float))
    image[r0:r1, c0:c1] += (mu_per_mm * trocar_chords_mm(frame, trocar, cols, rows)).astype(np.float32)
    return image


def add_cement(image: np.ndarray, frame: Frame, grid: Grid, cement: CementDeposit,
               delta_mu_per_mm: np.ndarray) -> np.ndarray:
    """Splat cement voxels onto ``image`` (in place).

    Each voxel adds ``delta_mu * fraction * V`` spread over the pixel footprint at its depth:
    a detector pixel of area ``a`` subtends ``a cos^3(phi) / SID^2`` steradians, so a small
    blob of volume ``V`` at distance ``r`` adds a mean chord ``V SID^2 / (a cos^3 phi r^2)``.
    Bilinear splatting is followed by a Gaussian of about half the projected voxel size.
    """
    if cement.voxels == 0:
        return image
    g = frame.geometry
    n = g.pixels
    pts = grid.index_to_mm(cement.ijk)
    rel = pts - frame.source_mm
    r2 = np.einsum("ij,ij->i", rel, rel)
    cosphi = (rel @ frame.beam) / np.sqrt(r2)
    uv = project(frame, pts)
    amount = (delta_mu_per_mm * cement.fraction * grid.voxel_volume_mm3 * g.sid_mm ** 2
              / (g.pixel_mm ** 2 * cosphi ** 3 * r2))
    c0 = np.floor(uv[:, 0]).astype(np.int64)
    r0 = np.floor(uv[:, 1]).astype(np.int64)
    fc = uv[:, 0] - c0
    fr = uv[:, 1] - r0
    lo_c, lo_r = max(0, c0.min() - 4), max(0, r0.min() - 4)
    hi_c, hi_r = min(n, c0.max() + 6), min(n, r0.max() + 6)
    if hi_c <= lo_c or hi_r <= lo_r:
        return image
    w, h = hi_c - lo_c, hi_r - lo_r
    acc = np.zeros(w * h, np.float64)
    for dc, dr, wt in ((0, 0, (1 - fc) * (1 - fr)), (1, 0, fc * (1 - fr)), (0, 1, (1 - fc) * fr), (1, 1, fc * fr)):
        cc = c0 + dc - lo_c
        rr = r0 + dr - lo_r
        ok = (cc >= 0) & (cc < w) & (rr >= 0) & (rr < h)
        acc += np.bincount(rr[ok] * w + cc[ok], weights=(amount * wt)[ok], minlength=w * h)
    proj_vox_px = (min(grid.spacing_xyz_mm) * g.sid_mm / np.sqrt(r2.mean())) / g.pixel_mm
    sigma = max(0.35, 0.5 * proj_vox_px)
    patch = ndimage.gaussian_filter(acc.reshape(h, w), sigma, mode="constant")
    image[lo_r:hi_r, lo_c:hi_c] += patch.astype(np.float32)
    return image
