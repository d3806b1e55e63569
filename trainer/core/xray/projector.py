"""Perspective line integrals through one voxel volume by shear-warp (Joseph) projection.

For a beam mostly along volume axis ``a`` (the "principal" axis), every slice
perpendicular to ``a`` projects from the source onto a reference plane parallel to the
slices by a per-slice scale and shift.  Each slice is resampled (separable 1-D linear
interpolation, vectorised over all slices) on an intermediate grid on that plane and the
slices are summed; one bilinear warp (a homography) takes the intermediate image to the
detector, and every pixel is multiplied by the slab path length ``h_a / |cos|`` of its
ray.  This is Joseph's method with the interpolation reorganised so that the work scales
with the number of voxels, not with the number of detector pixels times slices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.core.anatomy.grid import Grid
from trainer.core.xray.geometry import Frame

__all__ = ["SlabProjector", "FrameRays", "frame_rays", "detector_directions"]

#: Slices closer to the source than this (mm) are ignored (the C-arm cannot get there).
_MIN_DEPTH_MM = 20.0


def detector_directions(frame: Frame, rows=None, cols=None) -> np.ndarray:
    """Un-normalised ray directions (N, N, 3) from the source to every pixel centre (mm).

    ``rows`` / ``cols`` (integer pixel indices) restrict the result to that grid of pixels,
    with the same values as the full array there.
    """
    g = frame.geometry
    c = (g.pixels - 1) / 2.0
    t = ((np.arange(g.pixels) - c) * g.pixel_mm).astype(np.float32)
    tr = t if rows is None else t[np.asarray(rows, np.intp)]
    tc = t if cols is None else t[np.asarray(cols, np.intp)]
    beam = (frame.beam * g.sid_mm).astype(np.float32)
    u, v = frame.u.astype(np.float32), frame.v.astype(np.float32)
    return beam[None, None, :] + tc[None, :, None] * u + tr[:, None, None] * v


@dataclass(frozen=True, eq=False)
class FrameRays:
    """Per-frame ray data shared by every volume: principal axis, slopes and path factor.

    ``slope_m = d_m / d_a`` and ``slope_n = d_n / d_a`` (float32 (N, N)) give where each
    pixel's ray meets any plane ``x_a = const``; ``path = |d| / |d_a|`` is the path length
    per unit of ``x_a``.
    """

    axis: int
    slope_m: np.ndarray
    slope_n: np.ndarray
    path: np.ndarray
    corners: np.ndarray       #: (4, 3) directions of the corner pixels


def frame_rays(frame: Frame, rows=None, cols=None) -> FrameRays:
    """The :class:`FrameRays` of ``frame`` (of the pixel grid ``rows`` x ``cols`` only, if given;
    the corners are always the whole detector's, so projections are the same per pixel)."""
    d = detector_directions(frame, rows, cols)
    a = int(np.argmax(np.abs(frame.beam)))
    m, n = [ax for ax in (0, 1, 2) if ax != a]
    da = d[..., a]
    inv = np.float32(1.0) / da
    path = np.sqrt(np.einsum("ijk,ijk->ij", d, d)) * np.abs(inv)
    corners = d if rows is None and cols is None else \
        detector_directions(frame, [0, frame.geometry.pixels - 1], [0, frame.geometry.pixels - 1])
    return FrameRays(a, d[..., m] * inv, d[..., n] * inv, path.astype(np.float32),
                     corners[[0, 0, -1, -1], [0, -1, 0, -1]].astype(float))


def _bilinear(img: np.ndarray, fi: np.ndarray, fj: np.ndarray) -> np.ndarray:
    """Bilinear samples of ``img`` at fractional (row, col) arrays, zero outside."""
    h, w = img.shape
    pad = np.zeros((h + 2, w + 2), np.float32)
    pad[1:-1, 1:-1] = img
    fi = np.clip(fi + 1.0, 0.0, h + 1.0)
    fj = np.clip(fj + 1.0, 0.0, w + 1.0)
    i0 = np.minimum(fi.astype(np.int32), h)
    j0 = np.minimum(fj.astype(np.int32), w)
    wi = (fi - i0).astype(np.float32)
    wj = (fj - j0).astype(np.float32)
    flat = pad.ravel()
    k = i0 * (w + 2) + j0
    top = flat.take(k) * (1 - wj) + flat.take(k + 1) * wj
    k += w + 2
    bot = flat.take(k) * (1 - wj) + flat.take(k + 1) * wj
    return top * (1 - wi) + bot * wi


class SlabProjector:
    """Projects one attenuation volume (1/mm) for any frame.

    Parameters
    ----------
    mu : ndarray (nz, ny, nx) float32
        Linear attenuation per mm on ``grid``.
    grid : Grid
        Where the voxel centres are (LPS mm).
    """

    def __init__(self, mu: np.ndarray, grid: Grid):
        self.grid = grid
        self.mu = np.ascontiguousarray(mu, np.float32)
        self._layouts: dict[int, np.ndarray] = {}
        self.origin = np.asarray(grid.origin_mm, float)
        self.spacing = np.asarray(grid.spacing_xyz_mm, float)
        nz, ny, nx = grid.shape
        self.counts = np.array([nx, ny, nz])

    def _layout(self, a: int) -> np.ndarray:
        """Volume as ``[j along a, m, n]`` with one zero voxel of padding on m and n."""
        if a not in self._layouts:
            m, n = [ax for ax in (0, 1, 2) if ax != a]
            # array axes: 0 = z, 1 = y, 2 = x  <->  world axis w is array axis 2 - w
            arr = np.transpose(self.mu, (2 - a, 2 - m, 2 - n))
            out = np.zeros((arr.shape[0], arr.shape[1] + 2, arr.shape[2] + 2), np.float32)
            out[:, 1:-1, 1:-1] = arr
            self._layouts[a] = out
        return self._layouts[a]

    def project(self, frame: Frame, rays: FrameRays | None = None, pitch_scale: float = 1.0,
                with_path: bool = True) -> np.ndarray:
        """Line integrals (dimensionless, float32 (N, N)) of this volume for ``frame``.

        Parameters
        ----------
        frame : Frame
        rays : FrameRays, optional
            :func:`frame_rays` of ``frame`` when already computed (shared by volumes).
        pitch_scale : float
            Intermediate-grid pitch relative to the voxel pitch (smaller = finer, slower).
        with_path : bool
            Multiply by the per-pixel path factor ``rays.path`` (False: the caller sums
            several volumes first and multiplies once).
        """
        if rays is None:
            rays = frame_rays(frame)
        s = np.asarray(frame.source_mm, float)
        a = rays.axis
        m, n = [ax for ax in (0, 1, 2) if ax != a]
        sign = np.sign(frame.beam[a])
        coords_a = self.origin[a] + self.spacing[a] * np.arange(self.counts[a])
        depth = (coords_a - s[a]) * sign              # distance from the source along the axis
        keep = depth > _MIN_DEPTH_MM
        if not np.any(keep):
            return np.zeros(rays.path.shape, np.float32)
        j_idx = np.nonzero(keep)[0]
        depth = depth[keep]
        d_ref = float(depth.max())                    # reference plane: the farthest slice
        c_ref = float(coords_a[j_idx[np.argmax(depth)]])
        h_m = self.spacing[m] * pitch_scale
        h_n = self.spacing[n] * pitch_scale

        # Intermediate rectangle: projected volume box clipped to the detector's frustum.
        lo = self.origin - 0.5 * self.spacing
        hi = self.origin + self.spacing * (self.counts - 0.5)
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
        cd = (corners[:, a] - s[a]) * sign
        cd = np.maximum(cd, _MIN_DEPTH_MM)
        r = d_ref / cd
        box_m = s[m] + (corners[:, m] - s[m]) * r
        box_n = s[n] + (corners[:, n] - s[n]) * r
        dc = rays.corners
        t = (c_ref - s[a]) / dc[:, a]
        fr_m = s[m] + t * dc[:, m]
        fr_n = s[n] + t * dc[:, n]
        m0 = max(box_m.min(), fr_m.min()) - h_m
        m1 = min(box_m.max(), fr_m.max()) + h_m
        n0 = max(box_n.min(), fr_n.min()) - h_n
        n1 = min(box_n.max(), fr_n.max()) + h_n
        if m1 <= m0 or n1 <= n0:
            return np.zeros(rays.path.shape, np.float32)
        # Anchor the intermediate grid on the central ray, so that sampling is symmetric about it.
        tc = (c_ref - s[a]) / frame.beam[a]
        cm, cn = s[m] + tc * frame.beam[m], s[n] + tc * frame.beam[n]
        m0 = cm - np.ceil((cm - m0) / h_m) * h_m
        n0 = cn - np.ceil((cn - n0) / h_n) * h_n
        nq = int(np.ceil((m1 - m0) / h_m)) + 1
        nr = int(np.ceil((n1 - n0) / h_n)) + 1

        lay = self._layout(a)[j_idx]                 # (nj, Nm+2, Nn+2), padded
        ratio = (depth / d_ref)[:, None]             # slice distance / reference distance
        # Slice index of the intermediate sample q (padding shifts indices by +1).
        qm = m0 + h_m * np.arange(nq)
        fm = (s[m] + (qm[None, :] - s[m]) * ratio - self.origin[m]) / self.spacing[m] + 1.0
        qn = n0 + h_n * np.arange(nr)
        fn = (s[n] + (qn[None, :] - s[n]) * ratio - self.origin[n]) / self.spacing[n] + 1.0
        Mm, Nn = lay.shape[1], lay.shape[2]
        fm = np.clip(fm, 0.0, Mm - 1.0)
        fn = np.clip(fn, 0.0, Nn - 1.0)
        # Only the n-columns any slice needs.
        c_lo = int(np.floor(fn.min()))
        c_hi = int(np.floor(fn.max())) + 2
        lay = lay[:, :, c_lo:c_hi]
        fn = fn - c_lo
        im = np.minimum(fm.astype(np.int32), Mm - 2)
        wm = (fm - im).astype(np.float32)
        jj = np.arange(len(j_idx))[:, None]
        # Pass 1: rows along m  -> (nj, nq, ncols)
        t0 = lay[jj, im]
        t1 = lay[jj, im + 1]
        t0 *= (1.0 - wm)[:, :, None]
        t1 *= wm[:, :, None]
        t0 += t1
        tt = np.ascontiguousarray(t0.transpose(0, 2, 1))   # (nj, ncols, nq)
        inn = np.minimum(fn.astype(np.int32), lay.shape[2] - 2)
        wn = (fn - inn).astype(np.float32)
        # Pass 2: columns along n -> (nj, nr, nq), weighted sum over slices.
        inter = np.einsum("jr,jrq->rq", 1.0 - wn, tt[jj, inn], optimize=False)
        inter += np.einsum("jr,jrq->rq", wn, tt[jj, inn + 1], optimize=False)
        inter = inter.T                               # (nq, nr) = (m, n)

        # Warp: detector pixel -> intersection with the reference plane -> intermediate index.
        dist = np.float32(c_ref - s[a])
        pm = rays.slope_m * np.float32(dist / h_m) + np.float32((s[m] - m0) / h_m)
        pn = rays.slope_n * np.float32(dist / h_n) + np.float32((s[n] - n0) / h_n)
        img = _bilinear(inter.astype(np.float32), pm, pn)
        img *= np.float32(self.spacing[a])
        if with_path:
            img *= rays.path
        return img
