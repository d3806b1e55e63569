"""Property tests: random action sequences on the real default patient."""

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from trainer.core.anatomy.builder import build_patient
from trainer.core.procedure.machine import Procedure
from trainer.core.procedure.plans import expert_line
from trainer.core.procedure.walls import WallModel
from trainer.core.scenario.checklist import CHECKLIST_ITEMS
from trainer.core.scenario.loader import load_scenario
from trainer.core.xray.renderer import FluoroRenderer

PIXELS = 64


@pytest.fixture(scope="module")
def world():
    sc = load_scenario()
    patient = build_patient(sc.anatomy)
    renderer = FluoroRenderer(patient, sc.carm.geometry.with_pixels(PIXELS), sc.carm.patient_roll_deg)
    lines = {s: [list(map(float, v)) for v in expert_line(patient, s)] for s in ("left", "right")}
    return sc, patient, renderer, WallModel(patient), lines


finite = st.floats(-200, 200, allow_nan=False)
vec = st.lists(finite, min_size=3, max_size=3)
direction = st.tuples(st.floats(-0.6, 0.6), st.floats(-1.0, -0.5), st.floats(-0.4, 0.4)).map(list)
junk = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=5),
                 st.floats(allow_nan=True, allow_infinity=True), vec)

action = st.one_of(
    st.fixed_dictionaries({"type": st.just("carm"), "preset": st.sampled_from(["ap", "lateral", "oblique"])}),
    st.fixed_dictionaries({"type": st.just("carm")}, optional={"orbital_deg": st.floats(-150, 150),
                                                               "tilt_deg": st.floats(-50, 50)}),
    st.fixed_dictionaries({"type": st.just("shot")}, optional={"pulses": st.integers(-1, 4)}),
    st.builds(lambda side, jitter, gauge: {"type": "place", "side": side, "entry_mm": "LINE0", "target_mm": "LINE1",
                                          "gauge": gauge, "_side": side, "_jitter": jitter},
              st.sampled_from(["left", "right"]), st.floats(-8, 8), st.sampled_from([11, 13, 12])),
    st.fixed_dictionaries({"type": st.just("place"), "side": st.sampled_from(["left", "right"]),
                           "entry_mm": vec, "target_mm": vec}),
    st.fixed_dictionaries({"type": st.just("aim"), "direction": direction}),
    st.fixed_dictionaries({"type": st.just("advance"), "mm": st.floats(-80, 80)}),
    st.just({"type": "mix"}),
    st.fixed_dictionaries({"type": st.just("wait"), "s": st.floats(-5, 400)}),
    st.fixed_dictionaries({"type": st.just("inject"), "ml": st.floats(-0.1, 1.2)}),
    st.fixed_dictionaries({"type": st.just("decide"), "item": st.sampled_from([*CHECKLIST_ITEMS, "nonsense"]),
                           "answer": st.sampled_from(["acceptable", "proceed", "none", "confirmed", 3])}),
    st.just({"type": "finish"}),
    st.dictionaries(st.sampled_from(["type", "mm", "s", "ml", "side", "preset"]), junk, max_size=3),
)


def _concrete(a, lines):
    if a.get("entry_mm") == "LINE0":
        e, t = lines[a["_side"]]
        jitter = a["_jitter"]
        a = {k: v for k, v in a.items() if not k.startswith("_")}
        a["entry_mm"] = [e[0] + jitter, e[1], e[2]]
        a["target_mm"] = t
    return a


def _dose(p):
    d = p.dose
    return (d.shots, d.pulses, d.fluoro_s, d.dap_gycm2, d.entrance_kerma_mgy)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(actions=st.lists(action, min_size=1, max_size=14))
def test_random_action_sequences_keep_the_invariants(world, actions):
    sc, patient, renderer, walls, lines = world
    p = Procedure(sc, patient=patient, pixels=PIXELS, renderer=renderer, walls=walls)
    for raw in actions:
        a = _concrete(raw, lines)
        before, t0, d0 = p.snapshot(), p.t_s, _dose(p)
        res = p.apply(a)                                  # never raises
        if res.accepted:
            event(f"accepted {a['type']}")
        if not res.accepted:
            assert res.reason and p.snapshot() == before and p.t_s == t0
            assert p.events[-1].kind == "refused"
        else:
            assert p.t_s >= t0 and res.duration_s >= 0
            assert all(x1 >= x0 for x0, x1 in zip(d0, _dose(p)))
        tr = p.trocar
        if tr is not None:
            v = tr.tip_mm - np.asarray(tr.skin_mm)
            assert np.linalg.norm(np.cross(v, tr.direction)) < 1e-6
            assert 0.0 <= tr.depth_mm <= tr.length_mm + 1e-9
            assert abs(np.dot(v, tr.direction) - tr.depth_mm) < 1e-6
    times = [e.t_s for e in p.events if e.kind != "refused"]
    assert times == sorted(times)


relative_aim = st.tuples(st.floats(-8, 8), st.floats(-8, 8)).map(lambda d: {"type": "aim", "_rel_deg": d})
access = st.one_of(
    st.fixed_dictionaries({"type": st.just("advance"), "mm": st.floats(-15, -0.5) | st.floats(0.5, 20)}),
    relative_aim,
    st.fixed_dictionaries({"type": st.just("shot")}, optional={"pulses": st.integers(1, 3)}),
    st.fixed_dictionaries({"type": st.just("carm"), "preset": st.sampled_from(["ap", "lateral"])}),
    st.just({"type": "mix"}),
    st.fixed_dictionaries({"type": st.just("wait"), "s": st.floats(1, 300)}),
    st.fixed_dictionaries({"type": st.just("inject"), "ml": st.floats(0.05, 1.0)}),
)


def _resolve_aim(a, p):
    if "_rel_deg" not in a:
        return a
    d = np.asarray(p.trocar.direction if p.trocar is not None else (0.0, -1.0, 0.0))
    ax, az = np.radians(a["_rel_deg"])
    d = d + np.array([np.tan(ax), 0.0, np.tan(az)])
    return {"type": "aim", "direction": list(d / np.linalg.norm(d))}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(side=st.sampled_from(["left", "right"]), depth=st.floats(40, 95), mix_first=st.booleans(),
       actions=st.lists(access, min_size=3, max_size=20))
def test_random_access_and_injection_keep_the_invariants(world, side, depth, mix_first, actions):
    sc, patient, renderer, walls, lines = world
    p = Procedure(sc, patient=patient, pixels=PIXELS, renderer=renderer, walls=walls)
    e, t = lines[side]
    assert p.apply({"type": "place", "side": side, "entry_mm": e, "target_mm": t}).accepted
    assert p.apply({"type": "advance", "mm": depth}).accepted
    if mix_first:
        assert p.apply({"type": "mix"}).accepted and p.apply({"type": "wait", "s": 200}).accepted
    for raw in actions:
        a = _resolve_aim(raw, p)
        before, t0, d0 = p.snapshot(), p.t_s, _dose(p)
        res = p.apply(a)
        event(f"{'accepted' if res.accepted else 'refused'} {a['type']}")
        if not res.accepted:
            assert p.snapshot() == before and p.t_s == t0
        else:
            assert p.t_s >= t0 and all(x1 >= x0 for x0, x1 in zip(d0, _dose(p)))
        tr = p.trocar
        if tr is not None:
            v = tr.tip_mm - np.asarray(tr.skin_mm)
            assert np.linalg.norm(np.cross(v, tr.direction)) < 1e-6
        if p.cement is not None:
            c = p.cement
            assert c.injected_ml == pytest.approx(c.in_body_ml + c.leaked_ml, abs=1e-9)
