"""The procedure state machine on the analytic phantom (no images needed here)."""

import json

import numpy as np
import pytest

from trainer.core.procedure.actions import DURATIONS
from trainer.core.procedure.events import EVENT_KINDS
from trainer.core.procedure.machine import Procedure
from trainer.core.scenario.loader import load_scenario


@pytest.fixture(scope="module")
def scenario():
    return load_scenario()


@pytest.fixture()
def proc(scenario, phantom):
    return Procedure(scenario, patient=phantom, render=False, pixels=64)


def _place(proc, side="left"):
    ped = proc.patient.landmarks.pedicle(side)
    e, a = np.asarray(ped.entry_mm), np.asarray(ped.axis)
    return proc.apply({"type": "place", "side": side, "entry_mm": list(e - 40 * a), "target_mm": list(e + 30 * a)})


def _assert_refused(proc, action, *words):
    before = proc.snapshot()
    n = len(proc.events)
    res = proc.apply(action)
    assert not res.accepted and res.duration_s == 0.0 and res.image is None
    for w in words:
        assert w in res.reason, res.reason
    assert proc.snapshot() == before
    assert len(proc.events) == n + 1 and proc.events[-1].kind == "refused"
    assert proc.events[-1].data["reason"] == res.reason
    return res


def test_refusals_name_the_problem_and_change_nothing(proc):
    _assert_refused(proc, {"type": "jump"}, "'jump'", "decide")
    _assert_refused(proc, {"type": "advance"}, "missing field 'mm'")
    _assert_refused(proc, {"type": "advance", "mm": 5}, "no trocar")
    _assert_refused(proc, {"type": "wait", "s": -1}, "wait.s = -1", "3600")
    _assert_refused(proc, {"type": "wait", "s": 5, "extra": 1}, "unknown field 'extra'")
    _assert_refused(proc, {"type": "inject", "ml": 0.5}, "mix the cement first")
    _assert_refused(proc, {"type": "place", "side": "middle", "entry_mm": [0, 0, 0], "target_mm": [0, 1, 0]},
                    "place.side", "'left' or 'right'")
    _assert_refused(proc, {"type": "decide", "item": "inr", "answer": "maybe"}, "acceptable")
    _assert_refused(proc, ["not", "an", "object"], "JSON object")
    _assert_refused(proc, {"type": "shot", "pulses": 0}, "shot.pulses")
    _assert_refused(proc, {"type": "carm", "orbital_deg": 200}, "orbital_deg", "135")


def test_place_twice_refused_until_withdrawn(proc):
    assert _place(proc).accepted
    _assert_refused(proc, {"type": "place", "side": "left", "entry_mm": [0, 100, 0], "target_mm": [0, 0, 0]},
                    "already in the patient")
    assert proc.apply({"type": "advance", "mm": 10}).accepted
    res = proc.apply({"type": "advance", "mm": -50})
    assert res.accepted and res.summary["removed"] and proc.trocar is None
    assert _place(proc, "right").accepted and proc.trocar.side == "right"
    assert proc.insertions == 2


def test_advance_past_the_working_length_refused(proc):
    _place(proc)
    assert proc.apply({"type": "advance", "mm": 100}).accepted
    _assert_refused(proc, {"type": "advance", "mm": 25}, "working length")


def test_nothing_after_finish(proc):
    assert proc.apply({"type": "finish"}).accepted
    assert proc.finished and proc.phase == "finished"
    _assert_refused(proc, {"type": "wait", "s": 1}, "finished")


def test_phases_move_forward_and_decisions_close_at_access(proc):
    assert proc.phase == "checklist"
    assert proc.apply({"type": "decide", "item": "inr", "answer": "acceptable"}).accepted
    assert proc.decisions == {"inr": "acceptable"}
    assert proc.apply({"type": "carm", "preset": "lateral"}).accepted and proc.phase == "alignment"
    _place(proc)
    assert proc.phase == "access"
    _assert_refused(proc, {"type": "decide", "item": "consent", "answer": "confirmed"}, "before access")
    assert proc.apply({"type": "mix"}).accepted and proc.phase == "cement"
    _assert_refused(proc, {"type": "mix"}, "already mixed")


def test_clock_moves_only_through_actions_with_documented_durations(proc):
    assert proc.t_s == 0.0
    assert proc.apply({"type": "wait", "s": 12.5}).duration_s == 12.5
    r = proc.apply({"type": "carm", "orbital_deg": 90})
    assert r.duration_s == pytest.approx(DURATIONS.carm_base_s + 90 / DURATIONS.carm_deg_per_s)
    r2 = proc.apply({"type": "carm", "orbital_deg": 60})
    assert r2.duration_s < r.duration_s                      # proportional to the angle
    assert proc.apply({"type": "carm", "orbital_deg": 60}).duration_s == 0.0
    _place(proc)
    soft = proc.apply({"type": "advance", "mm": 20})         # skin, fat, muscle
    bone = proc.apply({"type": "advance", "mm": 20})         # through the pedicle
    assert bone.duration_s > soft.duration_s
    total = 12.5 + r.duration_s + r2.duration_s + DURATIONS.place_s + soft.duration_s + bone.duration_s
    assert proc.t_s == pytest.approx(total)


def test_biplane_switches_views_without_moving(scenario, phantom):
    import dataclasses

    sc = dataclasses.replace(scenario, carm=dataclasses.replace(scenario.carm, biplane=True))
    p = Procedure(sc, patient=phantom, render=False)
    r = p.apply({"type": "carm", "preset": "lateral"})
    assert r.accepted and p.pose.orbital_deg == 90 and r.events[0].data["moved_deg"] == 0
    assert r.duration_s == DURATIONS.biplane_switch_s
    p.apply({"type": "carm", "preset": "ap"})
    assert p.pose.orbital_deg == 0


def test_events_use_documented_kinds_and_keys_and_are_json(proc):
    proc.apply({"type": "decide", "item": "inr", "answer": "acceptable"})
    proc.apply({"type": "carm", "preset": "lateral"})
    _place(proc)
    for mm in (20, 20, 25):
        proc.apply({"type": "advance", "mm": mm})
    proc.apply({"type": "aim", "direction": list(proc.trocar.direction)})
    proc.apply({"type": "mix"})
    proc.apply({"type": "jump"})
    proc.apply({"type": "finish"})
    kinds = {e.kind for e in proc.events}
    assert {"decision", "carm_moved", "trocar_placed", "trocar_moved", "wall_crossed", "trocar_aimed",
            "cement_mixed", "refused", "finished"} <= kinds
    for e in proc.events:
        assert set(e.data) == set(EVENT_KINDS[e.kind]), e.kind
        json.dumps(e.to_json(), allow_nan=False)
    times = [e.t_s for e in proc.events]
    assert times == sorted(times)
    walls = [e.data["wall"] for e in proc.events if e.kind == "wall_crossed"]
    assert walls == ["bone_entry", "body_posterior"]


def test_held_fluoro_continuations_have_no_footswitch_overhead(proc):
    first = proc.apply({"type": "shot", "pulses": 3})
    more = proc.apply({"type": "shot", "pulses": 3, "continuous": True})
    assert first.duration_s == pytest.approx(DURATIONS.shot_base_s + 3 / 7.5)
    assert more.duration_s == pytest.approx(3 / 7.5)
    assert proc.dose.pulses == 6 and proc.dose.fluoro_s == pytest.approx(6 / 7.5)
    _assert_refused(proc, {"type": "shot", "continuous": "yes"}, "continuous", "true or false")
