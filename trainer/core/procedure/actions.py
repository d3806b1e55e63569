"""Actions: their fields, validation and simulated durations (docs/session-format.md).

Every action is a JSON object with a ``type``.  :func:`validate` checks the fields and
returns a normalised copy, or raises :class:`~trainer.core.errors.ActionRefused` naming the
field, the value and what is allowed.  It never looks at the procedure state; the
state machine checks whether the action is allowed *now*.
"""

from __future__ import annotations

import math
from typing import Any

from trainer.core.errors import ActionRefused
from trainer.core.numbers import number_ok, shown
from trainer.core.procedure.trocar import DEFAULT_GAUGE, DEFAULT_LENGTH_MM, GAUGES_MM, LENGTH_RANGE_MM
from trainer.core.scenario.checklist import CHECKLIST_ITEMS
from trainer.core.xray.dose import PULSE_RATE_HZ  # the one home of the pulse rate (re-exported)

__all__ = ["ACTION_FIELDS", "PULSE_RATE_HZ", "validate", "Durations", "DURATIONS"]

#: type -> (required fields, optional fields)
ACTION_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "decide": (("item", "answer"), ()),
    "carm": ((), ("preset", "orbital_deg", "tilt_deg", "table_offset_mm")),
    "shot": ((), ("pulses", "fluoro_s", "continuous", "field_mm", "iris_mm")),
    "place": (("side", "entry_mm", "target_mm"), ("gauge", "length_mm")),
    "select": (("side",), ()),
    "aim": (("direction",), ()),
    "advance": (("mm",), ()),
    "mix": ((), ()),
    "wait": (("s",), ()),
    "inject": (("ml",), ()),
    "finish": ((), ()),
}

MAX_PULSES = 75           # a 10 s run at 7.5 pulses/s per shot action (the detector's limit)
MAX_FLUORO_S = 10.0
ADVANCE_RANGE_MM = (-150.0, 150.0)
WAIT_RANGE_S = (0.0, 3600.0)
INJECT_RANGE_ML = (0.05, 1.0)   # at most one 1 mL syringe per push (FACTS.md 3.4)


class Durations:
    """Simulated durations of the actions (s); docs/session-format.md lists them.

    These are training-time estimates, not literature values, except where noted.
    """

    decide_s = 10.0            #: read the chart item and answer
    carm_base_s = 2.0          #: unlock, move, lock (any move)
    carm_deg_per_s = 10.0      #: orbital/tilt rotation speed
    carm_mm_per_s = 20.0       #: table translation speed
    biplane_switch_s = 1.0     #: switch the active plane of a biplane system
    shot_base_s = 1.0          #: footswitch and image display
    place_s = 30.0             #: skin mark, local anaesthetic, puncture
    select_s = 2.0             #: let go of one trocar and take hold of the other (bipedicular)
    aim_s = 3.0
    advance_base_s = 1.0
    soft_mm_per_s = 5.0        #: through skin, fat and muscle
    bone_mm_per_s = 1.0        #: through cortex and cancellous bone (twisting or tapping)
    withdraw_mm_per_s = 5.0
    mix_s = 60.0               #: mixing and loading the syringes (FACTS.md 3: "mixing is 0-1 min")
    inject_base_s = 2.0
    inject_ml_per_s = 4.0 / 60.0   #: 4 mL/min (Baroud & Steffen 2005 test rate, FACTS.md 3.4)
    finish_s = 0.0

    def carm_s(self, moved_deg: float, moved_mm: float) -> float:
        if moved_deg <= 0 and moved_mm <= 0:
            return 0.0
        return self.carm_base_s + moved_deg / self.carm_deg_per_s + moved_mm / self.carm_mm_per_s

    def shot_s(self, pulses: int, fluoro_s: float, continuous: bool = False) -> float:
        """Footswitch overhead plus the beam-on time; a ``continuous`` shot continues a held
        fluoroscopy run, so it has no overhead (held fluoro runs at wall-clock speed)."""
        return (0.0 if continuous else self.shot_base_s) + fluoro_s

    def advance_s(self, delta_mm: float, bone_mm: float) -> float:
        if delta_mm < 0:
            return self.advance_base_s + abs(delta_mm) / self.withdraw_mm_per_s
        soft = max(0.0, delta_mm - bone_mm)
        return self.advance_base_s + soft / self.soft_mm_per_s + bone_mm / self.bone_mm_per_s

    def inject_s(self, ml: float) -> float:
        return self.inject_base_s + ml / self.inject_ml_per_s


DURATIONS = Durations()


def _num(action, name, lo=None, hi=None, *, integer=False, lo_open=False) -> float:
    v = action[name]
    ok = number_ok(v, lo, hi, lo_open=lo_open) and (not integer or float(v) == int(v))
    if not ok:
        kind = "an integer" if integer else "a number"
        rng = ""
        if lo is not None and hi is not None:
            rng = f" from {lo:g}{' (exclusive)' if lo_open else ''} to {hi:g}"
        raise ActionRefused(f"{action['type']}.{name} = {shown(v)} is not allowed; expected {kind}{rng}")
    return int(v) if integer else float(v)


def _vec3(action, name, limit=1000.0) -> tuple:
    v = action[name]
    if (not isinstance(v, (list, tuple)) or len(v) != 3
            or any(not number_ok(x, -limit, limit) for x in v)):
        raise ActionRefused(f"{action['type']}.{name} = {shown(v)} is not allowed; expected three numbers "
                            f"(x, y, z) within +/-{limit:g} mm")
    return tuple(float(x) for x in v)


def validate(action: Any) -> dict:
    """Check an action's type and fields; return a normalised copy.

    Raises
    ------
    ActionRefused
        Unknown type, missing or unknown field, or a value out of range.
    """
    if not isinstance(action, dict) or "type" not in action:
        raise ActionRefused(f"an action must be a JSON object with a 'type' field; got {action!r:.80}")
    t = action["type"]
    if not isinstance(t, str) or t not in ACTION_FIELDS:
        raise ActionRefused(f"type = {t!r:.40} is not an action; expected one of {', '.join(ACTION_FIELDS)}")
    req, opt = ACTION_FIELDS[t]
    for k in req:
        if k not in action:
            raise ActionRefused(f"{t}: missing field {k!r} (required: {', '.join(req)})")
    extra = sorted(set(action) - set(req) - set(opt) - {"type"})
    if extra:
        allowed = ", ".join((*req, *opt)) or "none"
        raise ActionRefused(f"{t}: unknown field {extra[0]!r:.40}; allowed fields: {allowed}")
    a: dict = {"type": t}
    if t == "decide":
        item = action["item"]
        if not isinstance(item, str) or item not in CHECKLIST_ITEMS:
            raise ActionRefused(f"decide.item = {item!r:.40} is not allowed; expected one of "
                                f"{', '.join(CHECKLIST_ITEMS)}")
        answers = tuple(CHECKLIST_ITEMS[item].answers)
        if not isinstance(action["answer"], str) or action["answer"] not in answers:
            raise ActionRefused(f"decide.answer = {action['answer']!r:.40} is not allowed for {item}; expected "
                                f"one of {', '.join(answers)}")
        a.update(item=item, answer=action["answer"])
    elif t == "carm":
        if "preset" in action:
            if len(action) > 2:
                raise ActionRefused("carm: give either 'preset' or absolute angles, not both")
            if action["preset"] not in ("ap", "lateral"):
                raise ActionRefused(f"carm.preset = {action['preset']!r:.40} is not allowed; expected 'ap' or "
                                    "'lateral'")
            a["preset"] = action["preset"]
        else:
            if len(action) == 1:
                raise ActionRefused("carm: give 'preset' ('ap' or 'lateral') or at least one of "
                                    "orbital_deg, tilt_deg, table_offset_mm")
            if "orbital_deg" in action:
                a["orbital_deg"] = _num(action, "orbital_deg", -135, 135)
            if "tilt_deg" in action:
                a["tilt_deg"] = _num(action, "tilt_deg", -45, 45)
            if "table_offset_mm" in action:
                a["table_offset_mm"] = _vec3(action, "table_offset_mm", 200.0)
    elif t == "shot":
        if "pulses" in action and "fluoro_s" in action:
            raise ActionRefused("shot: give 'pulses' or 'fluoro_s', not both")
        if "fluoro_s" in action:
            f = _num(action, "fluoro_s", 0.0, MAX_FLUORO_S, lo_open=True)
            a["pulses"] = max(1, int(round(f * PULSE_RATE_HZ)))
            a["fluoro_s"] = f
        else:
            p = _num(action, "pulses", 1, MAX_PULSES, integer=True) if "pulses" in action else 1
            a["pulses"] = p
            a["fluoro_s"] = p / PULSE_RATE_HZ
        if "continuous" in action:
            if not isinstance(action["continuous"], bool):
                raise ActionRefused(f"shot.continuous = {action['continuous']!r:.40} is not allowed; "
                                    "expected true or false")
            a["continuous"] = action["continuous"]
        if "field_mm" in action:          # collimator shutters: (width, height) at the detector
            v = action["field_mm"]
            if (not isinstance(v, (list, tuple)) or len(v) != 2 or any(
                    isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x)
                    or not (10 <= x <= 300) for x in v)):
                raise ActionRefused(f"shot.field_mm = {v!r:.40} is not allowed; expected [width, height] "
                                    "from 10 to 300 mm at the detector")
            a["field_mm"] = [float(x) for x in v]
        if "iris_mm" in action:           # iris: diameter at the detector
            a["iris_mm"] = _num(action, "iris_mm", 10, 425)
    elif t == "place":
        if action["side"] not in ("left", "right"):
            raise ActionRefused(f"place.side = {action['side']!r:.40} is not allowed; expected 'left' or 'right'")
        a["side"] = action["side"]
        a["entry_mm"] = _vec3(action, "entry_mm")
        a["target_mm"] = _vec3(action, "target_mm")
        if math.dist(a["entry_mm"], a["target_mm"]) < 1.0:
            raise ActionRefused("place: entry_mm and target_mm must be at least 1 mm apart to define a line")
        g = action.get("gauge", DEFAULT_GAUGE)
        if isinstance(g, bool) or g not in GAUGES_MM:
            raise ActionRefused(f"place.gauge = {g!r:.40} is not allowed; expected 11 or 13")
        a["gauge"] = int(g)
        if "length_mm" in action:
            a["length_mm"] = _num(action, "length_mm", *LENGTH_RANGE_MM)
        else:
            a["length_mm"] = DEFAULT_LENGTH_MM
    elif t == "select":
        if not isinstance(action["side"], str) or action["side"] not in ("left", "right"):
            raise ActionRefused(f"select.side = {shown(action['side'])} is not allowed; expected 'left' or 'right'")
        a["side"] = action["side"]
    elif t == "aim":
        d = _vec3(action, "direction", 1e6)
        n = math.sqrt(sum(x * x for x in d))
        if n < 1e-6:
            raise ActionRefused("aim.direction must not be the zero vector")
        a["direction"] = tuple(x / n for x in d)
    elif t == "advance":
        mm = _num(action, "mm", *ADVANCE_RANGE_MM)
        if mm == 0:
            raise ActionRefused("advance.mm = 0 is not allowed; expected a non-zero distance "
                                f"from {ADVANCE_RANGE_MM[0]:g} to {ADVANCE_RANGE_MM[1]:g} mm")
        a["mm"] = mm
    elif t == "wait":
        a["s"] = _num(action, "s", *WAIT_RANGE_S, lo_open=True)
    elif t == "inject":
        a["ml"] = _num(action, "ml", *INJECT_RANGE_ML)
    return a
