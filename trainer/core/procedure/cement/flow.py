"""Cement spreading through bone: viscosity-stabilised invasion percolation.

Each voxel of the cropped fine grid (:class:`~.domain.CementDomain`) has a seeded,
spatially correlated log-normal resistance (pore-throat entry pressure).  Cement
enters the open voxel on its front with the lowest priority

    priority = noise * mult[class] + add[class](eta) + lambda(eta) * d_aniso(voxel, tip),

where ``d_aniso`` is the distance from the cannula tip stretched by the permeability
anisotropy (Darcy flow from a point source has ellipsoidal pressure surfaces with
semi-axes proportional to sqrt(k); FACTS 3.3, Baroud 2004: k_AP/k_SI = 0.78).  The
distance term is the viscous pressure drop that stabilises the front: runny cement
(small lambda) follows the weakest paths and fingers into veins, clefts and defects;
paste (large lambda) grows a compact, nearly ellipsoidal mass around the tip.  Walls
(cortex, pedicle, other bone) never fill.  Volume is bookkept per voxel in mm^3.
"""

from __future__ import annotations

import enum
import heapq
import math
from array import array

import numpy as np
from scipy import ndimage

from trainer.core.procedure.cement.domain import (
    BVEIN,
    CANAL,
    CANC,
    CLASS_NAMES,
    CLEFT,
    CRACK,
    DISC,
    FORAMEN,
    SOFT,
    SVEIN,
    WALL,
    CementDomain,
)

__all__ = ["FlowField", "StepResult", "VoxelState", "Route"]


class VoxelState(enum.IntEnum):
    """Where a crop voxel stands in the invasion (one byte per voxel in :attr:`FlowField.state`)."""

    OPEN = 0            #: not yet reached
    FRONT = 1           #: on the front (in the heap, or set aside with another mass)
    FILLED = 2          #: holds cement (the last one of a push may be partly full)
    BLOCKED = 3         #: wall: never fills


class Route(enum.IntEnum):
    """The venous system cement reached a voxel through (:attr:`FlowField.route`)."""

    NONE = 0
    BASIVERTEBRAL = 1
    SEGMENTAL = 2


_N_CLASSES = len(CLASS_NAMES)
_BODY_GROUP = _N_CLASSES          # "from" group of any voxel inside the body


def _transition_table() -> bytes:
    """allowed[from_group * 16 + to_class]: where cement in one tissue may go next."""
    allowed = bytearray(16 * 16)
    open_classes = (CANC, CLEFT, BVEIN, SVEIN, DISC, CANAL, FORAMEN, SOFT, CRACK)
    rules = {
        _BODY_GROUP: open_classes,
        CANC: open_classes,
        CRACK: open_classes,
        CLEFT: open_classes,
        BVEIN: (BVEIN, CANAL),              # basivertebral vein -> anterior epidural plexus
        SVEIN: (SVEIN, FORAMEN),            # segmental veins run to the foramen
        # (every group may also flow back into bone, below)
        DISC: (DISC,),
        CANAL: (CANAL, FORAMEN),
        FORAMEN: (FORAMEN, CANAL, SOFT),
        SOFT: (SOFT,),
    }
    for g, tos in rules.items():
        for c in tos:
            allowed[g * 16 + c] = 1
        for c in (CANC, CLEFT):             # anything may flow back into bone
            allowed[g * 16 + c] = 1
    return bytes(allowed)


_ALLOWED = _transition_table()


class StepResult:
    """What one injection step did: voxels touched and the volume each gained (mm^3)."""

    __slots__ = ("flat", "added_mm3", "delivered_mm3", "blocked")

    def __init__(self, flat, added_mm3, delivered_mm3, blocked):
        self.flat = flat
        self.added_mm3 = added_mm3
        self.delivered_mm3 = delivered_mm3
        self.blocked = blocked


class FlowField:
    """Cement occupancy of one domain, grown by :meth:`inject`.

    Parameters
    ----------
    domain : CementDomain
    flow_cfg : dict
        ``[flow]`` table of the asset file.
    rng : numpy.random.Generator
        The only randomness: trabecular noise and per-vein patency.
    """

    def __init__(self, domain: CementDomain, flow_cfg: dict, rng: np.random.Generator):
        self.dom = domain
        self.cfg = flow_cfg
        n = domain.cls.size
        sz, sy, sx = domain.shape
        dx, dy, dz = domain.spacing_xyz_mm
        sigma_vox = [float(flow_cfg["noise_corr_mm"]) / s for s in domain.spacing_zyx_mm]
        g = rng.standard_normal(domain.shape, dtype=np.float32)
        g = ndimage.gaussian_filter(g, sigma_vox, mode="wrap", truncate=2.5)
        g /= max(float(g.std()), 1e-6)
        noise = np.exp(float(flow_cfg["noise_sigma"]) * g).ravel().astype(np.float64)
        if domain.resistance is not None:          # a patient CT: its own denser and sparser bone
            noise *= domain.resistance
        self.noise_np = noise
        self.noise = array("d", noise.tobytes())
        tissue = flow_cfg["tissue"]
        self.class_cfg = [tissue.get(name, {"mult": 1.0, "add": 0.0, "visc_add": 0.0}) for name in CLASS_NAMES]
        # per-seed patency of each vein system (log-normal factor on its entry resistance)
        self.patency = [1.0] * _N_CLASSES
        for c in (BVEIN, SVEIN):
            s = float(self.class_cfg[c].get("patency_sigma", 0.0))
            self.patency[c] = math.exp(s * float(rng.standard_normal()))
            if rng.random() < float(self.class_cfg[c].get("closed_p", 0.0)):
                self.patency[c] = math.inf          # this vein system does not drain the body
        self.veins_open = {"B": math.isfinite(self.patency[BVEIN]), "S": math.isfinite(self.patency[SVEIN])}
        # the venous system cement reaches each voxel through (veins inside the body carry it
        # too: cement in a vein stays in the venous system)
        route = np.zeros(n, np.uint8)
        route[domain.cls == BVEIN] = Route.BASIVERTEBRAL
        route[domain.cls == SVEIN] = Route.SEGMENTAL
        self.route = bytearray(route.tobytes())
        #: cortex voxels this bone's fracture micro-cracks open (cement there is in the body)
        self.cracks = self._open_cracks(flow_cfg.get("cracks", {}), rng)
        cls = domain.cls.copy()
        cls[self.cracks] = CRACK
        in_body = domain.in_body.copy()
        in_body[self.cracks] = True
        self.in_body = in_body
        self.inb = bytes(in_body.astype(np.uint8).tobytes())
        veins = (cls == BVEIN) | (cls == SVEIN)
        self.group = bytearray(np.where(in_body & ~veins, _BODY_GROUP, cls).astype(np.uint8).tobytes())
        self.cls = bytes(cls.tobytes())
        self.state = bytearray(np.where(cls == WALL, VoxelState.BLOCKED, VoxelState.OPEN)
                               .astype(np.uint8).tobytes())
        self.fill = np.zeros(n, np.float64)
        self.heap: list[tuple[float, int]] = []
        self.partial: int | None = None
        self.filled: list[int] = []
        self.clusters = 0
        kap = float(flow_cfg["perm_ap_over_si"])
        kml = float(flow_cfg["perm_ml_over_si"])
        # distance weights (mm per voxel step, stretched by 1/sqrt(k))
        self.wx = dx / math.sqrt(kml)
        self.wy = dy / math.sqrt(kap)
        self.wz = dz
        self._eta_ref = float(flow_cfg["eta_ref_pa_s"])
        #: venous voxel -> (flat index where the cement entered the vein system, mm of vein since, weighted)
        self.vent: dict[int, tuple[int, float]] = {}
        self.vent_entry = np.full(n, -1, np.int64)   # the same, as arrays for vectorised re-prioritising
        self.vent_along = np.zeros(n, np.float64)
        self.vein_path_factor = float(flow_cfg["vein_path_factor"])
        #: the canal outline (the canal, and the basivertebral vein where it was painted into the canal)
        self.incanal = bytes(domain.in_canal.astype(np.uint8).tobytes())
        #: per-voxel entry barrier of front voxels (venous cement entering the epidural plexus)
        self.barrier = np.zeros(n, np.float64)
        # per-bone barrier of the epidural plexus: a fixed pressure venous cement must exceed to
        # leave the basivertebral vein for the canal, whatever its viscosity [T]
        s = float(flow_cfg.get("plexus_entry_sigma", 0.0))
        self.plexus_add = float(flow_cfg.get("plexus_entry_add", 0.0)) * math.exp(s * float(rng.standard_normal()))
        #: 1 for a front voxel of a vein reached from the same vein (its lumen), 0 otherwise
        self.lumen = bytearray(n)
        #: share of a vein's entry term charged along its lumen (1: on every vein voxel)
        self.lumen_entry_factor = float(flow_cfg.get("lumen_entry_factor", 1.0))
        #: the intra-osseous communicating veins (domain): their path is the painted veins' (``vein_path_factor``)
        self.comm = domain.communicating.astype(np.uint8).tobytes()
        #: mm of path per voxel step along a segmental vein outside the body (``segmental_outside_path_factor``)
        self.out_path_factor = float(flow_cfg.get("segmental_outside_path_factor", flow_cfg["vein_path_factor"]))
        # the painted veins have one calibre at every level; a larger body's veins are wider, so
        # their entry resistance is scaled by (body volume / reference) ** (-entry_size_exponent / 3)
        k = float(flow_cfg.get("entry_size_exponent", 0.0))
        ref = float(flow_cfg.get("entry_ref_body_ml", 20.0))
        self.entry_size_factor = (max(domain.body_volume_ml, 1e-3) / ref) ** (-k / 3.0) if k else 1.0

    def _open_cracks(self, crack_cfg: dict, rng: np.random.Generator) -> np.ndarray:
        """Micro-cracks of this fractured body: a Poisson number on the endplates and on the outer wall.

        An osteoporotic fracture breaks the cortex in places a CT sees and a radiograph
        does not; cement that meets a crack can reach the disc (type D) or the soft tissue
        on the cortex (type C).  Each crack opens the cortex within ``radius_mm`` of a
        random site.  Returns the flat indices opened (sorted, unique).
        """
        dom = self.dom
        radius = float(crack_cfg.get("radius_mm", 1.0))
        opened = [np.zeros(0, np.int64)]
        near = float(crack_cfg.get("cleft_mm", 0.0))
        for sites, to_cleft, key in ((dom.endplate_sites, dom.endplate_site_cleft_mm, "endplate"),
                                     (dom.wall_sites, dom.wall_site_cleft_mm, "wall")):
            n = int(rng.poisson(float(crack_cfg.get(f"{key}_mean", 0.0))))
            if n and sites.size:
                for c in rng.choice(sites, size=n, replace=True):
                    opened.append(dom.crack_voxels(int(c), radius))
            # a cleft is a non-united fracture: its walls reach the cortex next to it
            by_cleft = sites[to_cleft <= near]
            n = int(rng.poisson(float(crack_cfg.get(f"cleft_{key}_mean", 0.0)))) if by_cleft.size else 0
            if n:
                for c in rng.choice(by_cleft, size=n, replace=True):
                    opened.append(dom.crack_voxels(int(c), radius))
        return np.unique(np.concatenate(opened))

    # -- parameters that depend on viscosity ----------------------------------------
    def lam_per_mm(self, eta_pa_s: float) -> float:
        c = self.cfg
        lam = float(c["lambda_ref_per_mm"]) * (eta_pa_s / self._eta_ref) ** float(c["lambda_exponent"])
        return min(float(c["lambda_max_per_mm"]), max(float(c["lambda_min_per_mm"]), lam))

    def class_terms(self, eta_pa_s: float) -> tuple[list[float], list[float]]:
        """(mult, add) per class at this viscosity.

        ``add = add0 + visc_add * ln(eta/eta_ref) + lambda(eta) * entry_mm * (eta/eta_ref)**entry_exponent
        * patency``: the last term is an entry resistance worth ``entry_mm`` of bone at the
        reference viscosity (narrow channels resist thicker cement more), scaled per seed and,
        for the veins, by the body-size factor (``entry_size_exponent``).  Along a vein's lumen
        only ``lumen_entry_factor`` of a vein's term applies (:meth:`_lumen_add`).
        """
        r = max(eta_pa_s, 1e-6) / self._eta_ref
        ln = math.log(r)
        lam = self.lam_per_mm(eta_pa_s)
        mult, add = [], []
        for c, cc in enumerate(self.class_cfg):
            a = float(cc["add"]) + float(cc.get("visc_add", 0.0)) * ln
            entry = float(cc.get("entry_mm", 0.0))
            if entry:
                a += (lam * entry * r ** float(cc.get("entry_exponent", 0.0)) * self.patency[c]
                      * (self.entry_size_factor if c in (BVEIN, SVEIN) else 1.0))
                a = min(a, 1e9)                     # a closed vein: never cheaper than anything else
            # channels (veins) draw thin cement more strongly than pores do: the noise factor
            # falls below eta_ref as (eta/eta_ref)**mult_exponent
            m = float(cc["mult"])
            if cc.get("mult_exponent"):
                m *= min(1.0, r) ** float(cc["mult_exponent"])
            mult.append(m)
            add.append(max(0.0, a))
        return mult, add

    # -- helpers ---------------------------------------------------------------------
    def _touches_cement(self, f: int) -> bool:
        st = self.state
        s0, s1, _ = self.dom.strides
        full = VoxelState.FILLED
        return st[f] == full or any(st[f + o] == full for o in (1, -1, s1, -s1, s0, -s0))

    def _active_mask(self, tip: int) -> np.ndarray | None:
        """Filled voxels connected to ``tip`` (None when all cement is one mass)."""
        if self.clusters <= 1:
            return None
        filled = np.frombuffer(bytes(self.state), np.uint8).reshape(self.dom.shape) == VoxelState.FILLED
        lab, _ = ndimage.label(filled)
        lab = lab.ravel()
        s0, s1, _ = self.dom.strides
        ids = {int(lab[f]) for f in (tip, tip + 1, tip - 1, tip + s1, tip - s1, tip + s0, tip - s0) if lab[f]}
        return np.isin(lab, list(ids))

    def _reprioritise(self, tip: int, lam: float, mult, add, active) -> list[tuple[float, int]]:
        """Rebuild the heap for a new tip/viscosity; returns frontier entries put aside."""
        if not self.heap:
            return []
        idx = np.flatnonzero(np.frombuffer(self.state, np.uint8) == VoxelState.FRONT)
        aside: list[tuple[float, int]] = []
        if active is not None:
            s0, s1, _ = self.dom.strides
            near = np.zeros(idx.size, bool)
            for o in (1, -1, s1, -s1, s0, -s0):
                near |= active[idx + o]
            aside = [(0.0, int(f)) for f in idx[~near]]
            idx = idx[near]
        pri = self._priorities(idx, tip, lam, mult, add)
        self.heap = list(zip(pri.tolist(), idx.tolist()))
        heapq.heapify(self.heap)
        return aside

    def _priorities(self, idx: np.ndarray, tip: int, lam, mult, add) -> np.ndarray:
        dom = self.dom
        s0, s1, _ = dom.strides
        where = idx
        extra: float | np.ndarray = 0.0
        if self.vent:
            e = self.vent_entry[idx]
            has = e >= 0
            where = np.where(has, e, idx)
            extra = np.where(has, self.vent_along[idx], 0.0)
        k, r = np.divmod(where, s0)
        j, i = np.divmod(r, s1)
        tk, tr = divmod(tip, s0)
        tj, ti = divmod(tr, s1)
        d = np.sqrt(((i - ti) * self.wx) ** 2 + ((j - tj) * self.wy) ** 2 + ((k - tk) * self.wz) ** 2)
        c = dom.cls[idx]
        a = np.asarray(add)[c]
        if self.vent and self.lumen_entry_factor != 1.0:
            a = np.where(np.frombuffer(self.lumen, np.uint8)[idx].astype(bool), self._lumen_add(add)[c], a)
        return self.noise_np[idx] * np.asarray(mult)[c] + a + self.barrier[idx] + lam * (d + extra)

    def _lumen_add(self, add) -> np.ndarray:
        """The class terms along a vein's lumen: the entry term times ``lumen_entry_factor``."""
        out = np.asarray(add, np.float64).copy()
        for c in (BVEIN, SVEIN):
            out[c] = add[c] * self.lumen_entry_factor if add[c] < 1e9 else add[c]
        return out

    # -- the step --------------------------------------------------------------------
    def inject(self, volume_mm3: float, tip: int, eta_pa_s: float) -> StepResult:
        """Push ``volume_mm3`` of cement of viscosity ``eta_pa_s`` (Pa s) out at crop voxel ``tip``.

        Steps: start a new mass if the tip does not touch cement; re-prioritise the front
        for the new tip and viscosity (fronts of other masses are set aside); top up the
        partly filled voxel; invade the cheapest front voxels until the volume is placed.
        """
        lam = self.lam_per_mm(eta_pa_s)
        mult, add = self.class_terms(eta_pa_s)
        if not self._touches_cement(tip):
            self.clusters += 1
        active = self._active_mask(tip)
        aside = self._reprioritise(tip, lam, mult, add, active)
        touched: dict[int, float] = {}
        remaining = self._top_up_partial(float(volume_mm3), active, touched)
        if self.state[tip] == VoxelState.OPEN:
            self.state[tip] = VoxelState.FRONT
            heapq.heappush(self.heap, (-1.0, tip))
        plexus_mm = float(self.cfg.get("plexus_entry_mm", 0.0)) * max(eta_pa_s, 1e-6) / self._eta_ref
        remaining, blocked = self._invade(remaining, tip, lam, mult, add, touched, plexus_mm)
        self.heap.extend(aside)          # kept as front; re-prioritised on the next step
        flat = np.fromiter(touched.keys(), np.int64, len(touched))
        added = np.fromiter(touched.values(), np.float64, len(touched))
        return StepResult(flat, added, float(volume_mm3) - remaining, blocked)

    def _top_up_partial(self, remaining: float, active, touched: dict) -> float:
        """Fill the partly filled voxel first when it belongs to the mass being fed; returns what is left (mm^3)."""
        p = self.partial
        if p is None or not (active is None or active[p]):
            return remaining
        cap, fill = self.dom.capacity_mm3, self.fill
        put = min((1.0 - fill[p]) * cap[p], remaining)
        touched[p] = put
        fill[p] += put / cap[p]
        if fill[p] >= 1.0 - 1e-12:
            fill[p] = 1.0
            self.partial = None
        return remaining - put

    def _invade(self, remaining: float, tip: int, lam: float, mult, add, touched: dict,
                plexus_mm: float = 0.0) -> tuple[float, bool]:
        """Fill the cheapest front voxels until ``remaining`` mm^3 is placed; returns (left over, blocked).

        Venous cement entering the canal adds ``plexus_mm`` to its path (the epidural plexus).

        The hot loop of the model (about 2 000 voxels per 0.25 mL): plain Python on
        bytearrays and a heap, with the venous path length of new venous voxels recorded
        for :meth:`_priorities`.
        """
        dom = self.dom
        s0, s1, _ = dom.strides
        heap, state, cls, group, noise, route = self.heap, self.state, self.cls, self.group, self.noise, self.route
        vent, inb = self.vent, self.inb
        vstep = self.vein_path_factor * dom.spacing_xyz_mm[0]
        ostep = self.out_path_factor * dom.spacing_xyz_mm[0]
        comm = self.comm
        tstep = dom.spacing_xyz_mm[0]
        cap = dom.capacity_mm3
        fill = self.fill
        tk, tr = divmod(tip, s0)
        tj, ti = divmod(tr, s1)
        wx, wy, wz = self.wx, self.wy, self.wz
        allowed = _ALLOWED
        sqrt = math.sqrt
        push, pop = heapq.heappush, heapq.heappop
        offsets = (1, -1, s1, -s1, s0, -s0)
        s_open, s_front, s_full = int(VoxelState.OPEN), int(VoxelState.FRONT), int(VoxelState.FILLED)
        bvein, svein = BVEIN, SVEIN
        incanal, barrier, plexus_add = self.incanal, self.barrier, self.plexus_add
        tstep_canal = tstep + plexus_mm
        lumen = self.lumen
        ladd = self._lumen_add(add).tolist()
        newly: list[int] = []
        vnew: list[int] = []
        blocked = False
        while remaining > 1e-12:
            if not heap:
                blocked = True
                break
            _, v = pop(heap)
            room = cap[v]
            if room >= remaining:
                fill[v] = remaining / room
                touched[v] = remaining
                remaining = 0.0
                if fill[v] < 1.0 - 1e-12:
                    self.partial = v
                else:
                    fill[v] = 1.0
            else:
                fill[v] = 1.0
                touched[v] = room
                remaining -= room
            state[v] = s_full
            newly.append(v)
            row = group[v] * 16
            rv = route[v]
            for o in offsets:
                nb = v + o
                if state[nb] == s_open:
                    c = cls[nb]
                    if allowed[row + c]:
                        state[nb] = s_front
                        out_nb = not inb[nb]
                        if rv and out_nb and not route[nb]:
                            route[nb] = rv
                        b = 0.0
                        if c in (bvein, svein) or (rv and out_nb):
                            # venous route: pressure drop = tip to the vein's entry + along the path
                            # (a wide vein costs little per mm; tissue beyond it the usual amount)
                            e, a = vent.get(v, (v, 0.0))
                            if incanal[nb] and not incanal[v]:
                                # leaving the vein system for the epidural plexus (the canal outline,
                                # including the vein where it was painted into the canal)
                                a += tstep_canal
                                b = barrier[nb] = plexus_add
                            elif c in (bvein, svein):
                                a += ostep if c == svein and out_nb and not comm[nb] else vstep
                                if cls[v] == c:
                                    lumen[nb] = 1       # along the vein: its entry term is behind
                            else:
                                a += tstep
                            vent[nb] = (e, a)
                            vnew.append(nb)
                            k, r = divmod(e, s0)
                        else:
                            a = 0.0
                            k, r = divmod(nb, s0)
                        j, i = divmod(r, s1)
                        di, dj, dk = (i - ti) * wx, (j - tj) * wy, (k - tk) * wz
                        push(heap, (noise[nb] * mult[c] + (ladd[c] if lumen[nb] else add[c]) + b
                                    + lam * (sqrt(di * di + dj * dj + dk * dk) + a), nb))
        if vnew:
            ka = np.asarray(vnew, np.int64)
            self.vent_entry[ka] = [vent[f][0] for f in vnew]
            self.vent_along[ka] = [vent[f][1] for f in vnew]
        self.filled.extend(newly)
        return remaining, blocked

    # -- read-out --------------------------------------------------------------------
    def occupied(self) -> np.ndarray:
        """Flat crop indices holding cement, in filling order."""
        return np.asarray(self.filled, np.int64)
