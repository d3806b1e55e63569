"""Known-groups validity on the real simulator: scripted procedures on the default scenario.

The expert (the shared plan, :mod:`trainer.core.procedure.expert_plan`) passes with a high
score; each scripted error, one knob of the plan, fails on the right metric and for the right
reason (issue 6).  Rendering is off (scoring never needs pixels).
"""

import pytest

from trainer.core.anatomy.builder import build_patient
from trainer.core.procedure.expert_plan import ExpertPlan, play_expert
from trainer.core.procedure.machine import Procedure
from trainer.core.procedure.plans import working_phase_s
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring import score
from trainer.core.scoring.context import expected_from_scenario


@pytest.fixture(scope="module")
def case():
    sc = load_scenario(None)
    pat = build_patient(sc.anatomy)
    expected, _ = expected_from_scenario(sc)
    return sc, pat, expected


def run(case, seed=None, **kw):
    sc, pat, expected = case
    proc = play_expert(Procedure(sc, patient=pat, render=False, seed=seed), ExpertPlan(answers=expected, **kw))
    return proc, score(proc)


@pytest.fixture(scope="module")
def expert(case):
    return run(case)


def test_expert_passes_with_a_high_score(expert):
    proc, r = expert
    assert r.passed, r.critical_errors
    assert r.score >= 90
    assert r.critical_errors == []
    # leaks happen in 20-35 % of well-done injections (FACTS.md 4), so only that metric may miss
    assert set(r.failed_metrics()) <= {"leak_other"}
    assert 0.67 <= r.tip["depth_fraction"] <= 0.90
    assert r.metric("ap_orbital_error").value == 0 and r.metric("lateral_orbital_error").value == 0
    assert r.metric("cement_phase").detail.endswith("Pa.s") and "working" in r.metric("cement_phase").detail
    assert r.cement_injected_ml == pytest.approx(proc.cement.injected_ml)
    assert r.radiation["shots"] == proc.dose.shots
    assert r.radiation["dap_gycm2"] == pytest.approx(proc.dose.dap_gycm2, rel=1e-4)   # events are rounded
    assert r.metric("cement_spread").status != "n/a"     # the deposit was read from the cement model


def test_the_validity_expert_passes_too(case):
    from trainer.core.scoring.validity import EXPERT, play

    sc, pat, _ = case
    r = score(play(sc, pat, 0, EXPERT))
    assert r.passed and r.critical_errors == [] and r.failed_rules == [] and r.score >= 85
    assert r.metric("tip_depth").status == "pass" and r.metric("medial_wall_rule").status in ("pass", "warn")


def test_scenario_advice_and_bands_reach_the_context():
    import scoring_streams as S

    from trainer.core.scoring import build_context, score_events

    sc = load_scenario("t11-bipedicular")
    ctx = build_context(sc, landmarks=S.landmarks(), expected=S.EXPECTED)
    assert ctx.bipedicular
    assert ctx.targets["cement_volume"].pass_band == (3.0, 5.0)     # the scenario's [targets]
    r = score_events(S.expert().events, ctx)
    assert r.metric("tip_midline").status == "n/a" and "bipedicular" in r.metric("tip_midline").detail
    assert not build_context(load_scenario(None), landmarks=S.landmarks()).bipedicular


def test_score_is_deterministic(case, expert):
    _, r = expert
    _, again = run(case)
    assert again.to_json() == r.to_json()


def test_medial_wall_breach_fails_critically(case):
    _, r = run(case, medial_error_deg=15.0)
    m = r.metric("medial_wall_rule")
    assert m.status == "fail" and m.critical_failed
    assert "medial to the left medial pedicle wall line on AP" in m.detail
    assert not r.passed
    # one wording for the line in the headline (the debrief's and assess's first line) and the detail under
    # it (round 23; the headline said "the medial pedicle wall (AP)" while the detail said "wall line on AP")
    assert r.headline().startswith("FAILED: the tip crossed the medial pedicle wall line on AP before"), r.headline()
    # ... and in the debrief's Target column (assets/scoring_targets.toml), which still said "wall (AP)"
    assert "medial pedicle wall line on AP" in m.target and "(AP)" not in m.target, m.target
    assert r.metric("canal_foramen_breach").status == "fail"
    assert r.metric("breach_grade").value >= 2


def test_tip_left_in_the_posterior_third_fails_tip_depth(case):
    _, r = run(case, target_depth=0.2, step_mm=2.5)
    m = r.metric("tip_depth")
    assert m.status == "fail" and m.value < 1 / 3
    assert "posterior third" in m.detail
    assert r.tip["depth_fraction"] == pytest.approx(m.value)


def test_injection_one_minute_after_mixing_fails_phase_and_leaks(case):
    # one fixed seed (the session's generator makes it deterministic); runny cement leaks in about 85 % of
    # bones (docs/cement.md): this one (seed 2) leaks, seed 1 does not
    proc, leaky = run(case, seed=2, wait_s=0.0)              # inject as soon as the tip is at the target
    ph = leaky.metric("cement_phase")
    assert ph.status == "fail" and "runny" in ph.detail
    # the oracle: minutes from the mixing event to the first push's event in the procedure's log,
    # well before the working phase of the product (rheology, not the scoring, says when that is)
    mixed = next(e.t_s for e in proc.events if e.kind == "cement_mixed")
    first = next(e.t_s for e in proc.events if e.kind == "cement_injected")
    assert ph.value == pytest.approx((first - mixed) / 60.0, abs=0.2)
    assert ph.value < working_phase_s(case[0], margin_s=0.0) / 60.0 - 1.0
    other = [lk for lk in leaky.leaks if lk["type"] not in ("canal", "foramen")]
    assert other, "runny cement leaks outside the canal and foramina"
    other_ml = sum(lk["volume_ml"] for lk in other)
    m = leaky.metric("leak_other")
    assert m.value == pytest.approx(other_ml, abs=1e-9)
    # assets/scoring_targets.toml: pass = [0, 0] mL, warn = [0, 1] mL, fail above
    assert m.status == ("warn" if 0 < other_ml <= 1.0 else "fail")


def test_seven_ml_overfill_past_the_posterior_quarter_fails_the_stop_rule(case):
    _, r = run(case, volume_ml=7.0, stop_depth=None, stop_on_leak=False, withdraw_per_ml=4.0)
    stop = r.metric("stop_rule")
    assert stop.status == "fail" and stop.value > 1.0
    assert "posterior quarter" in stop.detail
    vol = r.metric("cement_volume")
    assert vol.status == "fail" and vol.value == pytest.approx(7.0)


def test_two_hundred_shots_fail_radiation(case):
    _, r = run(case, pad_shots_to=200)
    assert r.radiation["shots"] == 200
    m = r.metric("exposures")
    assert m.status == "fail" and m.value == 200          # 200 single shots = 200 exposures
    assert m.source.startswith("FACTS.md 7")


def test_proceeding_on_a_contraindicated_patient_is_critical():
    sc = load_scenario("l1-pmma-allergy")
    expected, reasons = expected_from_scenario(sc)
    assert expected["candidacy"] == "decline"
    answers = dict(expected, candidacy="proceed")
    proc = play_expert(Procedure(sc, patient=build_patient(sc.anatomy), render=False),
                       ExpertPlan(answers=answers, volume_ml=1.0))
    r = score(proc)
    m = r.metric("candidacy")
    assert m.status == "fail" and m.critical_failed
    assert "declined" in m.detail and "pmma" in m.detail.lower()
    assert not r.passed
    assert r.failed_rules[0]["rule"] == "contraindication"
    assert r.critical_errors[0].startswith("proceeded on a patient who should be deferred or declined")


def test_access_without_any_cement_fails_the_volume_rule(case):
    """The clean access and checks with every push left out: a patient who should be treated was
    not treated (the tip sat in the target, nothing was injected), which no attending signs off."""
    from trainer.core.procedure.expert_plan import expert_actions

    sc, pat, _ = case
    proc = Procedure(sc, patient=pat, render=False)
    for a in expert_actions(sc, pat):          # the plan answers the checklist as the chart expects
        if a["type"] != "inject":
            proc.apply(a)
    assert proc.cement.injected_ml == 0.0
    r = score(proc)
    m = r.metric("cement_volume")
    assert m.status == "fail" and m.critical_failed and "no cement was injected" in m.detail
    assert not r.passed
    assert [f["rule"] for f in r.failed_rules][:1] == ["cement_over_max"]


def test_a_push_begun_exactly_when_the_working_phase_begins_is_working_and_timed_at_its_start(case):
    """The resident waits to the working phase's first second (4:00 since mixing for the default product at
    its reference temperature, assets/cement_products.toml) and pushes.  Oracle: the rheology's own phase
    boundary (``working_phase_s``) and the procedure's log: the mixing event's time and the push's start (its
    event comes at its end, the push's duration later).  Before round 36 the metric said "4.10 min" (the
    push's end) and the phase hung on the float noise of the times' sums."""
    from trainer.core.procedure.actions import DURATIONS
    from trainer.core.procedure.expert_plan import drive, expert_steps, procedure_state

    sc, pat, expected = case
    boundary_s = working_phase_s(sc, margin_s=0.0)
    assert boundary_s == pytest.approx(240.0)
    proc = Procedure(sc, patient=pat, render=False)

    def apply(step) -> bool:
        a = dict(step.action)
        if a["type"] == "wait" and proc.mixed_at_s is not None:      # to the boundary itself (the plan rounds to ms)
            a["s"] = boundary_s - (proc.t_s - proc.mixed_at_s)
        return proc.apply(a).accepted

    drive(expert_steps(sc, pat, ExpertPlan(answers=expected, wait_s=boundary_s), lambda: procedure_state(proc)), apply)
    r = score(proc)
    mixed = next(e.t_s for e in proc.events if e.kind == "cement_mixed")
    push = next(e for e in proc.events if e.kind == "cement_injected")
    start = push.t_s - DURATIONS.inject_s(push.data["ml"])
    assert start - mixed == pytest.approx(boundary_s, abs=1e-6)
    assert push.data["phase"] == "working"
    ph = r.metric("cement_phase")
    assert ph.status == "pass" and ph.value == pytest.approx(4.0, abs=1e-6) and "started 4.0 min" in ph.detail, ph.detail
