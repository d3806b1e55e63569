"""The cement the trainee mixes and injects: timing, flow, leaks, heat, read-outs.

:class:`CementModel` ties together the rheology (:mod:`.rheology`), the flow on the
patient's fine grid (:mod:`.flow`), the leak bookkeeping (:mod:`.leaks`) and the heat
estimate (:mod:`.heat`).  All randomness comes from the generator passed in; simulated
time comes only from the ``t_s`` arguments.  See docs/cement.md.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from trainer.core.errors import ActionRefused, ParameterError
from trainer.core.procedure.cement.clock import seconds_since_mix
from trainer.core.procedure.cement.domain import CLEFT, LEAK_TYPES, NEURAL_TYPES, domain_for
from trainer.core.procedure.cement.flow import FlowField
from trainer.core.procedure.cement.heat import canal_heat_weight, canal_wall_temperature_c, peak_body_temperature_c
from trainer.core.procedure.cement.leaks import Leak, LeakBook
from trainer.core.scenario.rheology import CementProduct, Rheology, get_product, load_config
from trainer.core.xray.geometry import view_of
from trainer.core.xray.shapes import CementDeposit

__all__ = ["CementModel", "InjectionResult", "MAX_STEP_ML"]

MAX_STEP_ML = 10.0          #: largest single push accepted (mL)


@dataclass(frozen=True)
class InjectionResult:
    """Outcome of one :meth:`CementModel.inject` call.

    Attributes
    ----------
    delivered_ml : float
        Cement that left the cannula (less than asked when the cement has nowhere to go).
    phase : str
    viscosity_pa_s : float
    new_leaks : list of Leak
        Leaks that became reportable during this push.
    refused_reason : str or None
        Why nothing was injected (state unchanged), or None.
    flags : tuple of str
        ``'overfill'`` when this push took the total to ``overfill_ml`` (7 mL) or more;
        ``'stalled'`` when the cement had nowhere to go.
    """

    delivered_ml: float
    phase: str
    viscosity_pa_s: float
    new_leaks: list = field(default_factory=list)
    refused_reason: str | None = None
    flags: tuple = ()

    @property
    def accepted(self) -> bool:
        return self.refused_reason is None


class CementModel:
    """One batch of cement and everything it has done in the patient.

    Parameters
    ----------
    patient : trainer.core.anatomy.patient.Patient
    product : CementProduct or str
        A product object or its name in ``assets/cement_products.toml``.
    rng : numpy.random.Generator
        Seeded generator (trabecular noise, vein patency); ``None`` means seed 0.
    overrides : dict, optional
        Scenario overrides of product fields (``runny_until_min``,
        ``injectable_until_min``, ``peak_temperature_c``, ...) and ``temperature_c``
        (cement temperature, 20-45 C, default 37 C).
    """

    def __init__(self, patient, product: CementProduct | str = "default", rng: np.random.Generator | None = None,
                 overrides: dict | None = None):
        self.config = load_config()
        ov = dict(overrides or {})
        temperature_c = ov.pop("temperature_c", None)
        prod = get_product(product) if isinstance(product, str) else product
        self.product = prod.with_overrides(ov)
        self.rheology = Rheology(self.product, temperature_c, self.config)
        self.patient = patient
        self.domain = domain_for(patient, self.config)
        rng = rng if rng is not None else np.random.default_rng(0)
        self.flow = FlowField(self.domain, self.config["flow"], rng)
        self.book = LeakBook(self.domain.leak_table, self.config["leaks"])
        # venous cement this far along a vein (weighted path units of the flow) has left the vertebra
        self._pe_path = float(self.config["leaks"]["pe_vein_path_mm"]) * self.flow.vein_path_factor
        self.mixed_t_s: float | None = None
        self.batches = 0
        self._injected_mm3 = 0.0
        self._in_body_mm3 = 0.0
        self._leaked_mm3 = 0.0
        self._eta_mm3 = 0.0                   # viscosity x delivered volume (the deposit's drawing only)
        #: leak code (index into LEAK_TABLE) of every extra-osseous voxel holding cement, else -1
        self._voxel_code = np.full(self.domain.cls.size, -1, np.int16)
        self._post_j = -1                     # most posterior in-body cement (crop j index)
        self._x_lo = math.inf
        self._x_hi = -math.inf
        self._sup = False
        self._inf = False
        self._canal_mm = math.inf
        self._canal_local_mm3 = 0.0           # cement near the canal, weighted by how much heat reaches it
        self._canal_source_mm3 = 0.0          # cement within source_zone_mm of the canal (the heat source there)
        self.overfill = False
        self.steps = 0

    # -- timing ----------------------------------------------------------------------
    def mix(self, t_s: float) -> None:
        """Start the cement clock at ``t_s``; a new batch is allowed once the last one set."""
        if self.mixed_t_s is not None and self.phase(t_s) != "set":
            raise ActionRefused(f"cement already mixed {self.minutes_since_mix(t_s):.1f} min ago")
        self.mixed_t_s = float(t_s)
        self.batches += 1

    def _since(self, t_s: float) -> float | None:
        """Seconds since mixing (:func:`~trainer.core.procedure.cement.clock.seconds_since_mix`: to the
        microsecond), None before mixing."""
        if self.mixed_t_s is None or t_s < self.mixed_t_s:
            return None
        return seconds_since_mix(t_s, self.mixed_t_s)

    def minutes_since_mix(self, t_s: float) -> float | None:
        """Minutes since mixing, or None before mixing."""
        s = self._since(t_s)
        return None if s is None else s / 60.0

    def phase(self, t_s: float) -> str:
        """``'unmixed'``, ``'runny'``, ``'working'``, ``'setting'`` or ``'set'``."""
        s = self._since(t_s)
        return "unmixed" if s is None else self.rheology.phase(s)

    def viscosity_pa_s(self, t_s: float) -> float:
        """Viscosity (Pa s); 0 before mixing."""
        s = self._since(t_s)
        return 0.0 if s is None else self.rheology.viscosity_pa_s(s)

    def consistency(self, t_s: float) -> str:
        """The bench check: how the cement behaves on the spatula."""
        s = self._since(t_s)
        if s is None:
            return "powder and liquid not yet mixed"
        return self.rheology.consistency(self.rheology.viscosity_pa_s(s))

    # -- injection -------------------------------------------------------------------
    def can_inject(self, t_s: float, tip_mm=None) -> tuple[bool, str | None]:
        """Whether cement can be pushed now (and out of a cannula at ``tip_mm``)."""
        s = self._since(t_s)
        if s is None:
            return False, "the cement has not been mixed"
        if not self.rheology.injectable(s):
            if self.rheology.phase(s) == "set":
                return False, f"the cement has set ({s / 60.0:.1f} min after mixing)"
            return False, f"the cement is too stiff to extrude ({s / 60.0:.1f} min after mixing: doughy)"
        if tip_mm is not None and self._tip_voxel(tip_mm) is None:
            f = self.domain.flat_of_mm(tip_mm)
            if f is None:
                return False, "the cannula tip is not in or next to the vertebral body"
            return False, "the cannula tip is blocked by cortical bone"
        return True, None

    def _tip_voxel(self, tip_mm) -> int | None:
        f = self.domain.flat_of_mm(tip_mm)
        return None if f is None else self.domain.nearest_open(f, radius_vox=3)

    def inject(self, volume_ml: float, tip_mm, t_s: float) -> InjectionResult:
        """Push ``volume_ml`` out of the cannula tip at ``tip_mm`` (x, y, z mm) at time ``t_s``.

        A refusal (unmixed, too stiff, set, tip in bone or outside) returns a result with
        ``refused_reason`` set and changes nothing.
        """
        if isinstance(volume_ml, bool) or not isinstance(volume_ml, (int, float)) or not (
                0.0 < float(volume_ml) <= MAX_STEP_ML):
            raise ParameterError("inject.ml", volume_ml, f"more than 0 and at most {MAX_STEP_ML} mL")
        tip = np.asarray(tip_mm, float)
        if tip.shape != (3,) or not np.all(np.isfinite(tip)):
            raise ParameterError("inject.tip_mm", tip_mm, "three finite coordinates (x, y, z) in mm")
        eta = self.viscosity_pa_s(t_s)
        phase = self.phase(t_s)
        ok, reason = self.can_inject(t_s, tip)
        if not ok:
            return InjectionResult(0.0, phase, eta, [], reason)
        dom = self.domain
        tip_voxel = self._tip_voxel(tip)
        if tip_voxel is None:            # can_inject checked it; kept explicit for the type
            return InjectionResult(0.0, phase, eta, [], "the cannula tip is not in or next to the vertebral body")
        step = self.flow.inject(1000.0 * float(volume_ml), tip_voxel, eta)
        self.steps += 1
        flat, added = step.flat, step.added_mm3
        inside = self.flow.in_body[flat]
        self._injected_mm3 += step.delivered_mm3
        self._eta_mm3 += eta * step.delivered_mm3
        self._in_body_mm3 += float(added[inside].sum())
        self._leaked_mm3 += float(added[~inside].sum())
        out = flat[~inside]
        far = dom.far[out] | (self.flow.vent_along[out] >= self._pe_path)
        codes = self._leak_codes(out)
        self._voxel_code[out] = codes
        new_codes = self.book.add(codes, added[~inside], far, t_s)
        self._update_geometry(flat[inside], flat)
        heat = self.config["heat"]
        zone_mm = float(heat["source_zone_mm"])
        d = dom.dist_canal_within_mm(flat, max(zone_mm, 8.0 * float(heat["decay_mm"])))
        self._canal_local_mm3 += float(np.dot(added, canal_heat_weight(d, heat)))
        self._canal_source_mm3 += float(added[d <= zone_mm].sum())
        flags = []
        limit = 1000.0 * float(self.config["leaks"]["overfill_ml"])
        if not self.overfill and self._injected_mm3 >= limit - 1e-6:
            self.overfill = True
            flags.append("overfill")
        if step.blocked:
            flags.append("stalled")
        return InjectionResult(step.delivered_mm3 / 1000.0, phase, eta,
                               [self.book.leak(c) for c in new_codes], None, tuple(flags))

    def _leak_codes(self, out: np.ndarray) -> np.ndarray:
        """Leak code of extra-osseous voxels: canal/foramen wherever it came from, else the vein it came by."""
        route = np.frombuffer(self.flow.route, np.uint8)[out] if out.size else np.zeros(0, np.uint8)
        return self.domain.leak_code_with_route(out, route)

    def _update_geometry(self, body_flat: np.ndarray, all_flat: np.ndarray) -> None:
        dom = self.domain
        if all_flat.size:
            self._canal_mm = min(self._canal_mm, dom.min_dist_canal_mm(all_flat, self._canal_mm))
        if body_flat.size == 0:
            return
        k, j, i = np.unravel_index(body_flat, dom.shape)
        bone = dom.cls[body_flat] <= CLEFT          # cancellous or cleft: not the intra-osseous veins
        if bone.any():
            self._post_j = max(self._post_j, int(j[bone].max()))
        xs = dom.x_mm[i]
        self._x_lo = min(self._x_lo, float(xs.min()))
        self._x_hi = max(self._x_hi, float(xs.max()))
        top = dom.col_top[j, i]
        bot = dom.col_bottom[j, i]
        self._sup |= bool(np.any(k >= top - 1))
        self._inf |= bool(np.any(k <= bot + 1))

    # -- read-outs -------------------------------------------------------------------
    @property
    def injected_ml(self) -> float:
        """Cement that has left the cannula (mL)."""
        return self._injected_mm3 / 1000.0

    @property
    def in_body_ml(self) -> float:
        """Cement inside the vertebral body (mL)."""
        return self._in_body_mm3 / 1000.0

    @property
    def leaked_ml(self) -> float:
        """Cement outside the body (mL), reported leaks and traces below the reporting threshold."""
        return self._leaked_mm3 / 1000.0

    def leak_volumes_ml(self) -> dict[str, float]:
        """Extra-osseous cement (mL) by leak type, each voxel counted once where it ends up.

        Keys are :data:`~.domain.LEAK_TYPES`; cement in the canal outline or a foramen is
        ``'canal'`` / ``'foramen'`` whatever path it took.  Includes traces below the
        reporting threshold, so the values sum to :attr:`leaked_ml`.
        """
        out = dict.fromkeys(LEAK_TYPES, 0.0)
        for (kind, _region, _route), v in zip(self.domain.leak_table, self.book.volume_mm3):
            out[kind] += float(v) / 1000.0
        return out

    @property
    def canal_leak_ml(self) -> float:
        """Cement inside the canal outline (mL), by any path."""
        return self.leak_volumes_ml()["canal"]

    @property
    def foramen_leak_ml(self) -> float:
        """Cement in either neural foramen (mL), by any path."""
        return self.leak_volumes_ml()["foramen"]

    @property
    def neural_leak_ml(self) -> float:
        """Cement where the cord or a root runs: canal plus foramina (mL)."""
        v = self.leak_volumes_ml()
        return sum(v[k] for k in NEURAL_TYPES)

    def leak_voxels_kji(self, types=None) -> np.ndarray:
        """Fine-grid ``(k, j, i)`` (M, 3) of the voxels holding leaked cement.

        Parameters
        ----------
        types : str or iterable of str, optional
            Only these leak types (e.g. ``('canal', 'foramen')``, or ``'B'``; a venous type
            also selects the canal/foramen cement that came through that vein).  All by default.

        The debrief pictures draw these, and the leak volumes of :meth:`leak_volumes_ml`
        and :attr:`leaks` are booked from the same codes, so picture and table agree.
        """
        flat = self.flow.occupied()
        code = self._voxel_code[flat]
        keep = code >= 0
        if types is not None:
            want = {types} if isinstance(types, str) else set(types)
            ok = np.array([(k in want) or (r in want) for k, _r, r in self.domain.leak_table], bool)
            keep &= ok[np.where(code >= 0, code, 0)]
        return self.domain.grid_kji(flat[keep]).astype(np.int64)

    @property
    def fill_fraction(self) -> float:
        """Cement inside the body / body volume (Molloy 2003 convention, FACTS 3.1)."""
        return self.in_body_ml / self.domain.body_volume_ml

    @property
    def posterior_extent_fraction(self) -> float | None:
        """Most posterior in-body cement as a depth fraction (0 posterior wall, 1 anterior); None if none."""
        if self._post_j < 0:
            return None
        y = float(self.domain.y_mm[self._post_j])
        return float(min(1.0, max(0.0, self.patient.landmarks.depth_fraction(y))))

    @property
    def crosses_midline(self) -> bool:
        """In-body cement reaches at least 1 mm past the midline on both sides."""
        cx = float(self.patient.landmarks.body_centre_mm[0])
        return self._x_lo <= cx - 1.0 and self._x_hi >= cx + 1.0

    @property
    def reaches_endplates(self) -> tuple[bool, bool]:
        """(superior, inferior): in-body cement within one voxel of each endplate."""
        return self._sup, self._inf

    @property
    def peak_temperature_c(self) -> float:
        return peak_body_temperature_c(self.in_body_ml, self.product.peak_temperature_c, self.config["heat"])

    @property
    def canal_wall_temperature_c(self) -> float:
        """Peak temperature (deg C) at the spinal-canal wall from the cement near it (FACTS 3.5)."""
        return canal_wall_temperature_c(self.product.peak_temperature_c, self._canal_local_mm3 / 1000.0,
                                        self._canal_source_mm3 / 1000.0, self.config["heat"])

    @property
    def canal_distance_mm(self) -> float:
        """Closest any cement has come to the canal (mm); 0 in it, inf before any cement."""
        return self._canal_mm

    @property
    def thermal_risk(self) -> bool:
        """More than 45 C reaches the canal wall (FACTS 3.5 simulator default)."""
        return self.canal_wall_temperature_c > float(self.config["heat"]["thermal_risk_c"])

    @property
    def leaks(self) -> list[Leak]:
        return self.book.leaks()

    @property
    def pe_risk(self) -> bool:
        return any(lk.pe_risk for lk in self.leaks)

    def mark_visible(self, view: str | None = None, pose=None, patient_roll_deg: float = 0.0) -> list[Leak]:
        """Record a shot: leaks big enough to see in this view become ``visible``.

        Give ``view`` (``'ap'``, ``'lateral'``, ``'oblique'``) or a C-arm ``pose`` (and the
        patient's roll, :func:`trainer.core.xray.geometry.view_of`).
        Returns the leaks seen for the first time.
        """
        if view is None:
            if pose is None:
                raise ParameterError("view", None, "'ap', 'lateral', 'oblique' or a pose")
            view = view_of(pose, patient_roll_deg)
        if view not in ("ap", "lateral", "oblique"):
            raise ParameterError("view", view, "'ap', 'lateral' or 'oblique'")
        return self.book.mark_visible(view)

    def deposit(self) -> CementDeposit:
        """Cement on the patient's fine grid: (k, j, i) indices, volume fraction 0..1 and the
        volume-weighted viscosity it was injected at (Pa s; the renderer's drawing reads it)."""
        flat = self.flow.occupied()
        frac = self.flow.fill[flat] * self.domain.porosity[flat]
        keep = frac > 0
        eta = self._eta_mm3 / self._injected_mm3 if self._injected_mm3 > 0 else None
        return CementDeposit(self.domain.grid_kji(flat[keep]).astype(np.int64), frac[keep].astype(np.float32), eta)

    def state_sha256(self) -> str:
        """Hash of where the cement is (replays must reproduce it exactly)."""
        flat = np.sort(self.flow.occupied())
        h = hashlib.sha256(flat.tobytes())
        h.update(np.round(self.flow.fill[flat], 9).tobytes())
        return h.hexdigest()

    def snapshot(self) -> dict:
        """JSON-safe, deterministic summary."""
        pe = self.posterior_extent_fraction
        return {
            "product": self.product.name,
            "mixed_t_s": None if self.mixed_t_s is None else round(self.mixed_t_s, 3),
            "batches": self.batches,
            "injected_ml": round(self.injected_ml, 4),
            "in_body_ml": round(self.in_body_ml, 4),
            "leaked_ml": round(self.leaked_ml, 4),
            "fill_fraction": round(self.fill_fraction, 4),
            "posterior_extent_fraction": None if pe is None else round(pe, 4),
            "crosses_midline": self.crosses_midline,
            "reaches_endplates": list(self.reaches_endplates),
            "peak_temperature_c": round(self.peak_temperature_c, 2),
            "canal_wall_temperature_c": round(self.canal_wall_temperature_c, 2),
            "thermal_risk": self.thermal_risk,
            "overfill": self.overfill,
            "pe_risk": self.pe_risk,
            "leaks": [lk.to_json() for lk in self.leaks],
            "state_sha256": self.state_sha256(),
        }
