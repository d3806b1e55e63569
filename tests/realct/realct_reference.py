"""Reference landmarks measured on a TotalSegmentator vertebra mask (how: docs/scenario-format.md).

For the vertebra label ``V`` (all its voxels, body and posterior elements):

* *canal*: the largest hole of V's axial projection (union over slices, holes filled);
  its centroid is the canal centre (x, y).
* *body part*: in each slice, V's voxels in front of (smaller y than) the posterior wall,
  which is the back end of V's run along the canal's column (x = canal x +- 3 mm) that
  lies in front of the canal centre.  Slices with no such run hold no body.
* *body centre*: centroid of the body part.  *Endplates*: the highest and lowest slice of
  the body part within 4 mm (x, y) of the body centre, plus / minus half a slice (outer faces).
* *pedicles*: V's voxels behind the posterior wall and in front of the canal centre, left
  (x > canal x) or right (the pedicle masks the Dice is computed on).  Each *pedicle centre*
  is the centre of the isthmus, as the project defines it (trainer.core.anatomy.landmarks):
  the coronal row (y) from 2 mm behind the posterior wall to 6 mm behind the canal centre
  where that side's voxels of V (within 30 mm of the canal's x) are fewest; the centroid of
  that side's voxels within 1.5 mm of that row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi


@dataclass
class Reference:
    body: np.ndarray            # bool, CT grid
    pedicle_left: np.ndarray
    pedicle_right: np.ndarray
    body_centre_mm: np.ndarray
    pedicle_left_centre_mm: np.ndarray
    pedicle_right_centre_mm: np.ndarray
    superior_endplate_z_mm: float
    inferior_endplate_z_mm: float
    canal_xy_mm: np.ndarray


def _centroid(mask, grid):
    k, j, i = np.nonzero(mask)
    return np.asarray(grid.origin_mm) + np.asarray(grid.spacing_xyz_mm) * np.array([i.mean(), j.mean(), k.mean()])


def measure(labels: np.ndarray, grid, label: int) -> Reference:
    v = labels == label
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    proj = v.any(axis=0)
    holes = ndi.binary_fill_holes(proj) & ~proj
    lab, n = ndi.label(holes)
    assert n > 0, f"label {label}: no canal in the projection"
    big = int(np.argmax(np.bincount(lab.ravel())[1:]) + 1)
    jj, ii = np.nonzero(lab == big)
    cx, cy = float(x[ii].mean()), float(y[jj].mean())
    cols = np.abs(x - cx) <= 3.0
    body = np.zeros_like(v)
    pw_of = np.full(len(z), np.nan)
    Y = y[:, None]
    for k in range(len(z)):
        col = v[k][:, cols].any(axis=1) & (y < cy)
        if not col.any():
            continue
        j_back = int(np.flatnonzero(col).max())
        # the run ending at j_back
        j0 = j_back
        while j0 > 0 and col[j0 - 1]:
            j0 -= 1
        if (j_back - j0 + 1) * grid.spacing_xyz_mm[1] < 5.0:
            continue
        pw_of[k] = y[j_back]
        body[k] = v[k] & (y[j_back] >= Y)
    lab3, n3 = ndi.label(body)
    if n3 > 1:
        body = lab3 == int(np.argmax(np.bincount(lab3.ravel())[1:]) + 1)
    c = _centroid(body, grid)
    near = (np.abs(x[None, :] - c[0]) <= 4.0) & (np.abs(y[:, None] - c[1]) <= 4.0)
    ks = np.flatnonzero((body & near[None]).any(axis=(1, 2)))
    dz = grid.spacing_xyz_mm[2]
    sup, inf = float(z[ks.max()] + 0.5 * dz), float(z[ks.min()] - 0.5 * dz)
    pw = np.where(np.isnan(pw_of), np.inf, pw_of)[:, None, None]
    behind = v & (y[None, :, None] > pw) & (y[None, :, None] <= cy)
    X = x[None, None, :]
    left, right = behind & (cx < X), behind & (cx > X)
    pw_med = float(np.nanmedian(pw_of))
    centres = []
    for sgn in (1.0, -1.0):
        side = v & ((X - cx) * sgn > 0) & (np.abs(X - cx) <= 30.0)
        rows = np.flatnonzero((y >= pw_med + 2.0) & (y <= cy + 6.0))
        counts = side.sum(axis=(0, 2))[rows]
        ok = counts > 0
        j_min = int(rows[ok][np.argmin(counts[ok])])
        slab = side & (np.abs(y - y[j_min]) <= 1.5)[None, :, None]
        centres.append(_centroid(slab, grid))
    return Reference(body, left, right, c, centres[0], centres[1], sup, inf, np.array([cx, cy]))


def dice(a: np.ndarray, b: np.ndarray) -> float:
    s = a.sum() + b.sum()
    return float(2.0 * (a & b).sum() / s) if s else 1.0


def labels_on_ct(patient, centre, grid, box):
    """A CT patient's labels sampled (nearest) at the CT voxel centres inside ``box`` (slices of
    the CT grid); ``centre``: the body centre the patient was re-centred on (CT mm)."""
    ks, js, is_ = (np.arange(s.start, s.stop) for s in box)
    z = grid.origin_mm[2] + grid.spacing_xyz_mm[2] * ks - centre[2]
    y = grid.origin_mm[1] + grid.spacing_xyz_mm[1] * js - centre[1]
    x = grid.origin_mm[0] + grid.spacing_xyz_mm[0] * is_ - centre[0]
    fg = patient.volume.grid
    out = np.zeros((len(ks), len(js), len(is_)), np.uint8)
    kk = np.rint((z - fg.origin_mm[2]) / fg.spacing_xyz_mm[2]).astype(int)
    jj = np.rint((y - fg.origin_mm[1]) / fg.spacing_xyz_mm[1]).astype(int)
    ii = np.rint((x - fg.origin_mm[0]) / fg.spacing_xyz_mm[0]).astype(int)
    okk, ojj, oii = ((a >= 0) & (a < n) for a, n in zip((kk, jj, ii), fg.shape))
    sub = patient.volume.labels[np.ix_(kk[okk], jj[ojj], ii[oii])]
    out[np.ix_(okk, ojj, oii)] = sub
    return out
