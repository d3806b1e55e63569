"""The one scripted expert procedure: a parametrised plan that reads the session as it goes.

:class:`ExpertPlan` holds the knobs; its defaults are the clean expert (FACTS.md 2-4):
every checklist item answered as the chart requires; a squared AP and lateral; a
transpedicular trocar along the expert line (:func:`~trainer.core.procedure.plans.expert_line`)
to the anterior third, with an AP and a lateral check at the skin, in the pedicle, past the
posterior wall and at the target; cement mixed on reaching the body and injected in its
working phase in 0.5 mL pushes, with a lateral check after each push and an AP check after
about every 1 mL, stopping early if the lateral shows cement near the posterior quarter; the
trocar withdrawn; finish.  Each other field changes one thing (an error to
score, or a style a caller needs).

:func:`expert_steps` is the planner: a generator of :class:`PlanStep` (a phase name and one
action for :meth:`Procedure.apply`) that is sent back whether each action was accepted and
reads a :class:`PlanState` (trocar tip and depth, time since mixing, the cement's posterior
extent, visible leaks, shots) before every decision, so the advances, the wait and the stop
follow what the session really did.  Its callers:

- :func:`play_expert` plays it on a Procedure or a LiveSession (scoring tests, the validity
  check :func:`trainer.core.scoring.validity.play`, benchmarks);
- :func:`expert_actions` / :func:`bipedicular_expert_actions` predict the whole list without
  a session (the plan's own bookkeeping: no clock and no cement read-outs, so it waits the
  whole interval and never stops early);
- the GUI driver (:mod:`trainer.ui.demo`) reads the state from what the window shows and turns
  each step into key presses and clicks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field

import numpy as np

from trainer.core.anatomy.endplates import endplate_inclinations_deg
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.patient import Patient
from trainer.core.errors import ParameterError
from trainer.core.procedure.plans import TARGET_DEPTH_FRACTION, expert_line, working_phase_s
from trainer.core.procedure.tissue import BODY_LABELS, labels_at
from trainer.core.procedure.trocar import DEFAULT_GAUGE, DEFAULT_LENGTH_MM, GAUGES_MM, LENGTH_RANGE_MM, find_skin
from trainer.core.procedure.true_ap_orbital import true_ap_orbitals_deg
from trainer.core.scenario.checklist import CHECKLIST_ITEMS

__all__ = ["ExpertPlan", "PlanStep", "PlanState", "PHASES", "expert_steps", "procedure_state", "drive",
           "play_expert", "expert_actions", "bipedicular_expert_actions", "ap_lateral_orbitals", "squaring_tilt_deg"]

#: The plan's phases in order (a :class:`PlanStep` names the one its action belongs to).
PHASES = ("checklist", "align", "access", "cement", "withdraw", "end")
#: The longest single ``wait`` action (s; docs/session-format.md).
_MAX_WAIT_S = 3600.0
#: Aim turn of one redirection (deg about the vertical).
_REDIRECT_DEG = 1.5
#: How far behind the pedicle entry a medially mis-aimed line starts (mm; only the direction matters).
_ERROR_LINE_BACK_MM = 60.0
_EPS = 1e-9
#: The plan picks a trocar that reaches 10 mm past its deepest point, but takes the longest one
#: while it still reaches this far past it (mm): on the abdominal CT's deep back (100-105 mm from
#: the body centre to the skin) the 15 deg too-medial line to L3 left meets the skin 141 mm from its target.
#: A clean plan whose target lies deeper than that is refused (the patient is too deep for the longest trocar,
#: FACTS.md 2: 10-15 cm); a mis-aimed plan (a medial error, a target moved laterally), whose line runs longer
#: than the expert's, takes the longest trocar and is advanced only as far as that reaches: the abdominal CT's
#: L4 left 15 deg too-medial line, from a pedicle centre a 3 mm row forward, meets the skin 146 mm from its
#: target and was refused, though it enters the canal long before it (issue 12, round 8)
_MIN_RESERVE_MM = 5.0
#: Where the clean expert may move its target along its line (depth fractions: the front of the
#: middle third and the target zone, FACTS.md 2 and the seed) when the planned one is not in bone
#: labelled cancellous: cement pushed into cortex stalls (issue 12: a real T8's target lay in
#: bone labelled cortex inside the body and no cement went in)
_CANCELLOUS_DEPTHS = (0.55, 0.88)
#: Where the target zone (the anterior third) begins (depth fraction; FACTS.md 2).
TARGET_ZONE_FROM = 0.67
#: The target and the points this far (mm) from it across the line must all be inside the body
#: and not its cortex (cancellous bone, a cleft, the basivertebral vein's territory).
_CANCELLOUS_CLEARANCE_MM = 1.5
_INSIDE_BODY = [int(v) for v in BODY_LABELS if v != Label.BODY_CORTEX]


@dataclass(frozen=True)
class ExpertPlan:
    """Parameters of the scripted expert; the defaults are the clean expert.

    Attributes
    ----------
    sides : tuple of str
        ``("left",)`` unipedicular, ``("left", "right")`` bipedicular (both trocars in, then
        half the cement through each, the cannulas taking turns push by push, the last placed
        first; the first stop the lateral shows ends both).
    answers : mapping or None
        Checklist answers, item -> answer (None: the chart's).  Items missing are left
        unanswered; the procedure goes ahead when the answered (or else the chart's) candidacy
        is ``proceed``.
    volume_ml : float
        Cement to inject in all (mL), split evenly between the sides.
    ap_offset_deg : float
        The AP before and during access is this far from true (deg orbital).
    ap_tilt_deg : float or None
        Cranio-caudal tilt of every AP (deg; None: :func:`squaring_tilt_deg` of the endplates
        measured on the patient, 0 where the span of their inclinations holds 0).  The lateral
        is taken untilted.
    extra_exposures : int
        Single-pulse exposures added after aligning.
    held_fluoro_s : float
        Seconds of held fluoroscopy added after aligning (10 s per action).
    idle_s : float
        Simulated seconds lost before access.
    target_depth : float
        Depth fraction of the body (0 posterior wall, 1 anterior) the tip is advanced to; a
        clean target (0.55-0.88, no medial or lateral error) not clear of the body's cortex
        moves along the line to the nearest clear depth (:meth:`_Planner.depth`).
    target_x_offset_mm : float
        The target moved laterally (away from the midline), mm.
    medial_error_deg : float
        The aim turned medially about the pedicle's entry point, deg.  Where the turned line's
        target lies beyond the longest trocar's reach the trocar stops there
        (:data:`_MIN_RESERVE_MM`).
    length_mm : float or None
        Trocar length (None: the default, or the next 10 mm that reaches 10 mm past the target).
    step_mm : float or None
        None: advance from check to check; else in steps this long with a shot after each.
    overshoot_depth : float or None
        Advance to this depth fraction before coming back to the target.
    redirections : int
        Aim corrections of +/-1.5 deg in the pedicle.
    wait_s : float or None
        Seconds from mixing to the first push (None: the working phase plus ``wait_margin_s``).
    wait_margin_s : float
        Seconds into the working phase of the first push when ``wait_s`` is None.
    push_ml : float
        One push (mL).
    ap_check_ml : float or None
        An AP check after about every this many mL and after the last push (None: none).
    stop_depth : float or None
        Stop injecting when the lateral shows cement this close to the posterior wall (depth
        fraction; None: never).
    stop_on_leak : bool
        Stop injecting when a leak is visible (the validity expert does; by default the plan
        injects its volume through a small leak).
    withdraw_per_ml : float
        Pull the cannula back this many mm after each whole mL (fills from front to back).
    withdraw_to_depth : float or None
        After half the cement, pull the tip back to this depth fraction.
    last_push_depth : float or None
        Before the last push, pull the tip back to this depth fraction.
    last_push_ml : float or None
        The last push is this much cement (mL; None: an ordinary ``push_ml`` push).
    pad_shots_to : int
        Shots taken before the end until there are this many.
    withdraw_at_end : bool
        Withdraw every trocar before finishing.
    """

    sides: tuple[str, ...] = ("left",)
    answers: Mapping[str, str] | None = None
    volume_ml: float = 3.0
    ap_offset_deg: float = 0.0
    ap_tilt_deg: float | None = None
    extra_exposures: int = 0
    held_fluoro_s: float = 0.0
    idle_s: float = 0.0
    target_depth: float = TARGET_DEPTH_FRACTION
    target_x_offset_mm: float = 0.0
    medial_error_deg: float = 0.0
    length_mm: float | None = None
    step_mm: float | None = None
    overshoot_depth: float | None = None
    redirections: int = 0
    wait_s: float | None = None
    wait_margin_s: float = 15.0
    push_ml: float = 0.5
    ap_check_ml: float | None = 1.0
    stop_depth: float | None = 0.30
    stop_on_leak: bool = False
    withdraw_per_ml: float = 0.0
    withdraw_to_depth: float | None = None
    last_push_depth: float | None = None
    last_push_ml: float | None = None
    pad_shots_to: int = 0
    withdraw_at_end: bool = True

    def __post_init__(self):
        if not self.sides or any(s not in ("left", "right") for s in self.sides) or len(set(self.sides)) != len(
                self.sides):
            raise ParameterError("sides", self.sides, "('left',), ('right',) or both, each once")
        if not (0 < self.volume_ml <= 10):
            raise ParameterError("volume_ml", self.volume_ml, "more than 0 and at most 10 mL")
        if not (0 < self.push_ml <= 1):
            raise ParameterError("push_ml", self.push_ml, "more than 0 and at most 1 mL")
        if self.last_push_ml is not None and not (0 < self.last_push_ml <= 10):
            raise ParameterError("last_push_ml", self.last_push_ml, "more than 0 and at most 10 mL")


@dataclass(frozen=True)
class PlanStep:
    """One action of the plan and the phase (:data:`PHASES`) it belongs to."""

    phase: str
    action: dict


@dataclass(frozen=True)
class PlanState:
    """What the plan reads between actions: from a procedure, or from what the window shows.

    ``tip_mm``/``direction`` are the active trocar's (None: none in the patient); ``depth_mm``
    its depth from the skin (mm); ``since_mix_s`` the time since mixing (s; None: not known,
    as in a prediction); ``posterior_extent_fraction`` the most posterior in-body cement as a
    depth fraction (None: none, or not known); ``visible_leak`` whether a leak shows.
    """

    tip_mm: tuple | None = None
    direction: tuple | None = None
    depth_mm: float = 0.0
    since_mix_s: float | None = None
    posterior_extent_fraction: float | None = None
    visible_leak: bool = False
    shots: int = 0


def procedure_state(proc) -> PlanState:
    """The :class:`PlanState` of a :class:`~trainer.core.procedure.machine.Procedure`."""
    tr = proc.trocar
    cem = proc.cement
    mixed = proc.mixed_at_s
    return PlanState(
        tip_mm=None if tr is None else tuple(float(v) for v in tr.tip_mm),
        direction=None if tr is None else tuple(float(v) for v in tr.direction),
        depth_mm=0.0 if tr is None else float(tr.depth_mm),
        since_mix_s=None if mixed is None else float(proc.t_s - mixed),
        posterior_extent_fraction=None if cem is None else cem.posterior_extent_fraction,
        visible_leak=cem is not None and any(lk.visible for lk in cem.leaks),
        shots=int(proc.dose.shots))


def ap_lateral_orbitals(scenario, landmarks) -> tuple[float, float]:
    """Orbital angles (deg) of the target vertebra's true AP and true lateral.

    The patient roll minus the vertebra's own axial rotation
    (:func:`~trainer.core.anatomy.axial_rotation.true_ap_orbital_deg`; 0 turn on a synthetic patient,
    so the roll as before), the turn to 0.1 deg as one types it in the orbital box; the lateral 90 deg on.

    Parameters
    ----------
    scenario : Scenario
        For ``[carm] patient_roll_deg``, deg.
    landmarks : Landmarks
        The target's, for ``axial_rotation_deg``, deg.
    """
    return true_ap_orbitals_deg(scenario.carm.patient_roll_deg, landmarks.axial_rotation_deg)


def squaring_tilt_deg(endplate_incl_deg: tuple) -> float:
    """The C-arm tilt (deg) at which the AP squares the target body's endplates.

    0 where the span of the (inferior, superior) inclinations holds 0 (every built-in case:
    untilted, as before); else the whole degree nearest the middle of the span (a radiologist
    tilts until both endplates are lines; a whole degree as one types it in the tilt box), or
    the middle itself to 0.1 deg when no whole degree lies in a span under 1 deg wide (unrounded
    when no tenth lies in it either).  The scoring's ``ap_tilt_error`` (the tilt's distance outside
    the span) is then 0.

    Parameters
    ----------
    endplate_incl_deg : tuple of float
        (inferior, superior) endplate inclinations, deg
        (:func:`~trainer.core.anatomy.endplates.endplate_inclinations_deg`).
    """
    lo, hi = sorted(float(v) for v in endplate_incl_deg)
    if lo <= 0.0 <= hi:
        return 0.0
    mid = 0.5 * (lo + hi)
    whole = float(round(mid))
    if lo <= whole <= hi:
        return whole
    tenth = round(mid, 1)
    # a span narrower than a tenth (two parallel plates: the tilted abdominal L5 labelled as a tilted
    # prism, 24.23 deg both) may hold no tenth either: the middle itself
    return tenth if lo <= tenth <= hi else mid


def _rot_z(v, deg: float) -> np.ndarray:
    t = math.radians(deg)
    c, s = math.cos(t), math.sin(t)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]])


def _r(v) -> list:
    return [round(float(x), 3) for x in v]


class _Planner:
    """The plan's steps as sub-generators (``yield from``); see :func:`expert_steps`."""

    def __init__(self, scenario, patient, plan: ExpertPlan, read_state: Callable[[], PlanState]):
        self.sc, self.patient, self.plan, self.state = scenario, patient, plan, read_state
        self.lm = patient.landmarks
        self.true_ap, self.lat = ap_lateral_orbitals(scenario, patient.landmarks)
        self.ap = self.true_ap + plan.ap_offset_deg          # the AP of the alignment and access checks
        # every AP squared on the target's endplates (scoring_targets.toml ap_tilt_error: endplates superimposed); the
        # lateral untilted
        self.ap_tilt = (squaring_tilt_deg(endplate_inclinations_deg(patient)) if plan.ap_tilt_deg is None
                        else float(plan.ap_tilt_deg))
        self.orbital: float | None = None        # where the plan last put the C-arm
        self.phase = PHASES[0]
        self.mixed = False
        self._depth: dict[str, float] = {}
        self._reach: dict[str, float] = {}          # side -> deepest the trocar is advanced (mm from the skin)
        self._length: dict[str, float] = {}         # side -> the placed trocar's working length (mm)
        self.active: str | None = None              # the side whose cannula is active

    # -------------------------------------------------------------- one action
    def act(self, action: dict) -> Generator[PlanStep, bool, bool]:
        accepted = yield PlanStep(self.phase, action)
        return bool(accepted)

    def tilt(self, orbital: float) -> float:
        """The tilt the plan takes at ``orbital`` (deg): the AP's squaring tilt, 0 on the lateral."""
        return 0.0 if orbital == self.lat else self.ap_tilt

    def move(self, orbital: float) -> Generator[PlanStep, bool, None]:
        yield from self.act({"type": "carm", "orbital_deg": float(orbital), "tilt_deg": self.tilt(orbital)})
        self.orbital = orbital

    def shot(self, orbital: float | None = None) -> Generator[PlanStep, bool, None]:
        """A shot, moving the C-arm first if it is not at ``orbital`` (None: where it is)."""
        if orbital is not None and orbital != self.orbital:
            yield from self.move(orbital)
        yield from self.act({"type": "shot"})

    def both(self) -> Generator[PlanStep, bool, None]:
        yield from self.shot(self.ap)
        yield from self.shot(self.lat)

    def advance(self, mm: float) -> Generator[PlanStep, bool, None]:
        if abs(mm) >= 1e-3:
            yield from self.act({"type": "advance", "mm": round(float(mm), 3)})

    # -------------------------------------------------------------- the procedure
    def run(self) -> Generator[PlanStep, bool, None]:
        treat = yield from self.checklist()
        if not treat:
            self.phase = "end"
            yield from self.act({"type": "finish"})
            return
        self.phase = "align"
        yield from self.align()
        self.phase = "access"
        placed = []
        for side in self.plan.sides:
            ok = yield from self.access(side, mix=len(self.plan.sides) == 1)
            if not ok:
                self.phase = "end"
                yield from self.act({"type": "finish"})
                return
            placed.append(side)
        if not self.mixed:
            yield from self.act({"type": "mix"})
            self.mixed = True
        self.phase = "cement"
        yield from self.wait_for_cement()
        order = placed[::-1]                 # the last placed is the active one
        self.active = order[0]
        yield from self.inject(order, self.plan.volume_ml / len(order))
        while self.state().shots < self.plan.pad_shots_to:
            yield from self.act({"type": "shot"})
        if self.plan.withdraw_at_end:
            self.phase = "withdraw"
            for side in sorted(order, key=lambda s: s != self.active):        # the active one first
                yield from self.select(side)
                st = self.state()
                if st.tip_mm is not None:
                    yield from self.act({"type": "advance", "mm": -round(st.depth_mm + 1.0, 3)})
        self.phase = "end"
        yield from self.act({"type": "finish"})

    def checklist(self) -> Generator[PlanStep, bool, bool]:
        dec = self.sc.decisions
        answers = self.plan.answers
        if answers is None:
            answers = {item: dec.expected(item) for item in CHECKLIST_ITEMS}
        for item in CHECKLIST_ITEMS:
            if item in answers:
                yield from self.act({"type": "decide", "item": item, "answer": answers[item]})
        return answers.get("candidacy", dec.candidacy) == "proceed"

    def align(self) -> Generator[PlanStep, bool, None]:
        p = self.plan
        if p.idle_s:
            left = float(p.idle_s)
            while left > _EPS:
                yield from self.act({"type": "wait", "s": min(_MAX_WAIT_S, left)})
                left -= _MAX_WAIT_S
        yield from self.both()
        for _ in range(p.extra_exposures):
            yield from self.act({"type": "shot", "pulses": 1})
        held, first = p.held_fluoro_s, True
        while held > _EPS:
            s = min(10.0, held)
            yield from self.act({"type": "shot", "fluoro_s": s, "continuous": not first})
            first, held = False, held - s

    def gauge(self) -> int:
        """The trocar gauge: the scenario's advice, else :data:`DEFAULT_GAUGE`."""
        gauge = self.sc.advice.get("gauge", DEFAULT_GAUGE) if hasattr(self.sc, "advice") else DEFAULT_GAUGE
        return gauge if gauge in GAUGES_MM else DEFAULT_GAUGE

    def depth(self, side: str) -> float:
        """The target's depth fraction on ``side``: the plan's, or - for a clean target in the
        front of the middle third or the target zone that is not clear of the body's cortex
        (cortex, or outside the body, at it or :data:`_CANCELLOUS_CLEARANCE_MM` across the line)
        - the nearest depth on the same line within :data:`_CANCELLOUS_DEPTHS` that is.  A
        patient known only by its landmarks (the GUI driver sees no label volume) keeps the plan's."""
        if side in self._depth:
            return self._depth[side]
        p, lm = self.plan, self.lm
        want = float(p.target_depth)
        lo, hi = _CANCELLOUS_DEPTHS
        if (p.medial_error_deg or p.target_x_offset_mm or not (lo <= want <= hi)
                or getattr(self.patient, "volume", None) is None):   # known by its landmarks only (GUI driver)
            self._depth[side] = want
            return want
        entry, target = expert_line(self.patient, side, radius_mm=0.5 * GAUGES_MM[self.gauge()])
        d = (target - entry) / np.linalg.norm(target - entry)
        a = np.cross(d, [0.0, 0.0, 1.0])
        a /= np.linalg.norm(a)
        b = np.cross(d, a)
        r = _CANCELLOUS_CLEARANCE_MM
        ring = np.array([[0.0, 0.0, 0.0], r * a, -r * a, r * b, -r * b])
        fracs = np.round(np.arange(lo, hi + 1e-9, 0.01), 3)
        # the target zone (the anterior third) first, nearest the plan's depth; then the front of the middle third
        fracs = fracs[np.lexsort((np.abs(fracs - want), fracs < TARGET_ZONE_FROM))]
        best = want
        for f in [want, *fracs]:
            y = lm.posterior_wall_y_mm - f * lm.body_depth_mm
            pt = lm.point_at_depth(entry, d, y)
            if np.all(np.isin(labels_at(self.patient, pt + ring), _INSIDE_BODY)):
                best = float(f)
                break
        self._depth[side] = best
        return best

    def line(self, side: str) -> tuple[np.ndarray, np.ndarray]:
        """``(entry_mm, target_mm)`` of the plan's place action on ``side``."""
        p, lm = self.plan, self.lm
        entry, target = expert_line(self.patient, side, radius_mm=0.5 * GAUGES_MM[self.gauge()])
        direction = (target - entry) / np.linalg.norm(target - entry)
        if p.medial_error_deg:
            direction = _rot_z(direction, (-1.0 if side == "left" else 1.0) * p.medial_error_deg)
            entry = np.asarray(lm.pedicle(side).entry_mm, float) - _ERROR_LINE_BACK_MM * direction
        y_t = lm.posterior_wall_y_mm - self.depth(side) * lm.body_depth_mm
        far = lm.point_at_depth(entry, direction, y_t)
        if p.target_x_offset_mm:       # laterally: along the vertebra's own left-right axis
            t = np.radians(lm.own_frame_turn_deg)
            far = far + (1.0 if side == "left" else -1.0) * p.target_x_offset_mm * np.array([np.cos(t), np.sin(t), 0.0])
        return entry, far

    def place_action(self, side: str) -> dict:
        p, lm = self.plan, self.lm
        entry, far = self.line(side)
        place = {"type": "place", "side": side, "entry_mm": _r(entry), "target_mm": _r(far), "gauge": self.gauge()}
        self._length[side] = DEFAULT_LENGTH_MM
        if p.length_mm is not None:
            place["length_mm"] = self._length[side] = float(p.length_mm)
            return place
        skin = find_skin(self.patient, entry, far)
        if skin is None:
            return place                     # refused by the procedure: the plan finishes
        deepest = max(self.depth(side), p.overshoot_depth or 0.0)
        d = (far - entry) / np.linalg.norm(far - entry)
        y = lm.posterior_wall_y_mm - deepest * lm.body_depth_mm
        deep_mm = lm.along_to_depth(skin, d, y)
        need_mm = deep_mm + 10.0
        if need_mm > DEFAULT_LENGTH_MM:
            reach = LENGTH_RANGE_MM[1] - _MIN_RESERVE_MM
            if deep_mm > reach:
                if not (p.medial_error_deg or p.target_x_offset_mm):
                    raise ParameterError(
                        "side", side, f"a pedicle whose target lies within {reach:g} mm of the skin along the "
                        f"expert line (this one is {deep_mm:.0f} mm deep: the patient is too deep for the "
                        f"longest trocar, {LENGTH_RANGE_MM[1]:g} mm)")
                # a mis-aimed line runs longer than the expert's: the trainee takes the longest trocar
                # and stops where it reaches (the error, a wall breach, lies in the pedicle, not at the target)
                self._reach[side] = reach
            self._length[side] = float(min(np.ceil(need_mm / 10.0) * 10.0, LENGTH_RANGE_MM[1]))
            place["length_mm"] = self._length[side]
        return place

    def access(self, side: str, mix: bool) -> Generator[PlanStep, bool, bool]:
        """Place ``side``'s trocar and advance it check by check; False if the place was refused."""
        p, lm = self.plan, self.lm
        ok = yield from self.act(self.place_action(side))
        st = self.state()
        if not ok or st.tip_mm is None or st.direction is None:
            return False
        s0, d = np.asarray(st.tip_mm, float), np.asarray(st.direction, float)
        base = st.depth_mm

        def depth_at(y: float) -> float:          # depth (mm from the skin) at which the tip reaches lateral y
            return base + lm.along_to_depth(s0, d, y)

        ped = lm.pedicle(side)
        bone = base + float(np.linalg.norm(np.asarray(ped.entry_mm) - s0))
        junction = base + float(np.linalg.norm(np.asarray(ped.body_junction_mm) - s0))
        goal = min(depth_at(lm.posterior_wall_y_mm - self.depth(side) * lm.body_depth_mm),
                   self._reach.get(side, math.inf))
        stops = [s for s in (bone - 3.0, bone + 0.5 * (junction - bone), junction + 3.0) if s < goal] + [goal]
        if p.overshoot_depth is not None:       # pushed on through the anterior cortex, as far as the trocar goes
            stops.insert(len(stops) - 1, min(depth_at(lm.posterior_wall_y_mm - p.overshoot_depth * lm.body_depth_mm),
                                             self._length.get(side, DEFAULT_LENGTH_MM)))
        for i, stop in enumerate(stops):
            step = stop - self.state().depth_mm
            if abs(step) < 1e-3:
                continue
            if p.step_mm and step > 0:
                n = int(math.ceil(step / p.step_mm))
                for _ in range(n):
                    yield from self.advance(step / n)
                    yield from self.shot()
            else:
                yield from self.advance(step)
            if p.redirections and i == 1:
                for k in range(p.redirections):
                    turn = _rot_z(np.asarray(self.state().direction, float),
                                  _REDIRECT_DEG if k % 2 == 0 else -_REDIRECT_DEG)
                    yield from self.act({"type": "aim", "direction": [float(v) for v in turn]})
            yield from self.both()
            if mix and i == len(stops) - 2 and not self.mixed:
                yield from self.act({"type": "mix"})
                self.mixed = True
        return True

    def wait_for_cement(self) -> Generator[PlanStep, bool, None]:
        p = self.plan
        start = p.wait_s if p.wait_s is not None else working_phase_s(self.sc, margin_s=p.wait_margin_s)
        wait = start - (self.state().since_mix_s or 0.0)
        if wait > 0:
            yield from self.act({"type": "wait", "s": round(wait, 3)})

    def pull_back_to(self, depth_fraction: float) -> Generator[PlanStep, bool, None]:
        """Withdraw the active trocar until its tip is at ``depth_fraction`` (never advances)."""
        lm, st = self.lm, self.state()
        if st.tip_mm is None or st.direction is None:
            return
        y = lm.posterior_wall_y_mm - depth_fraction * lm.body_depth_mm
        back = lm.along_to_depth(st.tip_mm, st.direction, y)
        if back < 0:
            yield from self.act({"type": "advance", "mm": round(back, 4)})

    def select(self, side: str) -> Generator[PlanStep, bool, None]:
        """Make ``side``'s cannula the active one (no action when it is)."""
        if side != self.active:
            yield from self.act({"type": "select", "side": side})
            self.active = side

    def inject(self, order: list, volume: float) -> Generator[PlanStep, bool, None]:
        """Push ``volume`` mL through each cannula of ``order`` with the plan's checks and stops.

        Two cannulas take turns push by push (the side that has had less goes next; on a tie the
        first of ``order``, the last placed), so the halves grow together; the lateral after every push is read
        before the next one, and a stop it shows (cement at ``stop_depth``, or a leak with
        ``stop_on_leak``) ends the injection on both sides: no push follows a reached stop
        (FACTS.md 3.2, the posterior quarter).  Until round 27 each side took its whole half in
        turn, so the first side alone ran the cement to the stop and the second got one push
        after it (t11-bipedicular seed 111: right 2.0 mL, left 0.5 mL after the extent was 0.29).
        """
        p = self.plan
        pushed = dict.fromkeys(order, 0.0)
        withdrawn: set = set()
        since_ap = 0.0
        tail = p.last_push_ml or 0.0
        while True:
            todo = [s for s in order if pushed[s] < volume - _EPS]
            if not todo:
                break
            side = min(todo, key=lambda s: (round(pushed[s], 6), order.index(s)))
            yield from self.select(side)
            rest = volume - pushed[side]
            ml = round(rest if tail and rest <= tail + _EPS else min(p.push_ml, rest - tail), 3)
            done = pushed[side] + ml >= volume - _EPS            # this side's last push
            last = done and len(todo) == 1                      # the last push of all
            if p.last_push_depth is not None and done:
                yield from self.pull_back_to(p.last_push_depth)
            ok = yield from self.act({"type": "inject", "ml": ml})
            if not ok:
                break
            pushed[side] += ml
            since_ap += ml
            if p.withdraw_per_ml and abs(pushed[side] - round(pushed[side])) < _EPS:
                yield from self.act({"type": "advance", "mm": -float(p.withdraw_per_ml)})
            yield from self.shot(self.lat)                     # the lateral: the cement's posterior extent
            checked = False
            if p.ap_check_ml is not None and since_ap >= p.ap_check_ml - _EPS and not last:
                yield from self.shot(self.true_ap)             # AP check about every ap_check_ml
                since_ap, checked = 0.0, True
            if p.withdraw_to_depth is not None and side not in withdrawn and pushed[side] >= 0.5 * volume - _EPS:
                yield from self.pull_back_to(p.withdraw_to_depth)
                withdrawn.add(side)
            st = self.state()
            near = p.stop_depth is not None and st.posterior_extent_fraction is not None \
                and st.posterior_extent_fraction <= p.stop_depth
            if near or (p.stop_on_leak and st.visible_leak):
                break
            if checked:
                yield from self.move(self.lat)
        if p.ap_check_ml is not None and since_ap > 0:
            yield from self.shot(self.true_ap)                 # the AP after the last push


def expert_steps(scenario, patient, plan: ExpertPlan | None = None,
                 read_state: Callable[[], PlanState] | None = None) -> Generator[PlanStep, bool, None]:
    """The plan's steps, one at a time; send back whether each action was accepted.

    Parameters
    ----------
    scenario : Scenario
    patient : Patient
        The scenario's patient (the plan reads its landmarks and label volume).
    plan : ExpertPlan, optional
        The knobs (default: the clean expert).
    read_state : callable, optional
        Returns the session's :class:`PlanState` now; called before every decision that
        depends on it (default: the plan's own bookkeeping, as :func:`expert_actions` uses).

    Yields
    ------
    PlanStep
        The phase and the next action; ``generator.send(accepted)`` gets the one after.
    """
    plan = plan or ExpertPlan()
    if read_state is None:
        book = _Bookkeeping(patient)
        gen = _Planner(scenario, patient, plan, book.state).run()
        try:
            step = next(gen)
            while True:
                accepted = yield step
                book.apply(step.action)
                step = gen.send(True if accepted is None else accepted)
        except StopIteration:
            return
    yield from _Planner(scenario, patient, plan, read_state).run()


def drive(steps: Generator[PlanStep, bool, None], apply: Callable[[PlanStep], bool]) -> None:
    """Run ``steps`` to the end, sending back ``apply(step)`` (whether the action was accepted)."""
    try:
        step = next(steps)
        while True:
            step = steps.send(bool(apply(step)))
    except StopIteration:
        return


def play_expert(target, plan: ExpertPlan | None = None):
    """Play ``plan`` on ``target`` (a Procedure, or a LiveSession that records one); returns ``target``."""
    proc = getattr(target, "procedure", target)
    steps = expert_steps(proc.scenario, proc.patient, plan, lambda: procedure_state(proc))
    drive(steps, lambda step: target.apply(step.action).accepted)
    return target


@dataclass
class _Bookkeeping:
    """The state a plan predicts from its own actions (no session): trocar tips and depths, shots."""

    patient: Patient
    trocars: dict = field(default_factory=dict)          # side -> [skin, direction, depth]
    active: str | None = None
    shots: int = 0

    def apply(self, a: dict) -> None:
        kind = a["type"]
        if kind == "shot":
            self.shots += 1
        elif kind == "place":
            e, t = np.asarray(a["entry_mm"], float), np.asarray(a["target_mm"], float)
            skin = find_skin(self.patient, e, t)
            if skin is not None:
                self.trocars[a["side"]] = [skin, (t - e) / np.linalg.norm(t - e), 0.0]
                self.active = a["side"]
        elif kind == "select":
            self.active = a["side"]
        elif kind == "advance" and self.active in self.trocars:
            tr = self.trocars[self.active]
            tr[2] += float(a["mm"])
            if tr[2] < 0:
                del self.trocars[self.active]

    def state(self) -> PlanState:
        tr = self.trocars.get(self.active) if self.active else None
        if tr is None:
            return PlanState(shots=self.shots)
        skin, d, depth = tr
        return PlanState(tip_mm=tuple(skin + depth * d), direction=tuple(d), depth_mm=depth, shots=self.shots)


def expert_actions(scenario, patient, side: str = "left", volume_ml: float = 3.0,
                   medial_error_deg: float = 0.0) -> list[dict]:
    """The clean expert's actions on one side, predicted without a session.

    Parameters
    ----------
    scenario : Scenario
    patient : Patient
        The scenario's patient (the plan reads its landmarks and label volume).
    side : str
        ``'left'`` or ``'right'`` pedicle.
    volume_ml : float
        Cement to inject (mL), in 0.5 mL pushes.
    medial_error_deg : float
        0 for the clean plan; else the aim turned this many degrees medially about the pedicle's
        entry point (:attr:`ExpertPlan.medial_error_deg`): a teaching error, 15 deg breaches the
        medial wall.

    Returns
    -------
    list of dict
        Actions for :meth:`Procedure.apply`, ending with ``finish``.  If the chart calls for
        deferring or declining the procedure, only the checklist answers and ``finish``.
    """
    if side not in ("left", "right"):
        raise ParameterError("side", side, "'left' or 'right'")
    plan = ExpertPlan(sides=(side,), volume_ml=volume_ml, medial_error_deg=medial_error_deg)
    return [s.action for s in expert_steps(scenario, patient, plan)]


def bipedicular_expert_actions(scenario, patient, volume_ml: float = 4.0,
                               medial_error_deg: float = 0.0) -> list[dict]:
    """The clean expert's bipedicular actions, predicted without a session: both trocars in
    (left, then right while the left stays), mix, half the cement through each cannula in
    alternate pushes (right, ``select`` left, ``select`` right, ...), withdraw both, finish
    (``medial_error_deg``: both aims turned medially, as in :func:`expert_actions`).  Played on
    a session (:func:`play_expert`) the first stop the lateral shows ends both sides."""
    plan = ExpertPlan(sides=("left", "right"), volume_ml=volume_ml, medial_error_deg=medial_error_deg)
    return [s.action for s in expert_steps(scenario, patient, plan)]
