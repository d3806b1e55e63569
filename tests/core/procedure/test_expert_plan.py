"""The one expert plan reads the session as it goes (issue 11): its wait counts from the mixing
event, its stop follows the lateral read-out, and without a session it predicts the same access."""

import pytest

from trainer.core.anatomy.cache import cached_patient
from trainer.core.procedure.actions import DURATIONS
from trainer.core.procedure.expert_plan import ExpertPlan, expert_actions, play_expert
from trainer.core.procedure.machine import Procedure
from trainer.core.procedure.plans import working_phase_s
from trainer.core.scenario.loader import load_scenario


@pytest.fixture(scope="module")
def case():
    sc = load_scenario(None)
    return sc, cached_patient(sc.anatomy)


def _played(case, plan):
    sc, pat = case
    return play_expert(Procedure(sc, patient=pat, render=False, seed=3), plan)


def test_the_first_push_comes_the_margin_after_the_working_phase_begins(case):
    sc, _ = case
    proc = _played(case, ExpertPlan(volume_ml=0.5, wait_margin_s=40.0))
    mixed = next(e.t_s for e in proc.events if e.kind == "cement_mixed")
    first = next(e.t_s for e in proc.events if e.kind == "cement_injected")
    # the rheology's working phase (sampled every 5 s) plus the margin, counted from the mixing event,
    # whatever the access took after mixing (the wait is given to 1 ms); the push's event is stamped at its end
    assert first - DURATIONS.inject_s(0.5) == pytest.approx(mixed + working_phase_s(sc, margin_s=40.0), abs=1e-3)
    assert proc.finished and proc.trocar is None and proc.cement.injected_ml == pytest.approx(0.5)


def test_the_stop_follows_the_lateral_read_out(case):
    # a stop line at the anterior cortex (depth 1.0) is reached by the first cement: one push, then
    # the closing AP check, the withdrawal and the finish
    proc = _played(case, ExpertPlan(volume_ml=3.0, stop_depth=1.0))
    assert proc.cement.injected_ml == pytest.approx(0.5)
    assert proc.finished and proc.trocar is None


class _Recorder:
    """Forwards actions to a procedure and keeps them (what a LiveSession would write)."""

    def __init__(self, proc):
        self.procedure, self.actions = proc, []

    def apply(self, action):
        self.actions.append(action)
        return self.procedure.apply(action)


def test_without_a_session_the_plan_predicts_the_same_access(case):
    sc, pat = case
    predicted = expert_actions(sc, pat, "left", 1.0)
    rec = play_expert(_Recorder(Procedure(sc, patient=pat, render=False, seed=3)), ExpertPlan(volume_ml=1.0))
    cut = next(i for i, a in enumerate(predicted) if a["type"] == "wait")
    assert [a["type"] for a in rec.actions[:cut]] == [a["type"] for a in predicted[:cut]]
    for live, pred in zip(rec.actions[:cut], predicted[:cut]):
        if live["type"] == "advance":
            assert live["mm"] == pytest.approx(pred["mm"], abs=1e-3)
        else:
            assert live == pred
    # the played session then waits less: the access after mixing counts towards the working phase
    wait_live = next(a["s"] for a in rec.actions if a["type"] == "wait")
    assert 0 < wait_live < predicted[cut]["s"] == working_phase_s(sc)


def test_an_overshoot_beyond_the_trocar_pushes_as_far_as_the_trocar_goes(case):
    # The validity variant "anterior_cortex_perforated" pushes through the anterior cortex.  Where the
    # overshoot lies beyond the trocar's working length (round 12: the caudally aimed L4 line needed 151.2 mm
    # of a 150 mm trocar) the procedure refused the push, the tip never left the body and the variant passed.
    # Four body depths beyond the posterior wall is further than any 150 mm trocar reaches on L1: the push
    # stops at the working length and the anterior wall is crossed.
    proc = _played(case, ExpertPlan(volume_ml=0.5, length_mm=150.0, overshoot_depth=4.0))
    assert not [e for e in proc.events if e.kind == "refused"]
    depths = [e.data["depth_mm"] for e in proc.events if e.kind == "trocar_moved"]
    assert max(depths) == pytest.approx(150.0, abs=1e-6)
    walls = [e.data["wall"] for e in proc.events if e.kind == "wall_crossed"]
    assert walls.count("body_anterior") == 2          # out through the anterior cortex and back in


@pytest.mark.parametrize("span", [(24.2277, 24.2277), (20.31, 20.34), (18.5, 21.0), (20.33, 20.9), (-2.0, 3.0)])
def test_the_squared_ap_tilt_lies_within_the_endplates_span(span):
    """The expert's AP tilt lies inside the span of the endplate inclinations, so the scoring's
    ap_tilt_error (the tilt's distance outside the span) is 0: a whole degree where one lies in the
    span, a tenth where one does, else the middle.  Two parallel plates (24.2277 deg both, the tilted
    abdominal L5's labels) hold neither: rounded to a tenth, 24.2 lay 0.028 deg outside."""
    from trainer.core.procedure.expert_plan import squaring_tilt_deg
    from trainer.core.scoring.metrics.alignment import tilt_error_deg

    tilt = squaring_tilt_deg(span)
    assert tilt_error_deg(tilt, span) == 0.0, tilt
    if span == (18.5, 21.0):
        assert tilt == 20.0
    if span == (-2.0, 3.0):
        assert tilt == 0.0
