"""One push's ``new_leaks``: every leak that became reportable in it, once, by type and site."""

from types import SimpleNamespace

import numpy as np

from trainer.core.procedure.machine import Procedure
from trainer.core.scenario.loader import load_scenario
from trainer.ui.review import timeline_rows


def test_a_push_at_the_anterior_left_corner_names_each_breached_cortex_once(phantom):
    # The phantom's body is an ellipse of semi-axes 22 (x, left +) by 16 mm (y, anterior -): the tip at
    # (17, -13, 0) is in the muscle just outside it ((17/22)^2 + (13/16)^2 = 1.26 > 1) and near its diagonal
    # (|x| / 22 = 0.77 against |y| / 16 = 0.81), so the cement it lets out lies beside the anterior and the
    # left lateral faces: two cortical leaks (both type 'C') and the paravertebral cement beyond them.
    proc = Procedure(load_scenario(), patient=phantom, render=False, pixels=64)
    tip = np.array([17.0, -13.0, 0.0])
    placed = proc.apply({"type": "place", "side": "left", "entry_mm": [30.0, 75.0, 0.0], "target_mm": list(tip)})
    assert placed.accepted, placed.reason
    step = float(np.linalg.norm(np.asarray(placed.summary["tip_mm"]) - tip))
    assert proc.apply({"type": "advance", "mm": step}).accepted
    assert proc.apply({"type": "mix"}).accepted and proc.apply({"type": "wait", "s": 240}).accepted
    n = len(proc.events)
    push = proc.apply({"type": "inject", "ml": 0.5})
    assert push.accepted, push.reason
    listed = push.summary["new_leaks"]
    pairs = [(lk["type"], lk["region"]) for lk in listed]
    assert ("C", "anterior cortex") in pairs and ("C", "left lateral cortex") in pairs
    assert len(set(pairs)) == len(pairs)                      # nothing named twice
    booked = [(e.data["type"], e.data["region"]) for e in proc.events[n:] if e.kind == "leak"]
    assert sorted(pairs) == sorted(booked)                    # the push's own leak events, one each
    # the review's timeline says which cortex, not 'C, C'
    record = SimpleNamespace(entries=[{"t_s": 0.0, "action": {"type": "inject", "ml": 0.5},
                                       "summary": push.summary}])
    text = timeline_rows(record)[0][3]
    assert "C (anterior cortex)" in text and "C (left lateral cortex)" in text, text
