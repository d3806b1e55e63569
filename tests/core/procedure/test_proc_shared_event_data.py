"""Equal wait / C-arm events share one data dict (issue 18: a 1M-action session in <= 500 MB),
without changing a single byte of the events as written: ``0.0`` and ``-0.0`` are equal in
Python but different in JSON, so they must not share."""

import json

import pytest

from trainer.core.procedure.machine import Procedure
from trainer.core.scenario.loader import load_scenario


@pytest.fixture(scope="module")
def scenario():
    return load_scenario()


def _events_json(proc):
    return [json.dumps(e.to_json()) for e in proc.events]


def test_equal_waits_and_moves_share_data_but_json_keeps_every_spelling(scenario, phantom):
    p = Procedure(scenario, patient=phantom, render=False, pixels=64)
    actions = [{"type": "wait", "s": 1}, {"type": "wait", "s": 1}, {"type": "wait", "s": 1.0},
               {"type": "carm", "orbital_deg": 5.0, "tilt_deg": 0.0},
               {"type": "carm", "orbital_deg": -0.0, "tilt_deg": 0.0},
               {"type": "carm", "orbital_deg": 5.0, "tilt_deg": 0.0},
               {"type": "carm", "orbital_deg": 0.0, "tilt_deg": 0.0},
               {"type": "carm", "orbital_deg": 5.0, "tilt_deg": 0.0}]
    for a in actions:
        assert p.apply(a).accepted
    ev = p.events
    # the oracle: what JSON writes for each action's own value
    # (the action checker makes every wait a float, so all three waits are the same event data)
    assert [json.dumps(e.data["s"]) for e in ev[:3]] == ["1.0", "1.0", "1.0"]
    assert ev[0].data is ev[1].data is ev[2].data
    assert [json.dumps(e.data["pose"]["orbital_deg"]) for e in ev[3:]] == ["5.0", "-0.0", "5.0", "0.0", "5.0"]
    # every move to 5.0 (from 0.0 or -0.0: the same 5 degree move and pose) shares one dict;
    # the moves to -0.0 and to 0.0 do not
    assert ev[3].data is ev[5].data is ev[7].data
    assert ev[4].data is not ev[6].data and ev[4].data == ev[6].data
    # times are per event, never shared
    assert [e.t_s for e in ev[:3]] == [1.0, 2.0, 3.0]
