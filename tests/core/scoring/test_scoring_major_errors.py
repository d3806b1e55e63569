"""Major errors and the cement end condition (docs/scoring.md), on synthetic event streams.

Oracle: the documented rule, computed by hand from the metric weights: a marked metric that
fails outright costs its weight (as every metric does) plus ``major_error_points`` (10), at most
once per score-sheet group; a critical failure is a broken rule, not a major error.  Too little
cement passes when the injection stopped at the end condition (FACTS.md 3.2: cement near the
posterior quarter, or a leak first seen after the last push).
"""

import pytest
import scoring_streams as S

from trainer.core.scenario.targets import load_targets
from trainer.core.scoring import build_context, score_events


@pytest.fixture(scope="module")
def lm():
    return S.landmarks()


def run(lm, stream):
    return score_events(stream.events, build_context(landmarks=lm, expected=S.EXPECTED))


def applicable_weight(report):
    return sum(m.weight for m in report.metrics if m.status != "n/a")


def test_the_table_marks_process_metrics_major_and_leaves_chance_outcomes_out():
    t = load_targets()
    assert t.major_error_points == 10.0
    major = {k for k, s in t.specs.items() if s.params.get("major")}
    assert {"ap_orbital_error", "tip_midline", "cement_volume", "ap_checks", "exposures", "fluoro_time",
            "total_time", "progress_per_shot"} <= major
    assert not major & {"leak_other", "fill_fraction", "cement_spread", "medial_wall_rule", "stop_rule"}


def test_one_major_error_costs_its_weight_and_ten_points_and_still_passes(lm):
    def procedure(ap_orbital):
        s = S.Stream().decide(S.EXPECTED).align(ap_orbital=ap_orbital)
        s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1], shots_every=0)
        s.shot(0.0).shot(90.0)
        return run(lm, s.mix_and_wait(300.0).inject(3.0).finish())

    clean = procedure(0.0)
    r = procedure(8.0)                                 # AP 8 deg off: outside the 6 deg warn band
    assert clean.major_errors == []
    assert r.metric("ap_orbital_error").status == "fail"
    assert [m["metric"] for m in r.major_errors] == ["ap_orbital_error"]
    w = r.metric("ap_orbital_error").weight
    assert r.score == pytest.approx(clean.score - 100.0 * w / applicable_weight(r) - 10.0)
    assert r.passed                                                 # one major error costs points only
    js = r.to_json()
    assert js["major_errors"][0]["group"] == "trajectory" and js["major_error_points"] == 10.0
    assert "MAJOR (-10 points)" in r.to_text()


def test_correlated_failures_count_once_per_group(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1])
    s.shot(0.0, fluoro_s=700.0, dap=10.0)                          # one 700 s run: time and DAP both fail
    s.mix_and_wait(300.0).inject(3.0)
    r = run(lm, s.finish())
    assert r.metric("fluoro_time").status == "fail" and r.metric("dap").status == "fail"
    assert [m["group"] for m in r.major_errors] == ["radiation"]
    lost = sum(m.weight * {"pass": 0.0, "warn": 0.5, "fail": 1.0}[m.status] for m in r.metrics if m.status != "n/a")
    assert r.score == pytest.approx(100.0 - 100.0 * lost / applicable_weight(r) - 10.0)


def test_three_major_errors_fail_on_points_without_breaking_a_rule(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1], step_mm=1.0, shots_every=0)
    while s.shots < 200:
        s.shot(0.0)
    # one AP only after all 3 mL: checked (no rule broken), 3 mL unchecked (the cement group's major error)
    s.mix_and_wait().inject(3.0, check_every_ml=None).shot(0.0).finish()
    r = run(lm, s)
    assert sorted(m["group"] for m in r.major_errors) == ["cement", "efficiency", "radiation"]
    assert r.failed_rules == [] and not r.passed and r.score < r.pass_score
    assert r.headline().startswith("FAILED: score")


def test_a_critical_failure_is_a_broken_rule_not_a_major_error(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1])
    s.mix_and_wait().inject(5.0, posterior=lambda ml: 0.6).finish()   # over the 4 mL maximum
    r = run(lm, s)
    assert r.metric("cement_volume").critical_failed
    assert "cement_over_max" in [x["rule"] for x in r.failed_rules]
    assert "cement_volume" not in [m["metric"] for m in r.major_errors]


def test_too_little_cement_is_a_major_error_unless_the_end_condition_stopped_it(lm):
    def one_ml(**kw):
        s = S.Stream().decide(S.EXPECTED).align()
        s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1])
        s.mix_and_wait().inject(1.0, **kw)
        return s

    short = run(lm, one_ml().finish())                 # 1 mL, cement at 0.6, no leak: stopped too soon
    assert short.metric("cement_volume").status == "fail"
    assert "cement_volume" in [m["metric"] for m in short.major_errors]

    s = one_ml(leaks=[(1.0, "S", "left segmental vein", 0.05)])
    s.add("leak_seen", type="S", region="left segmental vein", view="ap", volume_ml=0.05)
    at_leak = run(lm, s.finish())                      # stopped at the first sight of a leak
    m = at_leak.metric("cement_volume")
    assert m.status == "pass" and "first sight of a leak" in m.detail
    assert at_leak.metric("fill_fraction").status == "pass" and at_leak.major_errors == []

    at_quarter = run(lm, one_ml(posterior=lambda ml: 0.7 - 0.4 * ml).finish())   # cement at 0.30 after 1 mL
    assert at_quarter.metric("cement_volume").status == "pass"
    assert "0.30 of the depth" in at_quarter.metric("cement_volume").detail

    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1])
    s.mix_and_wait().inject(0.5, leaks=[(0.5, "S", "left segmental vein", 0.05)])
    s.add("leak_seen", type="S", region="left segmental vein", view="ap", volume_ml=0.05)
    went_on = run(lm, s.inject(0.5).finish())          # saw the leak at 0.5 mL and pushed on to 1 mL
    assert went_on.metric("cement_volume").status == "fail"


def test_no_ap_check_at_all_fails_even_after_one_ml(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1])
    s.mix_and_wait().inject(1.0, check_every_ml=None)
    s.shot(90.0)                                          # lateral only after the cement
    r = run(lm, s.finish())
    m = r.metric("ap_checks")
    assert m.value == pytest.approx(1.0)                  # within the 1.05 mL band, but never checked on AP
    assert m.status == "fail" and "never checked on the AP view" in m.detail
    assert r.metric("lateral_checks").status == "pass"
    # FACTS.md 4 (Yeom: a lateral misses most B and S leaks; "require AP checks"): a broken rule, not points
    assert not r.passed and [f["rule"] for f in r.failed_rules] == ["no_ap_check"]
    assert "ap_checks" not in [e["metric"] for e in r.major_errors]


def test_too_much_between_ap_checks_is_a_major_error_not_a_rule(lm):
    """3 mL, then one AP: looked on AP (no rule broken), but 3 mL unchecked is outside the 2 mL warn band."""
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1])
    s.mix_and_wait().inject(3.0, check_every_ml=None)
    s.shot(90.0).shot(0.0)
    r = run(lm, s.finish())
    m = r.metric("ap_checks")
    assert m.value == pytest.approx(3.0) and m.status == "fail" and not m.critical_failed
    assert r.failed_rules == [] and [e["metric"] for e in r.major_errors] == ["ap_checks"]
    assert r.passed


def test_bipedicular_the_other_side_may_fill_after_a_leak_stopped_the_first(lm):
    def left_leaked_then_right():
        s = S.Stream().decide(S.EXPECTED).align()
        s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1])
        s.mix_and_wait().inject(0.5, leaks=[(0.5, "S", "left segmental vein", 0.05)])
        s.add("leak_seen", type="S", region="left segmental vein", view="ap", volume_ml=0.05)
        s.place((-S.ENTRY[0], S.ENTRY[1], S.ENTRY[2]), (-S.TARGET[0], S.TARGET[1], S.TARGET[2]), side="right")
        return s.advance_to_y(S.TARGET[1]).inject(0.5)

    r = run(lm, left_leaked_then_right().finish())      # 1 mL in all: the right side after the left one leaked
    m = r.metric("cement_volume")
    assert m.status == "pass" and "leaking side stopped" in m.detail
    s = left_leaked_then_right()
    s.add("trocar_selected", side="left")
    r2 = run(lm, s.inject(0.5).finish())               # back through the leaking side: not the end condition
    assert r2.metric("cement_volume").status == "fail"
