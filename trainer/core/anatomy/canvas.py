"""Painting analytic shapes into a label volume, one bounding sub-box at a time.

Every shape is a function of broadcastable coordinate arrays ``x (1,1,nx)``,
``y (1,ny,1)``, ``z (nz,1,1)`` in mm returning a boolean mask.  Painting evaluates it
only inside the shape's bounding box, which keeps a 0.5 mm build fast.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from trainer.core.anatomy.grid import Grid

__all__ = ["Canvas", "capsule", "ellipsoid", "polyline_tube", "segment_distance2"]

Mask = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


class Canvas:
    """A label volume under construction on ``grid``."""

    def __init__(self, grid: Grid):
        self.grid = grid
        self.labels = np.zeros(grid.shape, np.uint8)
        self.x = grid.axis_mm("x").astype(np.float32)
        self.y = grid.axis_mm("y").astype(np.float32)
        self.z = grid.axis_mm("z").astype(np.float32)

    def box(self, lo_mm, hi_mm):
        """Slices and coordinate axes of the sub-box covering ``[lo, hi]`` (x, y, z mm); None if empty."""
        sl = []
        for ax, lo, hi in zip((self.x, self.y, self.z), lo_mm, hi_mm):
            i0 = int(np.searchsorted(ax, lo, side="left"))
            i1 = int(np.searchsorted(ax, hi, side="right"))
            if i1 <= i0:
                return None
            sl.append(slice(i0, i1))
        sx, sy, sz = sl
        x = self.x[sx][None, None, :]
        y = self.y[sy][None, :, None]
        z = self.z[sz][:, None, None]
        return (sz, sy, sx), x, y, z

    def paint(self, lo_mm, hi_mm, shape: Mask, label: int, only=None, keep=None) -> np.ndarray | None:
        """Set ``label`` where ``shape`` holds inside the box.

        Parameters
        ----------
        only : iterable of int, optional
            Paint only over voxels that currently hold one of these labels.
        keep : iterable of int, optional
            Never paint over voxels holding one of these labels.

        Returns
        -------
        The painted mask (sub-box) or None when the box misses the grid.
        """
        b = self.box(lo_mm, hi_mm)
        if b is None:
            return None
        sl, x, y, z = b
        m = np.broadcast_to(shape(x, y, z), tuple(s.stop - s.start for s in sl)).copy()
        sub = self.labels[sl]
        if only is not None:
            m &= np.isin(sub, list(only))
        if keep is not None:
            m &= ~np.isin(sub, list(keep))
        sub[m] = label
        return m


def segment_distance2(x, y, z, p0, p1):
    """Squared distance (mm^2) from points to the segment ``p0``-``p1``, plus the parameter t in [0, 1]."""
    p0 = np.asarray(p0, np.float32)
    d = np.asarray(p1, np.float32) - p0
    L2 = float(d @ d) or 1e-9
    dx, dy, dz = x - p0[0], y - p0[1], z - p0[2]
    t = np.clip((dx * d[0] + dy * d[1] + dz * d[2]) / L2, 0.0, 1.0)
    ex, ey, ez = dx - t * d[0], dy - t * d[1], dz - t * d[2]
    return ex * ex + ey * ey + ez * ez, t


def capsule(p0, p1, r0, r1=None) -> tuple[Mask, np.ndarray, np.ndarray]:
    """A capsule (cone-ended cylinder) from ``p0`` to ``p1`` with radius ``r0`` -> ``r1`` (mm).

    Returns the mask function and its bounding box (lo, hi).
    """
    r1 = r0 if r1 is None else r1

    def f(x, y, z):
        d2, t = segment_distance2(x, y, z, p0, p1)
        r = r0 + (r1 - r0) * t
        return d2 <= r * r

    rmax = max(r0, r1)
    lo = np.minimum(p0, p1) - rmax
    hi = np.maximum(p0, p1) + rmax
    return f, lo, hi


def ellipsoid(c, radii, rot=None) -> tuple[Mask, np.ndarray, np.ndarray]:
    """Axis-aligned ellipsoid centred at ``c`` with semi-axes ``radii`` (x, y, z mm)."""
    c = np.asarray(c, float)
    r = np.asarray(radii, float)

    def f(x, y, z):
        return ((x - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((z - c[2]) / r[2]) ** 2 <= 1.0

    return f, c - r, c + r


def polyline_tube(canvas: Canvas, points, radius_mm: float, label: int, only=None, keep=None):
    """Paint a tube of ``radius_mm`` along a polyline of (N, 3) points."""
    pts = np.asarray(points, float)
    for a, b in zip(pts[:-1], pts[1:]):
        f, lo, hi = capsule(a, b, radius_mm)
        canvas.paint(lo, hi, f, label, only=only, keep=keep)


class TiltedCanvas:
    """A view of ``canvas`` in which shapes are given in a frame rotated about the x axis.

    A local point ``(x, y, z)`` lies in the world at ``pivot + R(alpha) (p - pivot)`` with
    ``R`` rotating in the y-z plane so that, for ``alpha > 0``, anterior points (smaller y)
    move down: used to tilt the vertebrae above a wedge fracture forward (kyphosis).
    """

    def __init__(self, canvas: Canvas, alpha_rad: float, pivot_yz):
        self.canvas = canvas
        self.alpha = float(alpha_rad)
        self.py, self.pz = (float(v) for v in pivot_yz)
        self.grid, self.labels, self.x, self.y, self.z = canvas.grid, canvas.labels, canvas.x, canvas.y, canvas.z

    def to_local(self, y, z):
        c, s = np.cos(self.alpha), np.sin(self.alpha)
        dy, dz = y - self.py, z - self.pz
        return self.py + c * dy + s * dz, self.pz - s * dy + c * dz

    def to_world(self, pts):
        """(N, 3) local points -> world points."""
        p = np.asarray(pts, float).copy()
        c, s = np.cos(self.alpha), np.sin(self.alpha)
        dy, dz = p[:, 1] - self.py, p[:, 2] - self.pz
        p[:, 1] = self.py + c * dy - s * dz
        p[:, 2] = self.pz + s * dy + c * dz
        return p

    def box(self, lo_mm, hi_mm):
        return self.canvas.box(*self._world_box(lo_mm, hi_mm))

    def _world_box(self, lo, hi):
        lo, hi = np.asarray(lo, float), np.asarray(hi, float)
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
        w = self.to_world(corners)
        return w.min(axis=0), w.max(axis=0)

    def paint(self, lo_mm, hi_mm, shape: Mask, label: int, only=None, keep=None):
        wlo, whi = self._world_box(lo_mm, hi_mm)

        def f(x, y, z):
            yl, zl = self.to_local(y, z)
            return shape(x, yl, zl)

        return self.canvas.paint(wlo, whi, f, label, only=only, keep=keep)
