"""Find and number the vertebral column in a whole clinical CT series.

Steps (each a function, tested on real CTs in tests/realct):

1. :func:`patient_thresholds` - bone threshold from the patient's own histogram: the soft
   tissue peak inside the body plus a multiple of its width (clamped to 130-200 HU), so that
   osteoporotic cortex (250-450 HU) is bone; contrast in vessels is told apart by shape.
2. :func:`body_outline` - per slice, the largest connected region above -400 HU after an
   opening (the table, mattress, clothing and anything outside the body contour go).
3. :func:`find_canal` - the spinal canal, slice by slice: a soft-tissue hole (mean -60 to
   120 HU) enclosed by bone in a 20 mm slab maximum-intensity image (every slab holds one
   vertebra's pedicles and laminae), 8-28 mm across, near the midline in the back half of
   the body; the most posterior one, kept continuous along z by dynamic programming.
   Vessels full of contrast are solid (no enclosed hole) and air holes (trachea, bowel)
   are refused by their HU.
4. :func:`find_bodies` - the vertebral body centre per slice: the bone in front of the canal.
5. :func:`split_vertebrae` - discs are the minima of the bone profile sampled along the
   body centreline (perpendicular to it, so inclined discs are followed).
6. :func:`number_vertebrae` - thoracic vertebrae carry ribs: a bone blob in the rib-head
   region beside the body (lateral to it, in front of the canal) on either side; T12 is the
   lowest of the top run of rib-bearing vertebrae.  Without that run the numbering is
   reported uncertain and the instructor gives one body centre (``--body-centre``).

Everything runs on a copy pooled to about 2 mm in plane (the series' own slices along z).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy.grid import Grid, Volume

__all__ = [
    "LEVEL_ORDER",
    "Column",
    "Thresholds",
    "Vertebra",
    "body_outline",
    "detect_column",
    "find_bodies",
    "find_canal",
    "number_vertebrae",
    "patient_thresholds",
    "split_vertebrae",
]

#: cranial to caudal
LEVEL_ORDER = ("C7", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12",
               "L1", "L2", "L3", "L4", "L5", "S1")
_POOL_MM = 2.0
_SLAB_MM = 10.0          #: half-height of the slab maximum used to close the canal ring
_COLUMN_HALF_MM = 2.0    #: half-width (x) of the column searched forward from the canal for the body
_BAND_HALF_MM = 4.0      #: half-depth (y) of the band through the body's centre its width is read in
_CANAL_DIAM_MM = (8.0, 28.0)
_CANAL_HU = (-60.0, 120.0)


class Cancelled(Exception):
    """Raised when the caller's ``cancel()`` returns True."""


@dataclass(frozen=True)
class Thresholds:
    """HU thresholds measured on one patient."""

    soft_tissue_hu: float     #: soft tissue peak inside the body
    soft_tissue_sd_hu: float  #: its width (standard deviation of the peak's lower half)
    bone_hu: float            #: bone (cortex, smoothed) above this


@dataclass
class Vertebra:
    """One vertebra found along the column (LPS mm in the series' coordinates)."""

    z_top_mm: float
    z_bottom_mm: float
    body_centre_mm: tuple[float, float, float]
    canal_centre_mm: tuple[float, float, float]
    ribs: bool = False
    level: str | None = None


@dataclass
class Column:
    """The detected column: vertebrae cranial first, numbering and how sure it is."""

    vertebrae: list[Vertebra]
    thresholds: Thresholds
    numbered_by: str            #: 'ribs' or '' (uncertain)
    certain: bool
    note: str = ""
    canal_z_mm: np.ndarray = field(default_factory=lambda: np.zeros(0))
    canal_xy_mm: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))

    def find(self, level: str) -> Vertebra | None:
        for v in self.vertebrae:
            if v.level == level:
                return v
        return None

    def nearest(self, xyz_mm) -> Vertebra | None:
        """The vertebra whose body centre is nearest ``xyz_mm`` (within its z span first)."""
        p = np.asarray(xyz_mm, float)
        inside = [v for v in self.vertebrae if v.z_bottom_mm - 3 <= p[2] <= v.z_top_mm + 3]
        pool = inside or self.vertebrae
        if not pool:
            return None
        return min(pool, key=lambda v: float(np.linalg.norm(np.asarray(v.body_centre_mm) - p)))


def _pooled(volume: Volume):
    """(HU float32 pooled to about 2 mm in plane and along z, its grid): block means, chunked."""
    g = volume.grid
    f = max(1, int(round(_POOL_MM / g.spacing_xyz_mm[0])))
    fz = max(1, int(round(_POOL_MM / g.spacing_xyz_mm[2])))
    hu = volume.hu
    nz, ny, nx = hu.shape
    nz2, ny2, nx2 = nz // fz, ny // f, nx // f
    out = np.empty((nz2, ny2, nx2), np.float32)
    step = 16
    for k0 in range(0, nz2, step):
        k1 = min(nz2, k0 + step)
        acc = np.zeros((k1 - k0, ny2, nx2), np.int32)
        for dz in range(fz):
            for a in range(f):
                for b in range(f):
                    acc += hu[k0 * fz + dz:k1 * fz:fz, a:ny2 * f:f, b:nx2 * f:f]
        out[k0:k1] = acc * np.float32(1.0 / (f * f * fz))
    sp = (g.spacing_xyz_mm[0] * f, g.spacing_xyz_mm[1] * f, g.spacing_xyz_mm[2] * fz)
    origin = (g.origin_mm[0] + 0.5 * (f - 1) * g.spacing_xyz_mm[0], g.origin_mm[1] + 0.5 * (f - 1) * g.spacing_xyz_mm[1],
              g.origin_mm[2] + 0.5 * (fz - 1) * g.spacing_xyz_mm[2])
    return out, Grid(out.shape, sp, origin)


def _plane_disc(r_mm: float, sp: float) -> np.ndarray:
    r = max(1, int(round(r_mm / sp)))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    return (xx * xx + yy * yy <= r * r)[None]


_PLANE4 = np.zeros((3, 3, 3), bool)
_PLANE4[1] = [[0, 1, 0], [1, 1, 1], [0, 1, 0]]


def body_outline(hu: np.ndarray, grid: Grid) -> np.ndarray:
    """Per slice: the patient's body (largest region above -400 HU after a 3 mm opening), holes filled.

    The table and mattress (thin, or separated from the body by the opening) and anything
    outside the body contour are left out.  Slice by slice, done as one 3-D call with
    in-plane structuring elements.
    """
    m = ndi.binary_opening(hu > -400, structure=_plane_disc(3.0, grid.spacing_xyz_mm[0]))
    lab, n = ndi.label(m, structure=_PLANE4)
    if n == 0:
        return np.zeros(hu.shape, bool)
    idx = np.arange(1, n + 1)
    kk = np.nonzero(lab)[0]
    ll = lab[lab > 0]
    area = np.bincount(ll, minlength=n + 1)[1:]
    kz = np.zeros(n + 1, int)
    kz[ll] = kk                                   # in-plane labels: one slice each
    kz = kz[1:]
    best = np.zeros(hu.shape[0], int)
    best_area = np.zeros(hu.shape[0])
    for lbl, k, a in zip(idx, kz, area):
        if a > best_area[k]:
            best[k], best_area[k] = lbl, a
    keep = np.zeros(n + 1, bool)
    keep[best[best > 0]] = True
    return ndi.binary_fill_holes(keep[lab], structure=_PLANE4)


def patient_thresholds(hu: np.ndarray, body: np.ndarray) -> Thresholds:
    """Bone threshold from this patient's histogram inside the body outline.

    The soft tissue peak is the histogram mode between -30 and 150 HU (fat, below, has its own peak); its width is the
    half width at half maximum of its lower side / 1.177 (the upper side is mixed with
    contrast and bone).  Bone: mode + 4 widths, clamped to 130-200 HU.
    """
    v = hu[body]
    v = v[(v > -30) & (v < 150)]
    if v.size < 100:
        return Thresholds(40.0, 20.0, 180.0)
    hist, edges = np.histogram(v, bins=90, range=(-30, 150))
    h = ndi.uniform_filter1d(hist.astype(float), 5)
    m = int(np.argmax(h))
    mode = float(0.5 * (edges[m] + edges[m + 1]))
    below = np.flatnonzero(h[:m] < 0.5 * h[m])
    hwhm = (m - below[-1]) * (edges[1] - edges[0]) if below.size else 25.0
    sd = float(np.clip(hwhm / 1.1774, 8.0, 40.0))
    return Thresholds(mode, sd, float(np.clip(mode + 4.0 * sd, 130.0, 200.0)))


def _slab_bone(bone: np.ndarray, grid: Grid) -> np.ndarray:
    n = max(0, int(round(_SLAB_MM / grid.spacing_xyz_mm[2])))
    return ndi.maximum_filter1d(bone.astype(np.uint8), size=2 * n + 1, axis=0).astype(bool)


def find_canal(hu: np.ndarray, grid: Grid, body: np.ndarray, thr: Thresholds, cancel=None):
    """Canal centre (x, y mm) per slice, NaN where none; see the module docstring (step 3)."""
    sp = grid.spacing_xyz_mm[0]
    x, y = grid.axis_mm("x"), grid.axis_mm("y")
    sm = hu
    bone = (sm >= thr.bone_hu) & body
    slab = _slab_bone(bone, grid)
    r = max(1, int(round(1.5 / sp)))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    st = xx * xx + yy * yy <= r * r
    amin = np.pi * (0.5 * _CANAL_DIAM_MM[0]) ** 2 / (sp * sp)
    amax = np.pi * (0.5 * _CANAL_DIAM_MM[1]) ** 2 / (sp * sp)
    if cancel is not None and cancel():
        raise Cancelled()
    closed = ndi.binary_closing(slab, structure=st[None])
    holes = ndi.binary_fill_holes(closed, structure=_PLANE4) & ~closed
    lab, n = ndi.label(holes, structure=_PLANE4)
    cands: list[list] = [[] for _ in range(hu.shape[0])]
    if n == 0:
        return _track(cands, grid)
    if cancel is not None and cancel():
        raise Cancelled()
    kk, jj, ii = np.nonzero(lab)
    ll = lab[kk, jj, ii]
    cnt = np.bincount(ll, minlength=n + 1).astype(float)
    ok = (cnt >= amin) & (cnt <= amax)
    ok[0] = False
    big = np.flatnonzero(ok)
    if not big.size:
        return _track(cands, grid)
    den = np.maximum(cnt, 1.0)
    mean = (np.bincount(ll, weights=hu[kk, jj, ii], minlength=n + 1) / den)[big]
    cy = (np.bincount(ll, weights=y[jj], minlength=n + 1) / den)[big]
    cx = (np.bincount(ll, weights=x[ii], minlength=n + 1) / den)[big]
    kz_all = np.zeros(n + 1, int)
    kz_all[ll] = kk
    kz = kz_all[big]
    ar = cnt[big]
    # body extent per slice: midline x, front and back y
    has = np.asarray(body.any(axis=(1, 2)))
    rows = np.asarray(body.any(axis=2))
    y_front = np.where(has, y[np.argmax(rows, axis=1)], np.nan)
    y_back = np.where(has, y[rows.shape[1] - 1 - np.argmax(rows[:, ::-1], axis=1)], np.nan)
    cols = np.asarray(body.any(axis=1))
    x_mid = np.where(has, 0.5 * (x[np.argmax(cols, axis=1)] + x[cols.shape[1] - 1 - np.argmax(cols[:, ::-1], axis=1)]),
                     np.nan)
    for i in range(big.size):
        k = kz[i]
        if not has[k]:
            continue
        if (_CANAL_HU[0] <= mean[i] <= _CANAL_HU[1] and abs(cx[i] - x_mid[k]) <= 45.0
                and cy[i] >= y_front[k] + 0.45 * (y_back[k] - y_front[k])):
            cands[k].append((float(cx[i]), float(cy[i]), float(ar[i])))
    return _track(cands, grid)


def _track(cands, grid: Grid):
    """Dynamic programming through the per-slice candidates: the path with small jumps between
    slices (a slice may have none on the path, at a cost); NaN where the path has none."""
    nz = len(cands)
    dz = max(grid.spacing_xyz_mm[2], 1.0)
    skip = 12.0                                  # cost of a slice without a candidate
    states = [[None] + list(c) for c in cands]   # None: no candidate on the path in that slice
    back = []
    cost_prev = None
    for k in range(nz):
        cur = states[k]
        cost = np.zeros(len(cur))
        arg = np.zeros(len(cur), int)
        for s, c in enumerate(cur):
            own = skip if c is None else -0.002 * c[1]        # a small preference for posterior holes
            if cost_prev is None:
                cost[s] = own
                continue
            best, bi = np.inf, 0
            for t, d in enumerate(states[k - 1]):
                if c is None or d is None:
                    step = 0.0
                else:
                    dist = float(np.hypot(c[0] - d[0], c[1] - d[1]))
                    step = 0.5 * (dist / dz) ** 2 if dist < 6.0 * dz else 1e3
                if cost_prev[t] + step < best:
                    best, bi = cost_prev[t] + step, t
            cost[s], arg[s] = best + own, bi
        back.append(arg)
        cost_prev = cost
    out = np.full((nz, 2), np.nan)
    assert cost_prev is not None        # nz >= 1 slices
    s = int(np.argmin(cost_prev))
    for k in range(nz - 1, -1, -1):
        c = states[k][s]
        if c is not None:
            out[k] = c[:2]
        s = int(back[k][s])
    return out


def _fill_nan(a: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaN rows (edges held constant)."""
    out = a.copy()
    idx = np.arange(len(a))
    for c in range(a.shape[1]):
        good = ~np.isnan(a[:, c])
        if good.sum() >= 1:
            out[:, c] = np.interp(idx, idx[good], a[good, c])
    return out


def find_bodies(hu, grid: Grid, body, thr: Thresholds, canal_xy):
    """Vertebral body centre (x, y mm) per slice, NaN at discs.

    Along the canal's column, going forward from the canal: the first bone is the posterior
    wall; the body (bone with its marrow filled in, per slice) runs forward to the anterior
    wall (at most 50 mm: a vessel touching the front is cut off); the centre is midway, and
    midway between the lateral walls at that depth.
    """
    sp = grid.spacing_xyz_mm[0]
    x, y = grid.axis_mm("x"), grid.axis_mm("y")
    sm = hu
    out = np.full((hu.shape[0], 2), np.nan)
    r = max(1, int(round(1.5 / sp)))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    st = xx * xx + yy * yy <= r * r
    n_gap = int(round(16.0 / sp))
    n_max = int(round(50.0 / sp))
    n_col = max(1, int(round(_COLUMN_HALF_MM / sp)))
    every = max(1, int(round(6.0 / grid.spacing_xyz_mm[2])))     # the offset is a median: every 6 mm is enough
    for k in range(0, hu.shape[0], every):
        cx, cy = canal_xy[k]
        if np.isnan(cx):
            continue
        win = (np.abs(x[None, :] - cx) <= 32.0) & (y[:, None] <= cy) & (y[:, None] >= cy - 75.0)
        bone = (sm[k] >= thr.bone_hu) & body[k] & win
        filled = ndi.binary_fill_holes(ndi.binary_closing(bone, structure=st))
        i = int(np.argmin(np.abs(x - cx)))
        j = int(np.argmin(np.abs(y - cy)))
        col = filled[:, max(0, i - n_col):i + n_col + 1].any(axis=1)
        jj = j
        while jj > 0 and not col[jj] and j - jj <= n_gap:
            jj -= 1
        if not col[jj]:
            continue
        j_pw = jj
        while jj > 0 and col[jj - 1] and j_pw - jj < n_max:
            jj -= 1
        depth = (j_pw - jj + 1) * sp
        if depth < 12.0:
            continue
        jm = (j_pw + jj) // 2
        row = filled[jm]
        lo = hi = i
        while lo > 0 and row[lo - 1] and (i - lo) * sp < 35.0:
            lo -= 1
        while hi + 1 < row.size and row[hi + 1] and (hi - i) * sp < 35.0:
            hi += 1
        if (hi - lo + 1) * sp < 15.0:
            continue
        out[k] = (0.5 * (x[lo] + x[hi]), 0.5 * (y[jj] + y[j_pw]))
    return out


def body_track(canal_xy: np.ndarray, bodies_xy: np.ndarray) -> np.ndarray:
    """Body centre in every slice: the canal centre plus this patient's median canal-to-body
    offset (measured where :func:`find_bodies` found a body; 25 mm forward otherwise)."""
    d = bodies_xy - canal_xy
    ok = ~np.isnan(d[:, 0])
    off = np.nanmedian(d[ok], axis=0) if ok.sum() >= 3 else np.array([0.0, -25.0])
    return canal_xy + off


def split_vertebrae(hu, grid: Grid, body_xy, thr: Thresholds):
    """Disc positions (z mm) along the body track, and the profile (z mm, score) they come from.

    The score of a slice is the 90th percentile HU within 14 mm of the track minus the mean
    within 5 mm.  A slice through a disc also cuts the rims of the two endplates next to it
    (discs are inclined and thin, slices thick), around the disc's low centre: a high score.
    Through a body's middle the marrow fills the centre and the rim is one thin cortex: a
    lower score.  Measured on both real CTs (tests/realct): the maxima at least 15 mm apart
    lie at the discs of the reference segmentation.
    """
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    sp = grid.spacing_xyz_mm[0]
    n_out = max(2, int(round(14.0 / sp)))
    yy, xx = np.mgrid[-n_out:n_out + 1, -n_out:n_out + 1]
    rr = np.hypot(xx, yy) * sp
    outer, inner = rr <= 14.0, rr <= 5.0
    score = np.zeros(len(z))
    for k in range(len(z)):
        i = int(np.argmin(np.abs(x - body_xy[k, 0])))
        j = int(np.argmin(np.abs(y - body_xy[k, 1])))
        j0, i0 = j - n_out, i - n_out
        jj = np.clip(np.arange(j0, j0 + 2 * n_out + 1), 0, len(y) - 1)
        ii = np.clip(np.arange(i0, i0 + 2 * n_out + 1), 0, len(x) - 1)
        patch = hu[k][np.ix_(jj, ii)]
        score[k] = float(np.percentile(patch[outer], 90) - patch[inner].mean())
    dz = grid.spacing_xyz_mm[2]
    sm = ndi.gaussian_filter1d(score, sigma=max(0.5, 2.0 / dz), mode="nearest")
    win = max(1, int(round(8.0 / dz)))
    discs: list[int] = []
    for k in range(len(z)):
        lo, hi = max(0, k - win), min(len(z), k + win + 1)
        if sm[k] == sm[lo:hi].max() and sm[k] - sm[lo:hi].min() > 30.0:
            if discs and z[k] - z[discs[-1]] < 15.0:
                if sm[k] > sm[discs[-1]]:
                    discs[-1] = k
                continue
            discs.append(k)
    return z[discs], (z, score)


def _half_width(bone: np.ndarray, grid: Grid, v: Vertebra) -> float:
    """Half the body's width (mm) through its centre, from the bone in its middle slice."""
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    k = int(np.argmin(np.abs(z - v.body_centre_mm[2])))
    j = int(np.argmin(np.abs(y - v.body_centre_mm[1])))
    i = int(np.argmin(np.abs(x - v.body_centre_mm[0])))
    n = max(1, int(round(_BAND_HALF_MM / grid.spacing_xyz_mm[1])))
    band = bone[k, max(0, j - n):j + n + 1].any(axis=0)
    xs = np.flatnonzero(band & (np.abs(x - x[i]) <= 35.0))
    return float(np.clip(0.5 * (x[xs[-1]] - x[xs[0]]), 10.0, 30.0)) if xs.size else 18.0


def _rib_bearing(bone: np.ndarray, grid: Grid, v: Vertebra) -> bool:
    """Bone in the rib-head region beside the body on either side, in a third of its slices.

    The region: 55 to 90 mm lateral of the body's centre (beyond the longest lumbar
    transverse process), from the body's centre back to 30 mm behind the canal.
    """
    x, y, z = grid.axis_mm("x"), grid.axis_mm("y"), grid.axis_mm("z")
    bx, by, _ = v.body_centre_mm
    cy = v.canal_centre_mm[1]
    ks = np.flatnonzero((z >= v.z_bottom_mm) & (z <= v.z_top_mm))
    if not ks.size:
        return False
    ym = (y >= by) & (y <= cy + 30.0)
    hits = 0
    for side in (1.0, -1.0):
        dx = (x - bx) * side
        xm = (dx >= 55.0) & (dx <= 90.0)
        region = bone[np.ix_(ks, ym, xm)]
        hits = max(hits, int(region.any(axis=(1, 2)).sum()))
    return hits >= max(1, 0.34 * ks.size)


def number_vertebrae(vertebrae: list[Vertebra], bone: np.ndarray, grid: Grid):
    """Name the vertebrae (cranial first) from the last rib-bearing one (T12).

    Returns
    -------
    (numbered_by, certain, note)
    """
    if not vertebrae:
        return "", False, "no vertebra found"
    for v in vertebrae:
        v.ribs = _rib_bearing(bone, grid, v)
    ribs = [v.ribs for v in vertebrae]
    if ribs[0] and not all(ribs):
        last = ribs.index(False) - 1
        if any(ribs[last + 1:]):
            note = "rib-like bone also beside " + ", ".join(
                f"vertebra {i + 1}" for i in range(last + 1, len(ribs)) if ribs[i]) + " (below the rib cage)"
        else:
            note = ""
        t12 = LEVEL_ORDER.index("T12")
        for i, v in enumerate(vertebrae):
            n = t12 + (i - last)
            v.level = LEVEL_ORDER[n] if 0 <= n < len(LEVEL_ORDER) else None
        if note:                            # ribs below the rib cage: the count is not to be trusted
            for v in vertebrae:
                v.level = None
            return "", False, note + "; the numbering is uncertain: give --body-centre X Y Z of the target body"
        return "ribs", True, "T12 is the last rib-bearing vertebra"
    return "", False, ("no rib-bearing vertebra followed by one without ribs in the field of view: "
                       "the numbering is uncertain; give --body-centre X Y Z of the target body")


def detect_column(volume: Volume, progress: Callable[[float, str], None] | None = None,
                  cancel: Callable[[], bool] | None = None) -> Column:
    """Find, split and number the vertebral column of a whole CT series (module docstring).

    Parameters
    ----------
    volume : Volume
        The series (HU, LPS mm).
    progress : callable, optional
        ``progress(fraction, message)``.
    cancel : callable, optional
        Polled between steps and slices; :class:`Cancelled` is raised when it returns True.
    """
    def report(f, m):
        if progress is not None:
            progress(f, m)
        if cancel is not None and cancel():
            raise Cancelled()

    report(0.0, "pooling the series")
    hu, g = _pooled(volume)
    report(0.15, "body outline (table and outside removed)")
    body = body_outline(hu, g)
    thr = patient_thresholds(hu, body)
    report(0.35, "spinal canal")
    canal = find_canal(hu, g, body, thr, cancel)
    report(0.6, "vertebral bodies")
    have = ~np.isnan(canal[:, 0])
    cxy = _fill_nan(canal) if have.any() else canal
    bodies = body_track(cxy, find_bodies(hu, g, body, thr, cxy))
    report(0.75, "discs")
    discs, _ = split_vertebrae(hu, g, bodies, thr)
    z = g.axis_mm("z")
    bxy = bodies
    verts = []
    edges = list(discs)
    for lo, hi in zip(edges[:-1], edges[1:]):
        ks = np.flatnonzero((z > lo) & (z < hi) & have)
        if ks.size < 2 or hi - lo < 12.0 or hi - lo > 60.0:
            continue
        kc = ks[len(ks) // 2]
        zc = 0.5 * (lo + hi)
        kz = int(np.argmin(np.abs(z - zc)))
        verts.append(Vertebra(z_top_mm=float(hi), z_bottom_mm=float(lo),
                              body_centre_mm=(float(bxy[kz, 0]), float(bxy[kz, 1]), float(zc)),
                              canal_centre_mm=(float(cxy[kc, 0]), float(cxy[kc, 1]), float(zc))))
    verts.sort(key=lambda v: -v.z_top_mm)            # cranial first
    report(0.9, "numbering")
    sm = hu
    by, certain, note = number_vertebrae(verts, (sm >= thr.bone_hu) & body, g)
    report(1.0, "column found")
    return Column(verts, thr, by, certain, note, canal_z_mm=z, canal_xy_mm=canal)
