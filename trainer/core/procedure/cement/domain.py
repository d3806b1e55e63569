"""The region cement can reach: a cropped copy of the patient's fine grid, classified once.

:class:`CementDomain` crops the fine label volume to the target body plus a margin,
maps labels to flow classes, finds the body envelope (so intra-osseous veins count as
inside), and precomputes per voxel what the flow and leak bookkeeping need: pore
capacity, leak type, distance to the canal and to the body.  It depends only on the
patient, so models of the same patient share one (see :func:`domain_for`).
"""

from __future__ import annotations

import contextlib
import weakref

import numpy as np
from scipy import ndimage

from trainer.core.anatomy.labels import Label
from trainer.core.errors import ParameterError
from trainer.core.procedure.distance import LazyDistance, boundary_voxels, exact_spacing

__all__ = ["CementDomain", "domain_for", "WALL", "CANC", "CLEFT", "BVEIN", "SVEIN", "DISC", "CANAL",
           "FORAMEN", "SOFT", "CLASS_NAMES", "LEAK_TYPES"]

WALL, CANC, CLEFT, BVEIN, SVEIN, DISC, CANAL, FORAMEN, SOFT = range(9)
CLASS_NAMES = ("wall", "cancellous", "cleft", "basivertebral_vein", "segmental_vein", "disc", "canal",
               "foramen", "soft")
LEAK_TYPES = ("B", "S", "C", "D", "canal", "foramen", "paravertebral")

_LABEL_CLASS = {Label.CANCELLOUS: CANC, Label.CLEFT: CLEFT, Label.BASIVERTEBRAL_VEIN: BVEIN,
                Label.SEGMENTAL_VEIN: SVEIN, Label.DISC: DISC, Label.CANAL: CANAL,
                Label.FORAMEN_LEFT: FORAMEN, Label.FORAMEN_RIGHT: FORAMEN, Label.MUSCLE: SOFT,
                Label.FAT: SOFT, Label.SOFT_TISSUE: SOFT, Label.SKIN: SOFT}
_BODY_LABELS = (Label.BODY_CORTEX, Label.CANCELLOUS, Label.CLEFT)


def _between(mask: np.ndarray, axis: int) -> np.ndarray:
    """True where a voxel has ``mask`` on both sides along ``axis`` (or is in it)."""
    fwd = np.maximum.accumulate(mask, axis=axis)
    back = np.flip(np.maximum.accumulate(np.flip(mask, axis=axis), axis=axis), axis=axis)
    return fwd & back


class CementDomain:
    """Precomputed flow geometry of one patient (read-only after construction).

    Parameters
    ----------
    patient : trainer.core.anatomy.patient.Patient
    config : dict
        Parsed ``assets/cement_products.toml``.
    margin_mm : float
        How far around the body's bounding box cement is followed (mm).

    Attributes
    ----------
    lo : ndarray (3,)
        Fine-grid index ``(k, j, i)`` of crop voxel ``(1, 1, 1)`` (the crop has a one-voxel
        wall border that keeps neighbour offsets inside the array).
    shape : tuple
        Crop shape ``(nz, ny, nx)`` including the border.
    cls : ndarray uint8 (N,)
        Flow class per flat crop voxel (``WALL`` ... ``SOFT``).
    in_body : ndarray bool (N,)
        Cement here counts as inside the vertebral body.
    capacity_mm3 : ndarray float64 (N,)
        Volume of cement the voxel holds when full (pore space; 1 voxel outside bone).
    leak_code : per-voxel int16 field (N,)
        Index into :attr:`leak_table` for extra-osseous voxels, -1 inside the body.
    dist_outside_mm, dist_canal_mm : per-voxel float32 fields (N,)
        Distance to the body envelope and to the canal (mm).
    far : per-voxel bool field (N,)
        At least ``pe_distance_mm`` outside the envelope, or at the crop edge.

    The per-voxel fields are indexed like arrays (``dom.far[flat]``) but computed only for
    the voxels cement reaches.
    """

    def __init__(self, patient, config: dict, margin_mm: float = 8.0):
        vol = patient.volume
        grid = vol.grid
        self.grid = grid
        lm = patient.landmarks
        self.landmarks = lm
        labels = vol.labels
        body = np.isin(labels, np.array([int(v) for v in _BODY_LABELS], dtype=labels.dtype))
        if not body.any():
            raise ParameterError("patient.volume.labels", "no vertebral body",
                                 "a fine volume containing BODY_CORTEX/CANCELLOUS voxels")
        nz_, = np.nonzero(body.any(axis=(1, 2)))
        ny_, = np.nonzero(body.any(axis=(0, 2)))
        nx_, = np.nonzero(body.any(axis=(0, 1)))
        dx, dy, dz = grid.spacing_mm
        m = np.ceil(margin_mm / np.array([dz, dy, dx])).astype(int)
        lo = np.maximum(np.array([nz_[0], ny_[0], nx_[0]]) - m, 0)
        hi = np.minimum(np.array([nz_[-1], ny_[-1], nx_[-1]]) + m + 1, np.array(grid.shape))
        sub = labels[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
        sub_hu = vol.hu[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
        sub = np.pad(sub, 1, constant_values=int(Label.AIR))   # wall border (class WALL below)
        sub_hu = np.pad(sub_hu, 1, constant_values=0)
        self.lo = lo - 1
        self.shape = sub.shape
        nz, ny, nx = self.shape
        self.strides = (ny * nx, nx, 1)
        self.spacing_mm = (float(dx), float(dy), float(dz))
        self.voxel_mm3 = float(dx * dy * dz)

        lut = np.zeros(256, np.uint8)
        for lab, c in _LABEL_CLASS.items():
            lut[int(lab)] = c
        cls = lut[sub]
        cls[[0, -1], :, :] = WALL
        cls[:, [0, -1], :] = WALL
        cls[:, :, [0, -1]] = WALL

        # Body envelope: voxels enclosed by the body along at least two of the three axes,
        # so the basivertebral foramen and the vein exits in the wall count as inside.
        bmask = np.isin(sub, np.array([int(v) for v in _BODY_LABELS], dtype=sub.dtype))
        votes = sum(_between(bmask, a).astype(np.uint8) for a in range(3))
        envelope = bmask | (votes >= 2)
        self.envelope = envelope.ravel()
        self.body_volume_ml = float(envelope.sum()) * self.voxel_mm3 / 1000.0
        self.bridged_voxels = _join_nutrient_channels(cls, envelope, (dz, dy, dx))
        self.cls = cls.ravel()
        inside_cls = np.isin(self.cls, np.array([CANC, CLEFT, BVEIN, SVEIN], np.uint8))
        self.in_body = self.envelope & inside_cls

        # Pore capacity: cancellous bone holds cement only in its marrow space.
        fl = config["flow"]
        hu = np.clip(sub_hu.ravel().astype(np.float64), 0.0, 600.0)
        bvtv = np.clip(fl["bvtv_at_0hu"] + fl["bvtv_per_hu"] * hu, 0.0, fl["bvtv_max"])
        porosity = np.where(self.cls == CANC, 1.0 - bvtv, 1.0)
        self.porosity = porosity
        self.capacity_mm3 = porosity * self.voxel_mm3

        # Distances (mm) outside the envelope and to the canal, the far-field flag and the
        # leak codes are needed only where cement goes: evaluated per voxel on first access
        # (the same numbers as whole-crop distance transforms; see _PerVoxel, LazyDistance).
        sampling = (dz, dy, dx)
        self._pe_distance_mm = float(config["leaks"]["pe_distance_mm"])
        self._cortical_zone_mm = float(config["leaks"]["cortical_zone_mm"])
        self._d_out = LazyDistance(envelope, sampling)
        self.dist_outside_mm = _PerVoxel(cls.size, np.float32,
                                         lambda f: self._d_out.at_flat(f).astype(np.float32))
        canal = cls == CANAL
        self._canal = canal if canal.any() else None
        self._dist_canal = None
        self._canal_tree = None
        if self._canal is not None:
            self.dist_canal_mm = _PerVoxel(cls.size, np.float32, lambda f: self._dist_canal_all()[f])
        else:
            self.dist_canal_mm = _PerVoxel(cls.size, np.float32, lambda f: np.full(f.size, np.inf, np.float32))
        self.far = _PerVoxel(cls.size, bool, self._far_of)

        # Patient mm of each crop axis.
        org = np.asarray(grid.origin_mm, float)
        self.x_mm = org[0] + dx * (self.lo[2] + np.arange(nx))
        self.y_mm = org[1] + dy * (self.lo[1] + np.arange(ny))
        self.z_mm = org[2] + dz * (self.lo[0] + np.arange(nz))

        # Endplate columns: the top and bottom interior voxel of every (j, i) column.
        interior = np.isin(cls, np.array([CANC, CLEFT], np.uint8)) & envelope
        has = interior.any(axis=0)
        self.col_top = np.where(has, nz - 1 - np.argmax(interior[::-1], axis=0), -1)
        self.col_bottom = np.where(has, np.argmax(interior, axis=0), nz + 1)
        self._build_leak_codes(config)

    # -- per-voxel fields (evaluated on demand) ---------------------------------------
    def _dist_canal_all(self) -> np.ndarray:
        """Distance (mm, float32, flat) of every crop voxel to the canal, computed once."""
        if self._dist_canal is None:
            dx, dy, dz = self.spacing_mm
            d = ndimage.distance_transform_edt(~self._canal, sampling=(dz, dy, dx))
            self._dist_canal = d.ravel().astype(np.float32)
        return self._dist_canal

    def min_dist_canal_mm(self, flat, below: float = np.inf) -> float:
        """``float(dist_canal_mm[flat].min())`` if that is below ``below``, else ``inf``.

        Every injection step asks this for thousands of voxels far from the canal; a k-d
        tree query bounded by the best distance found so far skips almost all of them
        (exact: the same float32 values as the whole transform).
        """
        flat = np.asarray(flat, np.int64).ravel()
        if flat.size == 0 or self._canal is None:
            return np.inf
        dx, dy, dz = self.spacing_mm
        sampling = np.array([dz, dy, dx])
        if self._dist_canal is not None or not exact_spacing(sampling):
            m = float(self.dist_canal_mm[flat].min())
            return m if m < below else np.inf
        if self._canal_tree is None:
            from scipy.spatial import cKDTree

            pts = np.argwhere(boundary_voxels(self._canal)) * sampling
            self._canal_tree = (cKDTree(pts), pts.min(axis=0), pts.max(axis=0))
        tree, lo, hi = self._canal_tree
        p = np.stack(np.unravel_index(flat, self.shape), axis=-1) * sampling
        inside = self._canal.ravel()[flat]
        if inside.any():
            return 0.0 if below > 0.0 else np.inf
        bound = float(below)
        if not np.isfinite(bound):
            # an upper bound: the exact distance of the voxel nearest the canal's bounding box
            gap = np.maximum(0.0, np.maximum(lo - p, p - hi))
            bound = float(tree.query(p[int(np.argmin(np.einsum("ij,ij->i", gap, gap)))])[0])
        d = tree.query(p, distance_upper_bound=bound * (1.0 + 1e-9) + 1e-9)[0]
        m = float(np.float32(d.min()))
        return m if m < below else np.inf

    def _edge_of(self, flat: np.ndarray) -> np.ndarray:
        """Voxels on the crop's outermost interior layer (next to the wall border)."""
        k, j, i = np.unravel_index(flat, self.shape)
        nz, ny, nx = self.shape
        return (k == 1) | (k == nz - 2) | (j == 1) | (j == ny - 2) | (i == 1) | (i == nx - 2)

    def _far_of(self, flat: np.ndarray) -> np.ndarray:
        """Cement here is far from the body (a possible embolus): ``pe_distance_mm`` out, or at the crop edge."""
        return (self.dist_outside_mm[flat] >= self._pe_distance_mm) | self._edge_of(flat)

    # -- leak classification --------------------------------------------------------
    def _build_leak_codes(self, config):
        lm = self.landmarks
        cx = float(lm.body_centre_mm[0])
        faces = ("anterior", "posterior", "left lateral", "right lateral", "superior", "inferior")
        names = [("B", "basivertebral vein / epidural plexus"),
                 ("S", "right segmental vein"), ("S", "left segmental vein"),
                 ("D", "inferior disc"), ("D", "superior disc"),
                 ("canal", "epidural space"),
                 ("foramen", "right foramen"), ("foramen", "left foramen")]
        names += [("C", f"{f} cortex") for f in faces]
        names += [("paravertebral", f"{f} paravertebral") for f in faces]
        self.leak_code = _PerVoxel(self.cls.size, np.int16, self._leak_code_of)
        self.leak_table = names
        self.b_code = 0
        self.s_codes = (1, 2)                      # right, left
        self.x_left = self.x_mm >= cx

    def _leak_code_of(self, flat: np.ndarray) -> np.ndarray:
        """Index into :attr:`leak_table` of extra-osseous voxels, -1 inside the body and in walls."""
        lm = self.landmarks
        cx, cy, cz = (float(v) for v in lm.body_centre_mm)
        code = np.full(flat.size, -1, np.int16)
        sel = ~self.in_body[flat] & (self.cls[flat] != WALL)
        out = flat[sel]
        k, j, i = np.unravel_index(out, self.shape)
        x, y, z = self.x_mm[i], self.y_mm[j], self.z_mm[k] - cz
        left = x >= cx
        half_w = 0.5 * float(lm.body_width_mm)
        half_d = 0.5 * float(lm.body_depth_mm)
        # face: 0 anterior, 1 posterior, 2 left lateral, 3 right lateral, 4 superior, 5 inferior
        lateral = np.abs(x - cx) / half_w > np.abs(y - cy) / half_d
        face = np.where(lateral, np.where(left, 2, 3), np.where(y >= cy, 1, 0))
        above = np.abs(z) > 0.5 * float(lm.posterior_height_mm)
        face = np.where(above, np.where(z > 0, 4, 5), face)
        cls = self.cls[out]
        near = self.dist_outside_mm[out] <= self._cortical_zone_mm
        soft = np.isin(cls, np.array([SOFT, CANC, CLEFT], np.uint8))
        # (type, region) of every outside voxel as a small integer key
        key = np.full(out.size, -1, np.int32)
        key[cls == BVEIN] = 0
        key[cls == SVEIN] = 1 + left[cls == SVEIN]
        key[cls == DISC] = 3 + (z[cls == DISC] > 0)
        key[cls == CANAL] = 5
        key[cls == FORAMEN] = 6 + left[cls == FORAMEN]
        key[soft & near] = 8 + face[soft & near]
        key[soft & ~near] = 14 + face[soft & ~near]
        code[sel] = key
        return code

    # -- coordinates ----------------------------------------------------------------
    def flat_of_mm(self, xyz_mm) -> int | None:
        """Flat crop index of the voxel containing ``xyz_mm``, or None outside the crop."""
        kji = np.rint(self.grid.mm_to_index(np.asarray(xyz_mm, float))).astype(int) - self.lo
        if np.any(kji < 1) or np.any(kji >= np.asarray(self.shape) - 1):
            return None
        return int(kji[0] * self.strides[0] + kji[1] * self.strides[1] + kji[2])

    def grid_kji(self, flat: np.ndarray) -> np.ndarray:
        """(M, 3) fine-grid indices ``(k, j, i)`` of flat crop indices."""
        kji = np.stack(np.unravel_index(np.asarray(flat, np.int64), self.shape), axis=-1)
        return kji + self.lo

    def nearest_open(self, flat: int, radius_vox: int = 3) -> int | None:
        """The open (non-wall) voxel nearest to ``flat`` within ``radius_vox``, or None."""
        if self.cls[flat] != WALL:
            return flat
        k, j, i = np.unravel_index(flat, self.shape)
        r = radius_vox
        ks, js, is_ = np.mgrid[-r:r + 1, -r:r + 1, -r:r + 1]
        d2 = ks * ks + js * js + is_ * is_
        order = np.argsort(d2.ravel(), kind="stable")
        for o in order:
            kk, jj, ii = k + ks.ravel()[o], j + js.ravel()[o], i + is_.ravel()[o]
            if 1 <= kk < self.shape[0] - 1 and 1 <= jj < self.shape[1] - 1 and 1 <= ii < self.shape[2] - 1:
                f = int(kk * self.strides[0] + jj * self.strides[1] + ii)
                if self.cls[f] != WALL:
                    return f
        return None


class _PerVoxel:
    """A read-only per-voxel field of the crop (flat index), computed on first access of each voxel.

    ``field[flat]`` (an int or an integer array) returns what the whole precomputed array
    would; ``np.asarray(field)`` computes every voxel (slow; for tests and diagnostics).
    """

    def __init__(self, size: int, dtype, compute):
        self.size = int(size)
        self.shape = (self.size,)
        self.dtype = np.dtype(dtype)
        self._compute = compute
        self._values = None
        self._known = None

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, idx):
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        if self._values is None:
            self._values = np.empty(self.size, self.dtype)
            self._known = np.zeros(self.size, bool)
        flat = idx.ravel().astype(np.int64)
        miss = flat[~self._known[flat]]
        if miss.size:
            miss = np.unique(miss)
            self._values[miss] = self._compute(miss)
            self._known[miss] = True
        return self._values[idx]

    def __array__(self, dtype=None, copy=None):
        out = self[np.arange(self.size)]
        return out if dtype is None else out.astype(dtype)


def _join_nutrient_channels(cls: np.ndarray, envelope: np.ndarray, sampling, max_gap_mm: float = 5.0) -> int:
    """Open a channel from each intra-osseous segmental-vein branch to its segmental vein.

    The anatomy paints the nutrient channel (inside the body) and the segmental vein
    (outside) separately; where they end up to ``max_gap_mm`` apart, the cement domain
    joins them along the straight segment (cortex included), as the real foramen does.
    Connected anatomy is left unchanged.  Returns the number of voxels opened.
    """
    from scipy.spatial import cKDTree

    sv = cls == SVEIN
    lab, n = ndimage.label(sv)
    if n < 2:
        return 0
    idx = np.argwhere(sv)
    comp = lab[sv]
    inside = envelope[sv]
    frac_in = np.bincount(comp, weights=inside, minlength=n + 1) / np.maximum(1, np.bincount(comp, minlength=n + 1))
    samp = np.asarray(sampling, float)
    outer = ~(frac_in[comp] > 0.5)
    if not outer.any():
        return 0
    tree = cKDTree(idx[outer] * samp)
    opened = 0
    for c in range(1, n + 1):
        if frac_in[c] <= 0.5:
            continue
        pts = idx[comp == c]
        dist, near = tree.query(pts * samp)
        best = int(np.argmin(dist))
        if dist[best] > max_gap_mm or dist[best] <= 1.01 * samp.max():
            continue
        a = pts[best].astype(float)
        b = idx[outer][near[best]].astype(float)
        steps = int(np.ceil(np.abs(b - a).max() * 2)) + 1
        line = np.rint(a + (b - a) * np.linspace(0.0, 1.0, steps)[:, None]).astype(int)
        for off in ((0, 0, 0), (1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)):
            q = np.clip(line + off, 1, np.asarray(cls.shape) - 2)
            sel = cls[q[:, 0], q[:, 1], q[:, 2]]
            openable = (sel == WALL) | (sel == SOFT) | (sel == CANC)
            q = q[openable]
            opened += int(q.shape[0])
            cls[q[:, 0], q[:, 1], q[:, 2]] = SVEIN
    return opened


_CACHE: dict[int, tuple[weakref.ref, int, CementDomain]] = {}


def domain_for(patient, config: dict) -> CementDomain:
    """The (cached) domain of ``patient``; rebuilt if the patient object is new."""
    key = id(patient)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is patient and hit[1] == id(config):
        return hit[2]
    dom = CementDomain(patient, config)
    if len(_CACHE) >= 4:
        for k in list(_CACHE)[: len(_CACHE) - 3]:
            del _CACHE[k]
    with contextlib.suppress(TypeError):    # objects without weak references are simply not cached
        _CACHE[key] = (weakref.ref(patient), id(config), dom)
    return dom
