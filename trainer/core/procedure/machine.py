"""The procedure state machine: applies actions, moves the simulated clock, emits events.

``Procedure(scenario).apply({"type": "advance", "mm": 5})`` returns an
:class:`~trainer.core.procedure.state.ActionResult`.  An action that is not allowed
now is refused with a reason and changes nothing (no time, no random draws, no state)
except that a ``refused`` event is appended to :attr:`Procedure.events`.

Randomness: one :class:`numpy.random.SeedSequence` from the seed (the scenario's seed
unless given) spawns one Generator for image noise and one for the cement, so a
replay without rendering stays identical to one with rendering.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from trainer.core.anatomy.breach import gr_grade
from trainer.core.errors import ActionRefused, ParameterError
from trainer.core.procedure import trocar as trocar_mod
from trainer.core.procedure.actions import DURATIONS, validate
from trainer.core.procedure.cement import CementModel
from trainer.core.procedure.events import Event
from trainer.core.procedure.imaging import Imager
from trainer.core.procedure.state import PHASES, ActionResult, DoseTotals
from trainer.core.procedure.walls import WallModel
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.model import Scenario
from trainer.core.xray.geometry import LATERAL, Pose

__all__ = ["Procedure"]


def _r(v, nd=4):
    return [round(float(x), nd) for x in v]


def json_safe(obj):
    """``obj`` if it serialises as strict JSON, else its repr (for refused actions)."""
    try:
        json.dumps(obj, allow_nan=False)
        return obj
    except (TypeError, ValueError):
        return repr(obj)[:500]


class Procedure:
    """One vertebroplasty, step by step.

    Parameters
    ----------
    scenario : Scenario
    seed : int, optional
        Seed of all randomness (default: the scenario's seed).
    patient : Patient, optional
        The patient; when not given, :func:`trainer.core.scenario.build.patient_for` makes it
        (the scenario's CT series, or
        ``build_patient(scenario.anatomy)``).
    render : bool
        Render images on shots (False: dose and events only; image is None).
    pixels : int, optional
        Detector size override (e.g. 128 for fast tests); default the scenario's.
    renderer : FluoroRenderer, optional
        An existing renderer for this patient and geometry, to share between procedures.
    walls : WallModel, optional
        An existing wall model for this patient, to share between procedures.
    keep_events : bool
        Keep every event in :attr:`events` and every shot hash (default).  False: each
        action's events are only in its :class:`ActionResult` (a streaming consumer such as
        the assessor scores them as they come), so memory does not grow with the number of
        actions; :meth:`snapshot` then needs the kept events and raises.

    Attributes
    ----------
    t_s : float
        Simulated seconds since the start.
    phase : str
        One of :data:`~trainer.core.procedure.state.PHASES`.
    events : list of Event
    pose : Pose
        Current C-arm pose (the active plane of a biplane system).
    trocar : Trocar or None
        The active trocar, None when none is in the patient on the active side.
    trocars : dict
        ``'left'|'right'`` -> the Trocar in that pedicle (bipedicular: both at once).
    active_side : str or None
        The side that aim, advance and inject act on (the last placed or selected).
    side_cement : dict
        ``side -> {'injected_ml', 'delivered_ml', 'leaks'}``: what was pushed through each
        side's cannula and the leak types that appeared during those pushes.
    cement : CementModel or None
        Created by ``mix``.
    dose : DoseTotals
    last_images : dict
        ``'ap'|'lateral'|'oblique'`` -> the last ShotImage in that view.
    decisions : dict
        Checklist item -> answer.
    finished : bool
    """

    def __init__(self, scenario: Scenario, seed: int | None = None, patient=None, *, render: bool = True,
                 pixels: int | None = None, renderer=None, walls: WallModel | None = None,
                 keep_events: bool = True):
        self.scenario = scenario
        self.keep_events = bool(keep_events)
        self.seed = int(scenario.seed if seed is None else seed)
        self.patient = patient if patient is not None else patient_for(scenario)
        ss = np.random.SeedSequence(self.seed)
        img_ss, cement_ss = ss.spawn(2)
        self.rng_imaging = np.random.default_rng(img_ss)
        self.rng_cement = np.random.default_rng(cement_ss)
        geom = scenario.carm.geometry if pixels is None else scenario.carm.geometry.with_pixels(pixels)
        self.imager = Imager(self.patient, geom, scenario.carm, render=render, renderer=renderer)
        self.walls = walls if walls is not None else WallModel(self.patient)
        self.t_s = 0.0
        self.phase = PHASES[0]
        self.events: list[Event] = []
        # event data of the cheap, repetitive actions (waits, C-arm moves), shared between equal
        # events so that a million-action session does not keep a million equal dicts (issue 18)
        self._shared_data: dict[str, dict] = {}
        self.biplane = bool(scenario.carm.biplane)
        start = scenario.carm.start_pose
        self._arms = {"ap": start, "lateral": LATERAL} if self.biplane else {"single": start}
        self._active = "ap" if self.biplane else "single"
        self.trocars: dict = {}
        self.active_side: str | None = None
        self.side_cement: dict = {}
        self.insertions = 0
        self.cement = None
        self.mixed_at_s: float | None = None
        self.dose = DoseTotals()
        self.last_images: dict = {}
        self.shot_hashes: list[str] = []
        self.decisions: dict = {}
        self.finished = False
        self.accepted_count = 0
        self._two_trocars = False

    # -- public -------------------------------------------------------------------------------
    @property
    def trocar(self):
        """The active trocar (None when the active side has none)."""
        return self.trocars.get(self.active_side)

    @trocar.setter
    def trocar(self, tr):
        if tr is None:
            self.trocars.pop(self.active_side, None)
        else:
            self.active_side = tr.side
            self.trocars[tr.side] = tr

    @property
    def bipedicular(self) -> bool:
        """True once a second trocar was placed or a side was selected (the session uses two)."""
        return self._two_trocars

    @property
    def pose(self) -> Pose:
        return self._arms[self._active]

    @property
    def view(self) -> str:
        """'ap', 'lateral' or 'oblique': the active arm's view of this (possibly rolled) patient."""
        return self.imager.view_of(self.pose)

    def apply(self, action) -> ActionResult:
        """Apply one action (a dict with ``type``); see docs/session-format.md."""
        try:
            a = validate(action)
            if self.finished:
                raise ActionRefused("the procedure is finished; no further actions are possible")
            t0 = self.t_s
            summary, events, image, duration = getattr(self, f"_do_{a['type']}")(a)
        except (ActionRefused, ParameterError) as exc:
            # handlers call out (trocar, cement, imaging) before they change anything, so a
            # ParameterError from a model is a refusal like any other
            reason = exc.reason if isinstance(exc, ActionRefused) else str(exc)
            ev = Event("refused", self.t_s, {"action": json_safe(action), "reason": reason})
            if self.keep_events:
                self.events.append(ev)
            return ActionResult(False, action, reason, {"reason": reason}, [ev], None, 0.0)
        self.t_s = t0 + duration
        if self.keep_events:
            self.events.extend(events)
        self.accepted_count += 1
        summary = {"t_end_s": round(self.t_s, 6), "phase": self.phase, **summary}
        return ActionResult(True, action, None, summary, events, image, duration)

    def snapshot(self) -> dict:
        """Everything that defines the state, JSON-safe (refusals do not change it).

        Raises
        ------
        RuntimeError
            For a procedure made with ``keep_events=False`` (the event history is not kept).
        """
        if not self.keep_events:
            raise RuntimeError("snapshot() needs the event history: make the Procedure with keep_events=True")
        evs = [e.to_json() for e in self.events if e.kind != "refused"]
        ev_hash = hashlib.sha256(json.dumps(evs, sort_keys=True).encode()).hexdigest()
        rng = hashlib.sha256(json.dumps([self.rng_imaging.bit_generator.state,
                                         self.rng_cement.bit_generator.state], sort_keys=True,
                                        default=str).encode()).hexdigest()
        snap = {"t_s": self.t_s, "phase": self.phase, "finished": self.finished,
                "arms": {k: p.to_json() for k, p in self._arms.items()}, "active": self._active,
                "trocar": None if self.trocar is None else self.trocar.to_json(),
                "insertions": self.insertions, "dose": self.dose.to_json(), "decisions": dict(self.decisions),
                "mixed_at_s": self.mixed_at_s, "shots": list(self.shot_hashes),
                "last_images": {k: v.sha256 for k, v in sorted(self.last_images.items())},
                "n_events": len(evs), "events_sha256": ev_hash, "rng_sha256": rng,
                "accepted": self.accepted_count}
        if self._two_trocars:
            snap["trocars"] = {k: v.to_json() for k, v in sorted(self.trocars.items())}
            snap["active_side"] = self.active_side
            snap["side_cement"] = json.loads(json.dumps(self.side_cement, sort_keys=True))
        if self.cement is not None:
            snap["cement"] = {**self.cement.snapshot(), "state_sha256": self.cement.state_sha256(),
                              "leaks": [[lk.type, lk.region, round(float(lk.volume_ml), 6), lk.visible]
                                        for lk in self.cement.leaks]}
        return snap

    # -- helpers ------------------------------------------------------------------------------
    def _advance_phase(self, phase: str):
        if PHASES.index(phase) > PHASES.index(self.phase):
            self.phase = phase

    def _trocar_event(self, t_s, delta_mm, tr, removed=False) -> Event:
        if tr is None:
            return Event("trocar_moved", t_s, {"delta_mm": round(delta_mm, 4), "depth_mm": 0.0, "tip_mm": None,
                                               "tissue": "outside", "shaft_tissues": [], "removed": True,
                                               "breach_mm": None, "grade": None, "medial_margin_mm": None})
        return Event("trocar_moved", t_s, {
            "delta_mm": round(delta_mm, 4), "depth_mm": round(tr.depth_mm, 4), "tip_mm": _r(tr.tip_mm),
            "tissue": tr.tissue, "shaft_tissues": list(tr.shaft_tissues), "removed": removed,
            "breach_mm": round(tr.max_breach_mm, 3), "grade": tr.grade,
            "medial_margin_mm": None if tr.min_medial_margin_mm is None else round(tr.min_medial_margin_mm, 3)})

    def _shared(self, key: tuple, make) -> dict:
        """The data dict for ``key``: one shared dict per distinct value (at most 4096 kept).

        The key is compared by ``repr`` so that ``1`` and ``1.0``, or ``0.0`` and ``-0.0``, which
        are equal in Python but written differently to JSON, never share a dict.  Event data
        is read-only (events are derived, never edited), so sharing it changes no output.
        """
        if not self.keep_events:          # nothing keeps the events: nothing to share
            return make()
        k = repr(key)
        data = self._shared_data.get(k)
        if data is None:
            data = make()
            if len(self._shared_data) < 4096:
                self._shared_data[k] = data
        return data

    def _wall_events(self, mv, t0, duration) -> list[Event]:
        out = []
        for c, breach in mv.crossings:
            out.append(Event("wall_crossed", round(t0 + c.fraction * duration, 6), {
                "wall": c.wall, "side": c.side, "point_mm": list(c.point_mm), "inward": c.inward,
                "breach_mm": None if breach is None else round(breach, 3),
                "grade": None if breach is None else gr_grade(breach),
                "tissue_from": c.tissue_from, "tissue_to": c.tissue_to}))
        return out

    def _breach_events(self, old, new, t_s) -> list[Event]:
        """A ``breach`` event when the worst breach of this insertion reaches a higher grade."""
        if new is None or new.grade <= (old.grade if old is not None else 0):
            return []
        return [Event("breach", t_s, {"side": new.side, "wall": new.max_breach_wall,
                                      "breach_mm": round(new.max_breach_mm, 3), "grade": new.grade,
                                      "tip_mm": _r(new.tip_mm)})]

    def _tip_summary(self) -> dict:
        tr = self.trocar
        if tr is None:
            return {"tip_mm": None, "tissue": "outside"}
        return {"tip_mm": _r(tr.tip_mm, 2), "depth_mm": round(tr.depth_mm, 3), "tissue": tr.tissue}

    # -- actions (check everything first, then mutate) ---------------------------------------
    def _do_decide(self, a):
        if PHASES.index(self.phase) >= PHASES.index("access"):
            raise ActionRefused(f"decide: checklist decisions are made before access; the procedure is in "
                                f"the {self.phase} phase")
        self.decisions[a["item"]] = a["answer"]
        ev = Event("decision", self.t_s, {"item": a["item"], "answer": a["answer"]})
        return {"item": a["item"], "answer": a["answer"]}, [ev], None, DURATIONS.decide_s

    def _do_carm(self, a):
        cur = self.pose
        if "preset" in a and self.biplane:
            switch = a["preset"] != self._active
            self._active = a["preset"]
            moved, mm, dur = 0.0, 0.0, (DURATIONS.biplane_switch_s if switch else 0.0)
            new = self.pose
        else:
            if "preset" in a:
                base = Pose(0.0, 0.0) if a["preset"] == "ap" else LATERAL
                new = Pose(base.orbital_deg, base.tilt_deg, cur.table_offset_mm)
            else:
                new = Pose(a.get("orbital_deg", cur.orbital_deg), a.get("tilt_deg", cur.tilt_deg),
                           a.get("table_offset_mm", cur.table_offset_mm))
            moved = abs(new.orbital_deg - cur.orbital_deg) + abs(new.tilt_deg - cur.tilt_deg)
            mm = float(np.linalg.norm(np.subtract(new.table_offset_mm, cur.table_offset_mm)))
            dur = DURATIONS.carm_s(moved, mm)
            self._arms[self._active] = new
        self._advance_phase("alignment")
        view = self.imager.view_of(new)
        moved_deg, moved_mm = round(moved, 4), round(mm, 3)
        data = self._shared(("carm_moved", new.orbital_deg, new.tilt_deg, new.table_offset_mm, view, moved_deg,
                             moved_mm),
                            lambda: {"pose": new.to_json(), "view": view, "moved_deg": moved_deg, "moved_mm": moved_mm})
        ev = Event("carm_moved", self.t_s + dur, data)
        return {"pose": new.to_json(), "view": view}, [ev], None, dur

    def _do_shot(self, a):
        t_shot = self.t_s + DURATIONS.shot_s(a["pulses"], a["fluoro_s"], a.get("continuous", False))
        index = self.dose.shots + 1
        # the cement deposit only shapes the image: not needed for the dose when not rendering
        deposit = (self.cement.deposit() if self.imager.render and self.cement is not None
                   and self.cement.injected_ml > 0 else None)
        # every trocar in the patient is drawn, left then right (one trocar: exactly as before)
        drawn = [self.trocars[k] for k in sorted(self.trocars)]
        drawn = drawn[0] if len(drawn) == 1 else (drawn or None)
        field = tuple(a["field_mm"]) if "field_mm" in a else None
        shot = self.imager.shoot(self.pose, a["pulses"], drawn, deposit, self.rng_imaging, index, t_shot,
                                 field_mm=field, iris_mm=a.get("iris_mm"))
        d = shot.dose
        self.dose.add(d)
        if self.keep_events:
            self.shot_hashes.append(shot.sha256)
        if shot.image is not None:
            self.last_images[shot.image.view] = shot.image
        self._advance_phase("alignment")
        seen = self.cement.mark_visible(shot.view) if self.cement is not None else []
        tip = None if self.trocar is None else _r(self.trocar.tip_mm)
        data = {"index": index, "view": shot.view, "pose": self.pose.to_json(), "pulses": int(d.pulses),
                "entrance_kerma_mgy": round(float(d.entrance_kerma_mgy), 6),
                "dap_gycm2": round(float(d.dap_gycm2), 8), "fluoro_s": round(float(d.fluoro_s), 4),
                "tip_mm": tip, "cement_ml": 0.0 if self.cement is None else round(self.cement.injected_ml, 4),
                "image_sha256": shot.sha256,
                # one exposure = one pedal press or single shot; a continuous shot extends a held run
                "continuous": bool(a.get("continuous", False))}
        evs = [Event("shot", t_shot, data)]
        evs += [Event("leak_seen", t_shot, {"type": lk.type, "region": lk.region, "view": shot.view,
                                            "volume_ml": round(float(lk.volume_ml), 6)}) for lk in seen]
        summary = {k: data[k] for k in ("index", "view", "pulses", "entrance_kerma_mgy", "dap_gycm2",
                                        "image_sha256")}
        return summary, evs, shot.image, t_shot - self.t_s

    def _do_place(self, a):
        if a["side"] in self.trocars:
            raise ActionRefused(f"place: the {a['side']} trocar is already in the patient; withdraw it fully "
                                "(advance with negative mm) before placing again on that side")
        mv = trocar_mod.place(self.walls, a["side"], a["entry_mm"], a["target_mm"], a["gauge"], a["length_mm"])
        tr = mv.trocar
        if self.trocars:                  # the other side's trocar stays in its pedicle
            self._two_trocars = True
        self.trocar = tr                  # the placed trocar becomes the active one
        self.insertions += 1
        self._advance_phase("access")
        dur = DURATIONS.place_s
        ev = Event("trocar_placed", self.t_s + dur, {
            "side": tr.side, "gauge": tr.gauge, "outer_diameter_mm": tr.outer_diameter_mm, "length_mm": tr.length_mm,
            "entry_mm": list(a["entry_mm"]),
            "target_mm": list(a["target_mm"]), "skin_mm": list(tr.skin_mm), "direction": _r(tr.direction, 6),
            "insertion": self.insertions})
        return {"side": tr.side, "gauge": tr.gauge, **self._tip_summary()}, [ev], None, dur

    def _need_trocar(self, what):
        if self.trocar is None:
            raise ActionRefused(f"{what}: no trocar is in the patient; place one first")

    def _do_select(self, a):
        side = a["side"]
        if side not in self.trocars:
            have = ", ".join(sorted(self.trocars)) or "none"
            raise ActionRefused(f"select.side = {side!r}: no trocar is in the {side} pedicle (in the patient: {have})")
        dur = DURATIONS.select_s
        self._two_trocars = True
        self.active_side = side
        tr = self.trocar
        ev = Event("trocar_selected", self.t_s + dur, {"side": side, "tip_mm": _r(tr.tip_mm), "tissue": tr.tissue})
        return {"side": side, **self._tip_summary()}, [ev], None, dur

    def _do_aim(self, a):
        self._need_trocar("aim")
        old = self.trocar
        mv, change, redirection = trocar_mod.aim(self.walls, old, a["direction"])
        dur = DURATIONS.aim_s
        self.trocar = mv.trocar
        evs = self._wall_events(mv, self.t_s, dur) + self._breach_events(old, mv.trocar, self.t_s + dur)
        tr = self.trocar
        evs.append(Event("trocar_aimed", self.t_s + dur, {
            "direction": _r(tr.direction, 6), "change_deg": round(change, 4), "redirection": redirection,
            "tip_mm": _r(tr.tip_mm), "tissue": tr.tissue}))
        return {"change_deg": round(change, 3), "redirection": redirection, **self._tip_summary()}, evs, None, dur

    def _do_advance(self, a):
        self._need_trocar("advance")
        old = self.trocar
        mv = trocar_mod.move(self.walls, old, a["mm"])
        delta = (mv.trocar.depth_mm if mv.trocar is not None else 0.0) - old.depth_mm
        dur = DURATIONS.advance_s(delta, mv.bone_mm)
        evs = self._wall_events(mv, self.t_s, dur) + self._breach_events(old, mv.trocar, self.t_s + dur)
        self.trocar = mv.trocar
        evs.append(self._trocar_event(self.t_s + dur, delta, mv.trocar))
        return {"delta_mm": round(delta, 4), "removed": mv.trocar is None, **self._tip_summary()}, evs, None, dur

    def _do_mix(self, a):
        if self.cement is None:
            cement = CementModel(self.patient, self.scenario.cement_product, self.rng_cement,
                                 overrides=getattr(self.scenario, "cement_overrides", None))
        else:
            cement = self.cement
        cement.mix(self.t_s)              # raises ActionRefused (unchanged) while a batch is unset
        self.cement = cement
        self.mixed_at_s = self.t_s
        self._advance_phase("cement")
        ev = Event("cement_mixed", self.t_s, {"product": self.scenario.cement_product, "batch": cement.batches})
        return {"product": self.scenario.cement_product, "batch": cement.batches}, [ev], None, DURATIONS.mix_s

    def _do_wait(self, a):
        ev = Event("waited", self.t_s + a["s"], self._shared(("waited", a["s"]), lambda: {"s": a["s"]}))
        return {"s": a["s"]}, [ev], None, a["s"]

    def _do_inject(self, a):
        if self.cement is None:
            raise ActionRefused("inject: mix the cement first")
        self._need_trocar("inject")
        tip = np.asarray(self.trocar.tip_mm, float)
        ok, why = self.cement.can_inject(self.t_s, tip)
        if not ok:
            raise ActionRefused(f"inject: {why}")
        dur = DURATIONS.inject_s(a["ml"])
        res = self.cement.inject(a["ml"], tip, self.t_s)
        if not res.accepted:              # the model refused without changing anything
            raise ActionRefused(f"inject: {res.refused_reason}")
        c = self.cement
        # per-side bookkeeping (in the snapshot once two trocars are used)
        sc = self.side_cement.setdefault(self.active_side, {"injected_ml": 0.0, "delivered_ml": 0.0, "leaks": []})
        sc["injected_ml"] = round(sc["injected_ml"] + float(a["ml"]), 6)
        sc["delivered_ml"] = round(sc["delivered_ml"] + float(res.delivered_ml), 6)
        sc["leaks"] += [lk.type for lk in res.new_leaks]
        self._advance_phase("injection")
        evs = [Event("cement_injected", self.t_s + dur, {
            "ml": a["ml"], "delivered_ml": round(res.delivered_ml, 6), "tip_mm": _r(tip), "phase": res.phase,
            "viscosity_pa_s": round(float(res.viscosity_pa_s), 6), "injected_ml": round(c.injected_ml, 6),
            "in_body_ml": round(c.in_body_ml, 6), "leaked_ml": round(c.leaked_ml, 6),
            "posterior_extent_fraction": None if c.posterior_extent_fraction is None
            else round(float(c.posterior_extent_fraction), 6),
            "flags": list(res.flags)})]
        for lk in res.new_leaks:
            evs.append(Event("leak", self.t_s + dur, {"type": lk.type, "region": lk.region,
                                                      "volume_ml": round(float(lk.volume_ml), 6),
                                                      "first_t_s": float(lk.first_t_s), "pe_risk": lk.pe_risk}))
        summary = {"ml": a["ml"], "phase": res.phase, "injected_ml": round(c.injected_ml, 4),
                   "leaked_ml": round(c.leaked_ml, 4),
                   # each leak once, by type and site: two cortices breached in one push are both type 'C'
                   "new_leaks": [{"type": lk.type, "region": lk.region} for lk in res.new_leaks]}
        return summary, evs, None, dur

    def _do_finish(self, a):
        self.finished = True
        self.phase = "finished"
        ev = Event("finished", self.t_s, {})
        return {"shots": self.dose.shots, "dap_gycm2": round(self.dose.dap_gycm2, 6)}, [ev], None, DURATIONS.finish_s
