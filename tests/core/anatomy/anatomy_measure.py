"""Measurements on label volumes, independent of the builder's analytic geometry."""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.labels import Label

BODY = (Label.BODY_CORTEX, Label.CANCELLOUS, Label.BASIVERTEBRAL_VEIN, Label.CLEFT)


def run_mm(volume, point, direction, labels, step_mm=0.05, max_mm=150.0) -> float:
    """Length (mm) of the contiguous run of ``labels`` through ``point`` along the line ``direction``."""
    d = np.asarray(direction, float)
    d /= np.linalg.norm(d)
    labels = [int(v) for v in labels]
    total = 0.0
    for sgn in (1.0, -1.0):
        s = np.arange(0.0, max_mm, step_mm)
        pts = np.asarray(point, float)[None] + sgn * s[:, None] * d[None]
        inside = np.isin(volume.label_at(pts), labels)
        assert inside[0], f"start point {point} is not in {labels}"
        out = np.flatnonzero(~inside)
        total += s[out[0]] if out.size else max_mm
    return float(total)


def longest_z_run_mm(volume, x_mm, y_mm, labels) -> float:
    """Longest contiguous run (mm) of ``labels`` in the voxel column through (x, y)."""
    k, j, i = volume.grid.nearest_index([x_mm, y_mm, 0.0])
    col = np.isin(volume.labels[:, j, i], [int(v) for v in labels]).astype(np.int8)
    best = cur = 0
    for v in col:
        cur = cur + 1 if v else 0
        best = max(best, cur)
    return best * volume.grid.spacing_xyz_mm[2]


def adjacent_pairs(labels, a, b) -> int:
    """Number of face-adjacent voxel pairs with labels ``a`` and ``b`` (any axis, either order)."""
    n = 0
    for ax in range(3):
        s0 = [slice(None)] * 3
        s1 = [slice(None)] * 3
        s0[ax] = slice(0, -1)
        s1[ax] = slice(1, None)
        A, B = labels[tuple(s0)], labels[tuple(s1)]
        n += int(((a == A) & (b == B)).sum() + ((b == A) & (a == B)).sum())
    return n
