"""The region cement can reach: a cropped copy of the patient's fine grid, classified once.

:class:`CementDomain` crops the fine label volume to the target body plus a margin,
maps labels to flow classes, finds the body envelope (so intra-osseous veins count as
inside), and precomputes per voxel what the flow and leak bookkeeping need: pore
capacity, leak type, distance to the canal and to the body.  It depends only on the
patient, so models of the same patient share one (see :func:`domain_for`).
"""

from __future__ import annotations

import contextlib
import enum
import math
import weakref

import numpy as np
from scipy import ndimage

from trainer.core.anatomy.labels import Label
from trainer.core.errors import ParameterError
from trainer.core.procedure.distance import LazyDistance, boundary_voxels, exact_spacing

__all__ = ["CementDomain", "FlowClass", "domain_for", "crop_to_body", "classify_labels", "body_envelope",
           "trabecular_porosity", "pore_resistance", "necrotic_veins", "communicating_veins",
           "WALL", "CANC", "CLEFT", "BVEIN", "SVEIN", "DISC", "CANAL", "FORAMEN", "SOFT", "CRACK",
           "CLASS_NAMES", "LEAK_TYPES", "LEAK_TABLE", "NEURAL_TYPES"]


class FlowClass(enum.IntEnum):
    """What a crop voxel is to the cement (the flow and the leak bookkeeping)."""

    WALL = 0            #: never fills: cortex, pedicles, posterior elements, other bone, air, lung
    CANC = 1            #: cancellous bone (holds cement in its pores)
    CLEFT = 2           #: intravertebral cleft
    BVEIN = 3           #: basivertebral vein
    SVEIN = 4           #: segmental vein (and its nutrient channel)
    DISC = 5
    CANAL = 6           #: spinal canal (epidural space)
    FORAMEN = 7         #: neural foramen
    SOFT = 8            #: muscle, fat, soft tissue
    CRACK = 9           #: a fracture micro-crack through the cortex (set per bone by the flow)


WALL, CANC, CLEFT, BVEIN, SVEIN, DISC, CANAL, FORAMEN, SOFT, CRACK = (int(c) for c in FlowClass)
CLASS_NAMES = ("wall", "cancellous", "cleft", "basivertebral_vein", "segmental_vein", "disc", "canal",
               "foramen", "soft", "crack")
LEAK_TYPES = ("B", "S", "C", "D", "canal", "foramen", "paravertebral")
#: Leak types that put cement where the cord or a root runs (FACTS 4: critical).
NEURAL_TYPES = ("canal", "foramen")
_FACES = ("anterior", "posterior", "left lateral", "right lateral", "superior", "inferior")
#: (type, region, route) of every leak code.  The type says where the cement is; the route
#: ('B' basivertebral, 'S' segmental, None) the venous path it took.  Codes 0-19 are where
#: extra-osseous cement can be without a route; 20-25 are canal and foramen reached through
#: a vein (a venous leak that ends in the canal is a canal leak and a venous one).
LEAK_TABLE = (
    [("B", "basivertebral vein at the posterior wall", "B"),
     ("S", "right segmental vein", "S"), ("S", "left segmental vein", "S"),
     ("D", "inferior disc", None), ("D", "superior disc", None),
     ("canal", "epidural space", None),
     ("foramen", "right foramen", None), ("foramen", "left foramen", None)]
    + [("C", f"{f} cortex", None) for f in _FACES]
    + [("paravertebral", f"{f} paravertebral", None) for f in _FACES]
    + [("canal", "epidural space via the basivertebral vein", "B"),
       ("canal", "epidural space via a segmental vein", "S"),
       ("foramen", "right foramen via the basivertebral vein", "B"),
       ("foramen", "left foramen via the basivertebral vein", "B"),
       ("foramen", "right foramen via a segmental vein", "S"),
       ("foramen", "left foramen via a segmental vein", "S")])
_CODE_B, _CODE_S_RIGHT, _CODE_CANAL, _CODE_FORAMEN_RIGHT = 0, 1, 5, 6
_CODE_CANAL_VIA = {"B": 20, "S": 21}
_CODE_FORAMEN_VIA = {"B": 22, "S": 24}     # + 1 for the left foramen

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


def _body_mask(labels: np.ndarray) -> np.ndarray:
    return np.isin(labels, np.array([int(v) for v in _BODY_LABELS], dtype=labels.dtype))


def crop_to_body(labels: np.ndarray, hu: np.ndarray, spacing_zyx_mm, margin_mm: float):
    """Crop the label and HU volumes to the body's bounding box plus ``margin_mm``, with a 1-voxel border.

    Parameters
    ----------
    labels, hu : ndarray (nz, ny, nx)
        The patient's fine label and HU volumes.
    spacing_zyx_mm : sequence of 3 float
        Voxel size along (z, y, x) in mm.
    margin_mm : float
        Margin around the body kept in the crop (mm).

    Returns
    -------
    lo : ndarray int (3,)
        Fine-grid ``(k, j, i)`` of crop voxel ``(0, 0, 0)`` (the border voxel).
    sub_labels, sub_hu : ndarray
        The crop with a one-voxel ``AIR`` / 0 HU border (the border keeps neighbour
        offsets of interior voxels inside the array).
    """
    body = _body_mask(labels)
    if not body.any():
        raise ParameterError("patient.volume.labels", "no vertebral body",
                             "a fine volume containing BODY_CORTEX/CANCELLOUS voxels")
    nz_, = np.nonzero(body.any(axis=(1, 2)))
    ny_, = np.nonzero(body.any(axis=(0, 2)))
    nx_, = np.nonzero(body.any(axis=(0, 1)))
    m = np.ceil(margin_mm / np.asarray(spacing_zyx_mm, float)).astype(int)
    lo = np.maximum(np.array([nz_[0], ny_[0], nx_[0]]) - m, 0)
    hi = np.minimum(np.array([nz_[-1], ny_[-1], nx_[-1]]) + m + 1, np.array(labels.shape))
    box = (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
    sub = np.pad(labels[box], 1, constant_values=int(Label.AIR))
    sub_hu = np.pad(hu[box], 1, constant_values=0)
    return lo - 1, sub, sub_hu


def classify_labels(sub_labels: np.ndarray) -> np.ndarray:
    """Flow class (uint8 :class:`FlowClass`) of every crop voxel; the outer layer is ``WALL``."""
    lut = np.zeros(256, np.uint8)
    for lab, c in _LABEL_CLASS.items():
        lut[int(lab)] = c
    cls = lut[sub_labels]
    cls[[0, -1], :, :] = WALL
    cls[:, [0, -1], :] = WALL
    cls[:, :, [0, -1]] = WALL
    return cls


def body_envelope(sub_labels: np.ndarray) -> np.ndarray:
    """Voxels in the body or enclosed by it along at least two of the three axes (bool, crop shape).

    The basivertebral foramen and the vein exits in the wall count as inside.
    """
    bmask = _body_mask(sub_labels)
    votes = sum(_between(bmask, a).astype(np.uint8) for a in range(3))
    return bmask | (votes >= 2)


def necrotic_veins(cls: np.ndarray) -> np.ndarray:
    """Intra-osseous vein voxels in the necrotic territory of an intravertebral cleft (bool, crop shape).

    A cleft is the cavity of a vertebral body that collapsed after avascular necrosis: the fracture
    interrupts the intra-osseous blood supply of the fractured part of the body, and biopsies of
    clefted bodies show necrotic bone (avascular necrosis, the best-supported pathogenesis: Wu et al.
    2013, Asian Spine J 7:148; He et al. 2016, Exp Ther Med 12:879; necrosis in every biopsy: Zhang et
    al. 2013, Exp Ther Med 5:517; clefts lie in the anterosuperior body: McKiernan 2003).  The veins that
    drained that bone are not patent, so the basivertebral and segmental channels painted across the
    cleft's footprint (every vertical column of the crop, ``cls`` axis 0, that holds cleft voxels) are
    necrotic marrow, not veins.  Returns all False without a cleft.

    Parameters
    ----------
    cls : ndarray uint8, shape (nz, ny, nx)
        Flow classes (:func:`classify_labels`).
    """
    cleft = cls == CLEFT
    if not cleft.any():
        return np.zeros(cls.shape, bool)
    veins = (cls == BVEIN) | (cls == SVEIN)
    return veins & cleft.any(axis=0)[None, :, :]


def body_volume_ml(patient, margin_mm: float = 8.0) -> float:
    """Volume of the target vertebral body (mL): the body and what it encloses (:func:`body_envelope`).

    The one definition of the body volume: the cement model's fill fraction and the
    debrief's fill percentage both divide by it.  Measured once per patient volume and margin and
    kept in ``patient.measured`` (the scoring context asks at the start and at the end of every
    assessment, about 0.2 s of CPU each time), as :func:`~trainer.core.anatomy.posterior_outline.outline_of`.
    """
    def measure() -> float:
        grid = patient.volume.grid
        _, sub, _ = crop_to_body(patient.volume.labels, patient.volume.hu, grid.spacing_zyx_mm, margin_mm)
        return envelope_volume_ml(body_envelope(sub), grid.voxel_volume_mm3)

    return patient.measured_once(("body_volume_ml", float(margin_mm)), (patient.volume,), measure)


def envelope_volume_ml(envelope: np.ndarray, voxel_mm3: float) -> float:
    """mL of a boolean body envelope of voxels of ``voxel_mm3``."""
    return float(envelope.sum()) * float(voxel_mm3) / 1000.0


def trabecular_porosity(cls_flat: np.ndarray, hu_flat: np.ndarray, flow_cfg: dict) -> np.ndarray:
    """Fraction of each voxel cement can fill: ``1 - BV/TV`` in cancellous bone, 1 elsewhere.

    ``BV/TV = bvtv_at_0hu + bvtv_per_hu * HU`` (HU clipped to 0-600), capped at ``bvtv_max``.
    """
    hu = np.clip(np.asarray(hu_flat, np.float64), 0.0, 600.0)
    bvtv = np.clip(flow_cfg["bvtv_at_0hu"] + flow_cfg["bvtv_per_hu"] * hu, 0.0, flow_cfg["bvtv_max"])
    return np.where(cls_flat == CANC, 1.0 - bvtv, 1.0)


def pore_resistance(cls_flat: np.ndarray, hu_flat: np.ndarray, flow_cfg: dict, exponent: float) -> np.ndarray:
    """Relative pore-throat resistance of each voxel from its own CT number (1 outside cancellous bone).

    ``s = BV/TV / (1 - BV/TV)`` with BV/TV as in :func:`trabecular_porosity`: at a constant
    trabecular thickness the marrow space is ``Tb.Sp = Tb.Th (1 - BV/TV) / (BV/TV)`` (Parfitt's plate
    model, Parfitt et al. 1983, *J Clin Invest* 72:1396), and the pressure cement needs to enter a
    pore falls as its width grows (capillary entry pressure ~ 1 / width), so ``s`` is in proportion
    to the resistance.  Returned as ``(s / s_gm) ** exponent``, ``s_gm`` the geometric mean over the
    cancellous voxels: the patient's denser and sparser bone is redistributed around the flow's own
    resistance level, which the leak calibration set.

    Parameters
    ----------
    cls_flat, hu_flat : ndarray (N,)
        Flow classes and CT numbers (HU) of the crop's voxels.
    flow_cfg : dict
        ``[flow]`` of the asset file (``bvtv_*``).
    exponent : float
        Power of the ratio (0: all ones).
    """
    out = np.ones(np.shape(cls_flat), np.float64)
    canc = np.asarray(cls_flat) == CANC
    if not canc.any() or exponent == 0.0:
        return out
    bvtv = 1.0 - trabecular_porosity(np.full(int(canc.sum()), CANC, np.uint8), np.asarray(hu_flat)[canc], flow_cfg)
    s = np.log(bvtv / (1.0 - bvtv))
    out[canc] = np.exp(float(exponent) * (s - s.mean()))
    return out


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
        Fine-grid index ``(k, j, i)`` of crop voxel ``(0, 0, 0)`` (the crop has a one-voxel
        wall border that keeps neighbour offsets inside the array).
    shape : tuple
        Crop shape ``(nz, ny, nx)`` including the border.
    cls : ndarray uint8 (N,)
        :class:`FlowClass` per flat crop voxel.
    in_body : ndarray bool (N,)
        Cement here counts as inside the vertebral body.
    in_canal : ndarray bool (N,)
        Inside the canal outline (the canal, and the basivertebral vein where it was
        painted into the canal): cement here is a canal leak whatever path it took.
    capacity_mm3 : ndarray float64 (N,)
        Volume of cement the voxel holds when full (pore space; 1 voxel outside bone).
    leak_code : per-voxel int16 field (N,)
        Index into :data:`LEAK_TABLE` of where extra-osseous cement is (codes 0-19), -1
        inside the body and in walls.
    dist_outside_mm, dist_canal_mm : per-voxel float32 fields (N,)
        Distance to the body envelope and to the canal (mm).
    far : per-voxel bool field (N,)
        At least ``pe_distance_mm`` outside the envelope, or at the crop edge.

    The per-voxel fields are indexed like arrays (``dom.far[flat]``) but computed only for
    the voxels cement reaches.
    """

    def __init__(self, patient, config: dict, margin_mm: float = 8.0):
        grid = patient.volume.grid
        self.grid = grid
        self.landmarks = patient.landmarks
        dx, dy, dz = grid.spacing_xyz_mm
        sampling = grid.spacing_zyx_mm
        self.lo, sub, sub_hu = crop_to_body(patient.volume.labels, patient.volume.hu, sampling, margin_mm)
        self.shape = sub.shape
        nz, ny, nx = self.shape
        self.strides = (ny * nx, nx, 1)
        self.spacing_xyz_mm = (float(dx), float(dy), float(dz))
        #: the same in array-axis order, like ``shape`` (``sampling=`` of scipy.ndimage)
        self.spacing_zyx_mm = (float(dz), float(dy), float(dx))
        self.voxel_mm3 = float(dx * dy * dz)
        org = np.asarray(grid.origin_mm, float)      # patient mm of each crop axis
        self.x_mm = org[0] + dx * (self.lo[2] + np.arange(nx))
        self.y_mm = org[1] + dy * (self.lo[1] + np.arange(ny))
        self.z_mm = org[2] + dz * (self.lo[0] + np.arange(nz))

        cls = classify_labels(sub)
        envelope = body_envelope(sub)
        # the intra-osseous veins from the central body to each nutrient channel (communicating_veins),
        # found on the painted veins before the cleft rule and closed, like them, in its necrotic territory
        comm = np.zeros(cls.shape, bool)
        if float(config["flow"].get("communicating_veins", 0.0)):
            comm = communicating_veins(cls, envelope, float((float(self.landmarks.body_centre_mm[0]) - self.x_mm[0]) / dx))
        necrotic = necrotic_veins(cls)
        cls[necrotic] = CANC            # a cleft's necrotic territory has no patent veins
        #: vein voxels read as cancellous bone because they lie in a cleft's necrotic territory
        self.necrotic_vein_voxels = int(necrotic.sum())
        self.bridged_voxels = _join_nutrient_channels(cls, envelope, sampling)
        comm &= ~(cls == CLEFT).any(axis=0)     # closed in every column a cleft crosses
        comm &= cls == CANC
        cls[comm] = SVEIN
        #: cancellous voxels opened as the intra-osseous veins that drain the central body to the
        #: segmental nutrient channels (:func:`communicating_veins`)
        self.communicating_voxels = int(comm.sum())
        #: per voxel (flat): opened as a communicating vein
        self.communicating = comm.ravel()
        self.envelope = envelope.ravel()
        self.body_volume_ml = envelope_volume_ml(envelope, self.voxel_mm3)     # = body_volume_ml(patient)
        self.cls = cls.ravel()
        self.b_zone = self._basivertebral_exit(cls, envelope, float(config["leaks"]["b_exit_zone_mm"]))
        inside_cls = np.isin(self.cls, np.array([CANC, CLEFT, BVEIN, SVEIN], np.uint8))
        self.in_body = self.envelope & inside_cls & ~self.b_zone
        self.in_canal = (self.cls == CANAL) | ((self.cls == BVEIN) & ~self.envelope)
        self.porosity = trabecular_porosity(self.cls, sub_hu.ravel(), config["flow"])
        self.capacity_mm3 = self.porosity * self.voxel_mm3
        #: per-voxel factor on the flow's pore-throat resistance from a patient CT's own bone
        #: (:func:`pore_resistance`); None for a synthetic patient, whose texture is drawn noise
        self.resistance: np.ndarray | None = None
        if getattr(patient, "from_ct", False):
            exp_ct = float(config["flow"].get("ct_pore_resistance_exponent", 0.0))
            if exp_ct:
                self.resistance = pore_resistance(self.cls, sub_hu.ravel(), config["flow"], exp_ct)

        # Distances (mm) outside the envelope and to the canal, the far-field flag and the
        # leak codes are needed only where cement goes: evaluated per voxel on first access
        # (the same numbers as whole-crop distance transforms; see _PerVoxel, LazyDistance).
        self._pe_distance_mm = float(config["leaks"]["pe_distance_mm"])
        self._cortical_zone_mm = float(config["leaks"]["cortical_zone_mm"])
        self._d_out = LazyDistance(envelope, sampling)
        self.dist_outside_mm = _PerVoxel(cls.size, np.float32,
                                         lambda f: self._d_out.at_flat(f).astype(np.float32))
        canal = cls == CANAL
        self._canal = canal if canal.any() else None
        self._dist_canal: np.ndarray | None = None
        self._canal_tree = None
        self._canal_within: dict[float, _PerVoxel] = {}     # limit (mm) -> dist_canal_within_mm's answers
        if self._canal is not None:
            self.dist_canal_mm = _PerVoxel(cls.size, np.float32, lambda f: self._dist_canal_all()[f])
        else:
            self.dist_canal_mm = _PerVoxel(cls.size, np.float32, lambda f: np.full(f.size, np.inf, np.float32))
        self.far = _PerVoxel(cls.size, bool, self._far_of)

        # Endplate columns: the top and bottom interior voxel of every (j, i) column.
        interior = np.isin(cls, np.array([CANC, CLEFT], np.uint8)) & envelope
        has = interior.any(axis=0)
        self.col_top = np.where(has, nz - 1 - np.argmax(interior[::-1], axis=0), -1)
        self.col_bottom = np.where(has, np.argmax(interior, axis=0), nz + 1)
        self.leak_table = LEAK_TABLE
        self.leak_code = _PerVoxel(self.cls.size, np.int16, self._leak_code_of)
        self.endplate_sites, self.wall_sites = self._crack_sites(cls, envelope)
        #: distance (mm) of each endplate / wall crack site to the nearest cleft voxel (inf without a cleft)
        self.endplate_site_cleft_mm, self.wall_site_cleft_mm = self._site_cleft_distance(cls, sampling)
        self.x_left = self.x_mm >= float(self.landmarks.body_centre_mm[0])

    def _crack_sites(self, cls: np.ndarray, envelope: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flat indices of body cortex next to a disc (endplate) and next to soft tissue (outer wall).

        Where an osteoporotic fracture's micro-cracks may open (see :meth:`crack_voxels`).
        """
        cortex = (cls == WALL) & envelope
        s0, s1, _ = self.strides
        flat_cls = cls.ravel()
        idx = np.flatnonzero(cortex.ravel())
        idx = idx[(idx > s0 + s1 + 1) & (idx < cls.size - s0 - s1 - 1)]
        by_disc = np.zeros(idx.size, bool)
        by_soft = np.zeros(idx.size, bool)
        for o in (1, -1, s1, -s1, s0, -s0):
            by_disc |= flat_cls[idx + o] == DISC
            by_soft |= flat_cls[idx + o] == SOFT
        return idx[by_disc], idx[by_soft & ~by_disc]

    def _site_cleft_distance(self, cls: np.ndarray, sampling) -> tuple[np.ndarray, np.ndarray]:
        """Distance (mm) from each endplate and wall crack site to the intravertebral cleft.

        A cleft is a non-united fracture: its walls run out to the endplate and the cortex
        next to it, where the flow opens extra cracks (:class:`~.flow.FlowField`).
        """
        cleft = cls == CLEFT
        if not cleft.any():
            return np.full(self.endplate_sites.size, np.inf), np.full(self.wall_sites.size, np.inf)
        from scipy.spatial import cKDTree

        samp = np.asarray(sampling, float)
        tree = cKDTree(np.argwhere(cleft) * samp)
        out = []
        for sites in (self.endplate_sites, self.wall_sites):
            p = np.stack(np.unravel_index(sites, self.shape), axis=-1) * samp
            out.append(tree.query(p)[0] if sites.size else np.zeros(0))
        return out[0], out[1]

    def crack_voxels(self, centre: int, radius_mm: float) -> np.ndarray:
        """Body-cortex voxels within ``radius_mm`` of crop voxel ``centre`` (a micro-crack through the cortex)."""
        dz, dy, dx = self.spacing_zyx_mm
        r = [int(math.ceil(radius_mm / h)) for h in (dz, dy, dx)]
        k0, j0, i0 = np.unravel_index(centre, self.shape)
        ks, js, is_ = np.mgrid[-r[0]:r[0] + 1, -r[1]:r[1] + 1, -r[2]:r[2] + 1]
        near = (ks * dz) ** 2 + (js * dy) ** 2 + (is_ * dx) ** 2 <= radius_mm ** 2
        k, j, i = k0 + ks[near], j0 + js[near], i0 + is_[near]
        ok = (k >= 1) & (k < self.shape[0] - 1) & (j >= 1) & (j < self.shape[1] - 1) & (i >= 1) & (i < self.shape[2] - 1)
        f = k[ok] * self.strides[0] + j[ok] * self.strides[1] + i[ok]
        return f[(self.cls[f] == WALL) & self.envelope[f]]

    def _basivertebral_exit(self, cls: np.ndarray, envelope: np.ndarray, zone_mm: float) -> np.ndarray:
        """Basivertebral vein within ``zone_mm`` of the posterior wall, inside the envelope (flat bool).

        Cement that has run down the vein to its exit through the posterior cortex is a
        type B leak (FACTS 4, Yeom 2003), even before it reaches the canal.
        """
        y_wall = float(self.landmarks.posterior_wall_y_mm)
        near_wall = (self.y_mm >= y_wall - zone_mm)[None, :, None]
        return ((cls == BVEIN) & envelope & near_wall).ravel()

    # -- per-voxel fields (evaluated on demand) ---------------------------------------
    def _dist_canal_all(self) -> np.ndarray:
        """Distance (mm, float32, flat) of every crop voxel to the canal, computed once."""
        if self._dist_canal is None:
            if self._canal is None:      # no canal in the crop: every voxel is infinitely far from it
                self._dist_canal = np.full(self.cls.size, np.inf, dtype=np.float32)
                return self._dist_canal
            d = ndimage.distance_transform_edt(~self._canal, sampling=self.spacing_zyx_mm)
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
        sampling = np.array(self.spacing_zyx_mm)
        if self._dist_canal is not None or not exact_spacing(sampling):
            m = float(self.dist_canal_mm[flat].min())
            return m if m < below else np.inf
        tree, lo, hi = self._canal_kdtree()
        p = np.stack(np.unravel_index(flat, self.shape), axis=-1) * sampling
        inside = self._canal.ravel()[flat]
        if inside.any():
            return 0.0 if below > 0.0 else np.inf
        bound = float(below)
        if not np.isfinite(bound):
            # an upper bound: the exact distance of the voxel nearest the canal's bounding box
            gap = np.maximum(0.0, np.maximum(lo - p, p - hi))
            bound = float(tree.query(p[int(np.argmin(np.einsum("ij,ij->i", gap, gap)))])[0])
        ub = bound * (1.0 + 1e-9) + 1e-9
        p = p[_near_box(p, lo, hi, ub)]      # the others have no canal voxel within ub: the query's inf
        if p.size == 0:
            return np.inf
        d = tree.query(p, distance_upper_bound=ub)[0]
        m = float(np.float32(d.min()))
        return m if m < below else np.inf

    def dist_canal_within_mm(self, flat, limit_mm: float) -> np.ndarray:
        """Distance (mm, float64) of each voxel to the canal, ``inf`` beyond ``limit_mm`` (a voxel exactly at
        ``limit_mm`` keeps its distance, on both paths).

        A k-d tree query bounded by ``limit_mm`` (exact for voxels within it), so the whole
        distance transform is not needed for the heat estimate of every push.  Each voxel is
        queried once per domain and limit (the domain is shared by every model of its patient):
        the pushes of later runs read the same numbers back instead of querying again.
        """
        flat = np.asarray(flat, np.int64).ravel()
        if flat.size == 0 or self._canal is None:
            return np.full(flat.size, np.inf)
        sampling = np.array(self.spacing_zyx_mm)
        if self._dist_canal is not None or not exact_spacing(sampling):
            d = self.dist_canal_mm[flat].astype(np.float64)
            return np.where(d <= limit_mm, d, np.inf)
        limit = float(limit_mm)
        field = self._canal_within.get(limit)
        if field is None:
            field = self._canal_within[limit] = _PerVoxel(self.cls.size, np.float64,
                                                          lambda f: self._query_canal_within(f, limit))
        return field[flat]

    def _query_canal_within(self, flat: np.ndarray, limit_mm: float) -> np.ndarray:
        """The k-d tree answer of :meth:`dist_canal_within_mm` for ``flat`` (mm; 0 in the canal)."""
        if self._canal is None:
            return np.full(flat.size, np.inf)
        tree, lo, hi = self._canal_kdtree()
        p = np.stack(np.unravel_index(flat, self.shape), axis=-1) * np.array(self.spacing_zyx_mm)
        d = np.full(flat.size, np.inf)
        near = _near_box(p, lo, hi, limit_mm)     # the others have no canal voxel within the limit: inf
        if near.any():
            # scipy's bound is strict (< bound); "within" is <= here as on the whole-transform path, so the
            # bound is the next float above the limit and anything beyond the limit is inf again
            q = tree.query(p[near], distance_upper_bound=float(np.nextafter(limit_mm, np.inf)))[0]
            d[near] = np.where(q <= limit_mm, q, np.inf)
        d[self._canal.ravel()[flat]] = 0.0
        return d

    def _canal_kdtree(self):
        if self._canal_tree is None:
            from scipy.spatial import cKDTree

            pts = np.argwhere(boundary_voxels(self._canal)) * np.array(self.spacing_zyx_mm)
            self._canal_tree = (cKDTree(pts), pts.min(axis=0), pts.max(axis=0))
        return self._canal_tree

    def _edge_of(self, flat: np.ndarray) -> np.ndarray:
        """Voxels on the crop's outermost interior layer (next to the wall border)."""
        k, j, i = np.unravel_index(flat, self.shape)
        nz, ny, nx = self.shape
        return (k == 1) | (k == nz - 2) | (j == 1) | (j == ny - 2) | (i == 1) | (i == nx - 2)

    def _far_of(self, flat: np.ndarray) -> np.ndarray:
        """Cement here is far from the body (a possible embolus): ``pe_distance_mm`` out, or at the crop edge."""
        return (self.dist_outside_mm[flat] >= self._pe_distance_mm) | self._edge_of(flat)

    # -- leak classification --------------------------------------------------------
    def _leak_code_of(self, flat: np.ndarray) -> np.ndarray:
        """Index into :data:`LEAK_TABLE` of where cement in these voxels is; -1 inside the body and in walls."""
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
        key = np.full(out.size, -1, np.int32)
        key[cls == BVEIN] = _CODE_B
        key[cls == SVEIN] = _CODE_S_RIGHT + left[cls == SVEIN]
        key[cls == DISC] = 3 + (z[cls == DISC] > 0)
        key[cls == FORAMEN] = _CODE_FORAMEN_RIGHT + left[cls == FORAMEN]
        key[soft & near] = 8 + face[soft & near]
        key[soft & ~near] = 14 + face[soft & ~near]
        key[self.in_canal[out]] = _CODE_CANAL            # the canal outline wins over the vein it came by
        code[sel] = key
        return code

    def leak_code_with_route(self, flat: np.ndarray, route: np.ndarray) -> np.ndarray:
        """Leak codes of extra-osseous voxels given the venous route the cement took.

        Cement in the canal or a foramen is a canal/foramen leak whatever path it took
        (through a vein: the ``via`` codes); elsewhere cement that came through a vein
        keeps the vein's type (B, or S on the side where it is).

        Parameters
        ----------
        flat : ndarray int (M,)
            Extra-osseous crop voxels.
        route : ndarray uint8 (M,)
            :class:`~.flow.Route` of each voxel.
        """
        codes = self.leak_code[flat].astype(np.int64)
        canal = codes == _CODE_CANAL
        foramen = (codes == _CODE_FORAMEN_RIGHT) | (codes == _CODE_FORAMEN_RIGHT + 1)
        neural = canal | foramen
        for r, name in ((1, "B"), (2, "S")):
            via = route == r
            codes[via & canal] = _CODE_CANAL_VIA[name]
            fv = via & foramen
            codes[fv] = _CODE_FORAMEN_VIA[name] + (codes[fv] - _CODE_FORAMEN_RIGHT)
            rest = via & ~neural
            if name == "B":
                codes[rest] = _CODE_B
            else:
                codes[rest] = _CODE_S_RIGHT + self.x_left[flat[rest] % self.shape[2]]
        return codes

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


def _near_box(points_mm: np.ndarray, lo_mm: np.ndarray, hi_mm: np.ndarray, reach_mm: float) -> np.ndarray:
    """Mask of the points (M, 3) mm whose distance to the box ``[lo_mm, hi_mm]`` may be within ``reach_mm``.

    A point farther than ``reach_mm`` from the box is farther than that from everything in it (a k-d
    tree query bounded by ``reach_mm`` answers ``inf`` for it).  Conservative: the squared box distance
    is compared with ``reach_mm`` widened by 1e-6 relative and absolute, so rounding never drops a point
    the query would find; ``reach_mm`` inf keeps every point.
    """
    gap = np.maximum(0.0, np.maximum(lo_mm - points_mm, points_mm - hi_mm))
    r = float(reach_mm) * (1.0 + 1e-6) + 1e-6
    return np.einsum("ij,ij->i", gap, gap) <= r * r


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


def communicating_veins(cls: np.ndarray, envelope: np.ndarray, centre_i: float) -> np.ndarray:
    """Open, on each side, the intra-osseous vein from the central body to the segmental nutrient channel.

    The basivertebral veins lie in large tortuous channels in the substance of the body and
    communicate through small openings on the front and sides of the bodies with the external
    vertebral venous plexus (Gray's Anatomy, 20th ed. 1918, "The Veins of the Vertebral Column");
    the body's marrow drains both ways, back to the basivertebral foramen and out to the segmental
    veins through those openings.  The anatomy paints the two ends (the basivertebral radicle ending in
    the central body, the nutrient channel under the lateral cortex, docs/anatomy.md) but not the
    channel between them, so cement could reach a segmental vein only where the paste mass itself
    grew to the lateral cortex: in a wide lumbar body it never did (docs/cement.md, round 10).  Per
    side (``x`` index relative to ``centre_i``), the straight segment from the most lateral
    intra-osseous basivertebral voxel to the nearest intra-osseous segmental voxel is opened as
    segmental vein (its centre line and the six face neighbours, about 1.5 mm across), cancellous
    voxels only.  Its geometry is the body's own: both ends scale with the body (the radicle ends at
    a fixed fraction of the half-width, the channel 3 mm under the outline), with no parameter.
    Cement that enters it is in the segmental system (it runs to the foramen, not to the canal).

    Parameters
    ----------
    cls : ndarray uint8, shape (nz, ny, nx)
        Flow classes (:func:`classify_labels`); not modified.
    envelope : ndarray bool, same shape
        The body envelope (:func:`body_envelope`).
    centre_i : float
        The body's midline as a (fractional) index along axis 2 (x).

    Returns
    -------
    ndarray bool, same shape
        The voxels to open (none where either end is missing, e.g. a patient CT).
    """
    bv = np.argwhere((cls == BVEIN) & envelope)
    sv = np.argwhere((cls == SVEIN) & envelope)
    opened = np.zeros(cls.shape, bool)
    if bv.size == 0 or sv.size == 0:
        return opened
    for sign in (1.0, -1.0):
        b_side = bv[sign * (bv[:, 2] - centre_i) > 0]
        s_side = sv[sign * (sv[:, 2] - centre_i) > 0]
        if b_side.size == 0 or s_side.size == 0:
            continue
        off = sign * (b_side[:, 2] - centre_i)
        a = b_side[off == off.max()].mean(axis=0)
        b = s_side[np.argmin(((s_side - a) ** 2).sum(axis=1))].astype(float)
        steps = int(np.ceil(np.abs(b - a).max() * 2)) + 1
        line = np.rint(a + (b - a) * np.linspace(0.0, 1.0, steps)[:, None]).astype(int)
        for o in ((0, 0, 0), (1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)):
            q = np.clip(line + o, 1, np.asarray(cls.shape) - 2)
            q = q[(cls[q[:, 0], q[:, 1], q[:, 2]] == CANC) & envelope[q[:, 0], q[:, 1], q[:, 2]]]
            opened[q[:, 0], q[:, 1], q[:, 2]] = True
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
