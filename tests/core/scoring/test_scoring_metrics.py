"""Each metric on synthetic event streams: the expert passes; each error fails the right
metric for the right reason (fast: no anatomy, no rendering)."""

import numpy as np
import pytest
import scoring_streams as S

from trainer.core.scoring import build_context, score_events
from trainer.core.scoring.metrics.trajectory import gertzbein_grade, positive_interval


@pytest.fixture(scope="module")
def lm():
    return S.landmarks()


def ctx(lm, **kw):
    kw.setdefault("expected", S.EXPECTED)
    return build_context(landmarks=lm, **kw)


def run(lm, stream, **kw):
    return score_events(stream.events, ctx(lm, **kw))


def test_expert_passes_with_a_high_score(lm):
    r = run(lm, S.expert())
    assert r.passed and r.critical_errors == []
    assert r.score >= 90
    bad = [m.id for m in r.metrics if m.status == "fail"]
    assert bad == []
    assert 0.67 <= r.tip["depth_fraction"] <= 0.9
    assert "closest approach of the shaft to the medial wall line 1.0 mm" in r.metric("medial_wall_rule").detail
    assert r.cement_injected_ml == pytest.approx(3.0)
    assert r.global_rating["overall"] >= 4.5
    assert "not validated" in r.global_rating["label"]


def test_every_metric_names_its_source_and_target(lm):
    r = run(lm, S.expert())
    for m in r.metrics:
        assert m.source and ("FACTS.md" in m.source or "seeds/" in m.source), m.id
        assert m.target
    seeds = {m.source for m in r.metrics if "seeds/000_10316454a5df9267.txt" in m.source}
    assert any(m.id == "tip_depth" for m in r.metrics if m.source in seeds)


def test_medial_wall_breach_is_critical(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    # aimed far too medially: enters the canal before reaching the posterior wall
    s.place((15.0, 34.0, 5.0), (-6.0, -8.0, 0.0)).advance_to_y(-8.0)
    s.mix_and_wait().inject(3.0).finish()
    r = run(lm, s)
    m = r.metric("medial_wall_rule")
    assert m.status == "fail" and m.critical_failed
    assert "medial to the left medial pedicle wall" in m.detail and "posterior" in m.detail
    assert not r.passed
    assert r.failed_rules[0]["rule"] == "medial_wall"          # the policy names the first broken rule
    assert r.headline().startswith("FAILED: the tip crossed the medial pedicle wall")
    assert r.metric("canal_foramen_breach").critical_failed
    assert r.metric("breach_grade").value == 3


def test_medial_rule_catches_a_crossing_inside_one_long_step(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    s.place((15.0, 34.0, 5.0), (-6.0, -8.0, 0.0)).advance_to_y(-8.0, step_mm=60.0, walls=False)
    r = run(lm, s.finish())
    assert r.metric("medial_wall_rule").status == "fail"


def test_tip_left_in_posterior_third_fails_tip_depth(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(9.0)          # depth fraction (16.5 - 9) / 33 = 0.23
    s.mix_and_wait().inject(3.0).finish()
    r = run(lm, s)
    m = r.metric("tip_depth")
    assert m.status == "fail" and m.value < 1 / 3
    assert "posterior third" in m.detail
    # injecting there breaks the "tip in the target zone" rule (issue 13 policy)
    assert m.critical_failed and not r.passed
    assert [f["rule"] for f in r.failed_rules] == ["tip_not_in_target"]


def test_front_of_middle_third_warns(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(-2.0)          # 0.56: seed 000's zone, FACTS 2 refines it
    r = run(lm, s.mix_and_wait().inject(3.0).finish())
    assert r.metric("tip_depth").status == "warn"


def test_early_runny_injection_that_leaks(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1])
    s.mix_and_wait(60.0).inject(3.0, phase="runny", leaks=[(1.0, "B", "basivertebral vein", 0.4),
                                                            (2.0, "S", "left segmental vein", 0.9)])
    r = run(lm, s.finish())
    ph = r.metric("cement_phase")
    assert ph.status == "fail" and ph.value == pytest.approx(60 / 60, abs=1e-6)     # the push began as the wait ended
    assert "runny" in ph.detail
    leak = r.metric("leak_other")
    assert leak.status == "fail" and leak.value == pytest.approx(1.3)
    assert "PE risk" in leak.detail
    assert {lk["type"] for lk in r.leaks} == {"B", "S"}
    assert r.metric("leak_canal_foramen").status == "pass"


def test_overfill_past_the_posterior_quarter(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1])
    s.mix_and_wait().inject(7.0, posterior=lambda ml: max(0.0, 0.8 - 0.15 * ml))
    r = run(lm, s.finish())
    stop = r.metric("stop_rule")
    # depth 0.8 - 0.15 ml <= 0.25 from 3.75 mL on: 3.25 mL more were pushed after that
    assert stop.status == "fail" and stop.value == pytest.approx(3.25)
    assert "posterior quarter" in stop.detail
    assert r.metric("cement_volume").status == "fail"


def test_proceeding_on_a_contraindicated_patient_is_critical(lm):
    expected = dict(S.EXPECTED, candidacy="decline")
    s = S.expert(answers=dict(S.EXPECTED))
    r = run(lm, s, expected=expected, reasons={"candidacy": "allergy to the cement: pmma"})
    m = r.metric("candidacy")
    assert m.status == "fail" and m.critical_failed
    assert "declined" in m.detail and "pmma" in m.detail
    assert not r.passed


def test_imaging_before_the_candidacy_decision_is_a_warning(lm):
    """DESIGN.md 4: chart review and checklist, then the C-arm.  The same expert procedure with the
    decision taken after the two alignment shots: the decision is right, the order is not."""
    gates = {k: v for k, v in S.EXPECTED.items() if k != "candidacy"}
    s = S.Stream().decide(gates).align().decide({"candidacy": "proceed"})
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1])
    s.shot(0.0).shot(90.0)
    s.mix_and_wait(300.0).inject(3.0).finish()
    late, first = run(lm, s), run(lm, S.expert())
    m = late.metric("candidacy")
    t_first_shot = next(e.t_s for e in s.events if e.kind == "shot")
    assert m.status == "warn" and not m.critical_failed and m.value == "proceed"
    assert f"first image was taken at t={t_first_shot:.0f} s, before the decision" in m.detail
    assert first.metric("candidacy").status == "pass"
    # half the candidacy weight (2.5 points of the weighted score), and still a pass
    assert late.passed
    assert first.score - late.score > 0


def test_declining_a_contraindicated_patient_passes_without_procedure_metrics(lm):
    expected = dict(S.EXPECTED, candidacy="decline")
    s = S.Stream().decide(dict(S.EXPECTED, candidacy="decline")).finish()
    r = run(lm, s, expected=expected)
    assert r.passed and r.metric("candidacy").status == "pass"
    assert r.metric("tip_depth").status == "n/a" and r.metric("cement_volume").status == "n/a"


def test_doing_nothing_on_an_eligible_patient_fails(lm):
    r = run(lm, S.Stream().decide(S.EXPECTED).finish())
    assert not r.passed and r.score < 40
    assert r.metric("tip_depth").status == "fail" and "not done" in r.metric("tip_depth").detail
    assert r.metric("medial_wall_rule").status == "fail"
    # nothing unsafe was done; the one broken rule is that no treatment was given (no cement)
    assert [f["rule"] for f in r.failed_rules] == ["cement_over_max"]
    assert "no cement was injected into a patient who should be treated" in r.metric("cement_volume").detail


def test_all_cement_into_the_disc_and_over_the_maximum_says_both(lm):
    """5 mL pushed, every 0.5 mL into the disc, against the 4 mL maximum (the synthetic scenario's pass band): the
    volume rule's detail says where it went and that the maximum was passed too (round 27's review: it named the
    body only, the maximum never)."""
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1]).shot(0.0).shot(90.0)
    s.mix_and_wait(300.0).inject(5.0, step=0.5, leaks=[(0.5 * k, "D", "inferior disc", 0.5) for k in range(1, 11)])
    r = run(lm, s.finish())
    detail = r.metric("cement_volume").detail
    assert r.metric("cement_volume").critical_failed
    assert "where it went:" in detail and "above the maximum of 4 mL" in detail, detail


def test_all_cement_into_the_disc_breaks_the_volume_rule(lm):
    """3 mL pushed, every 0.5 mL straight into the disc (a tip outside the body; measured on the
    3 mm abdominal CT's L2 before its fix): the body was never treated, so the attempt fails on
    the volume rule, however clean the rest; 0.5 mL of it in the body is a treatment and passes it."""
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1]).shot(0.0).shot(90.0)
    s.mix_and_wait(300.0).inject(3.0, step=0.5, leaks=[(ml, "D", "inferior disc", 0.5) for ml in
                                                        (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)])
    r = run(lm, s.finish())
    assert r.metric("cement_volume").critical_failed
    detail = r.metric("cement_volume").detail
    assert "where it went: inferior disc" in detail, detail
    # the headline (the rule's words) says none went into the body; the detail does not say it again
    assert "none" not in detail and "maximum" not in detail, detail
    assert [f["rule"] for f in r.failed_rules] == ["cement_over_max"]
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1]).shot(0.0).shot(90.0)
    s.mix_and_wait(300.0).inject(3.0, step=0.5, leaks=[(ml, "D", "inferior disc", 0.5) for ml in
                                                        (0.5, 1.0, 1.5, 2.0, 2.5)])
    r = run(lm, s.finish())
    assert not r.metric("cement_volume").critical_failed


def test_wrong_gate_answers_lower_the_checklist(lm):
    answers = dict(S.EXPECTED, inr="correct_first", fasting="wait")
    r = run(lm, S.expert(answers=answers))
    g = r.metric("checklist_gates")
    assert g.value == pytest.approx(100 * 4 / 6) and g.status == "fail"
    assert "inr: correct_first (expected acceptable" in g.detail


def test_two_hundred_shots_fail_radiation_and_efficiency(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1], step_mm=1.0, shots_every=0)
    while s.shots < 200:
        s.shot(0.0)
    s.mix_and_wait().inject(3.0, check_every_ml=None).finish()
    r = run(lm, s)
    assert r.radiation["shots"] == 200
    assert r.metric("exposures").status == "fail" and r.metric("exposures").value == r.radiation["exposures"] >= 200
    assert r.metric("progress_per_shot").status == "fail"
    assert r.metric("ap_checks").status == "fail"      # no check at all during 3 mL


def test_canal_leak_is_critical(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1])
    s.mix_and_wait().inject(3.0, leaks=[(2.5, "canal", "epidural space", 0.2)]).finish()
    r = run(lm, s)
    m = r.metric("leak_canal_foramen")
    assert m.critical_failed and "canal" in m.detail
    assert not r.passed


def test_anterior_cortex_perforation_is_critical(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(-20.0).finish()
    r = run(lm, s)
    m = r.metric("anterior_cortex")
    assert m.critical_failed and m.value == pytest.approx(3.5, abs=0.6)


def test_alignment_against_patient_roll_and_endplates(lm):
    rolled = S.Stream().decide(S.EXPECTED).align(ap_orbital=8.0, lat_orbital=98.0)
    rolled.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1], shots_every=0).finish()
    c = ctx(lm)
    r0 = score_events(rolled.events, c)
    assert r0.metric("ap_orbital_error").status == "fail" and r0.metric("ap_orbital_error").value == 8
    c.patient_roll_deg = 8.0
    r1 = score_events(rolled.events, c)
    assert r1.metric("ap_orbital_error").status == "pass"
    assert r1.metric("lateral_orbital_error").status == "pass"
    # tilt: the synthetic body's superior endplate slopes by the wedge; 0 deg lies between
    tilted = S.Stream().decide(S.EXPECTED).align(ap_tilt=-8.0)
    tilted.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1], shots_every=0).finish()
    r2 = run(lm, tilted)
    assert r2.metric("ap_tilt_error").value == pytest.approx(8.0) and r2.metric("ap_tilt_error").status == "fail"


def test_alignment_is_judged_before_bone_entry_only(lm):
    s = S.Stream().decide(S.EXPECTED)
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1], shots_every=0).align()   # views only after access
    r = run(lm, s.finish())
    assert r.metric("ap_orbital_error").status == "fail"
    assert "no AP shot before" in r.metric("ap_orbital_error").detail


def test_medial_entry_point_warns_and_far_entry_fails(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    s.place((14.0, 32.0, 4.0), (0.0, -8.0, 0.0)).advance_to_y(14.0)
    r = run(lm, s.finish())
    assert r.metric("entry_point").status == "warn" and "medial half" in r.metric("entry_point").detail
    s = S.Stream().decide(S.EXPECTED).align()
    s.place((27.0, 32.0, 14.0), (0.0, -8.0, 0.0)).advance_to_y(14.0)
    assert run(lm, s.finish()).metric("entry_point").status == "fail"


def test_breach_grade_from_wall_events(lm):
    s = S.expert()
    s.events.insert(-1, S.Event("wall_crossed", s.t, {"wall": "pedicle_lateral", "side": "left",
                                                      "point_mm": [21, 25, 4], "inward": False, "breach_mm": 2.5,
                                                      "grade": 2, "tissue_from": "pedicle_left",
                                                      "tissue_to": "muscle"}))
    r = run(lm, s)
    m = r.metric("breach_grade")
    assert m.value == 2 and m.status == "fail" and "lateral pedicle wall" in m.detail and not m.critical_failed
    assert "beyond the 2 mm tolerance" in m.detail


def test_breach_that_deepens_after_the_crossing_takes_the_worst_grade(lm):
    # the crossing step breached by 1 mm (grade 1); pushing on, the procedure reports the
    # insertion's worst breach reaching 4.6 mm (grade 3) in a ``breach`` event
    s = S.expert()
    s.events.insert(-1, S.Event("wall_crossed", s.t, {"wall": "pedicle_medial", "side": "left",
                                                      "point_mm": [12, 25, 4], "inward": False, "breach_mm": 1.0,
                                                      "grade": 1, "tissue_from": "pedicle_left",
                                                      "tissue_to": "posterior_elements"}))
    s.events.insert(-1, S.Event("breach", s.t + 5, {"side": "left", "wall": "pedicle_medial", "breach_mm": 4.6,
                                                    "grade": 3, "tip_mm": [10, 20, 4]}))
    m = run(lm, s).metric("breach_grade")
    assert m.value == 3 and m.status == "fail" and "4.6 mm" in m.detail


def test_cement_spread_from_points(lm):
    g = np.mgrid[-6:6:1.0, -12:0:1.0, -9.5:9.5:1.0].reshape(3, -1).T     # crosses x=0, near both endplates
    r = run(lm, S.expert(), cement_points_mm=g)
    assert r.metric("cement_spread").value == 3 and r.metric("cement_spread").status == "pass"
    one_side = g[g[:, 0] > 2] * [1, 1, 0.3]
    r = run(lm, S.expert(), cement_points_mm=one_side)
    m = r.metric("cement_spread")
    assert m.value == 0 and "crosses the midline" in m.detail


def test_scenario_override_changes_the_volume_band(lm):
    from trainer.core.scenario.targets import load_targets
    t = load_targets().with_overrides({"cement_ml_min": 1.5, "cement_ml_max": 2.5})
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1]).mix_and_wait().inject(2.0).finish()
    assert run(lm, s, targets=t).metric("cement_volume").status == "pass"
    assert run(lm, s).metric("cement_volume").status == "warn"


def test_live_feed_equals_offline_and_json_round_trip(lm):
    from trainer.core.scoring import Scorer
    s = S.expert()
    c = ctx(lm)
    live = Scorer(c)
    for ev in s.events:
        live.feed(ev)
        live.report()              # the GUI asks for the score after every action
    offline = score_events([e.to_json() for e in s.events], c)
    assert live.report().to_json() == offline.to_json()


def test_helpers():
    assert [gertzbein_grade(v) for v in (0, 1.9, 2.0, 4.0, 4.1)] == [0, 1, 2, 2, 3]
    assert positive_interval(1.0, 2.0) == (0.0, 1.0)
    assert positive_interval(-1.0, -2.0) is None
    assert positive_interval(1.0, -1.0) == (0.0, 0.5)
    assert positive_interval(-1.0, 3.0) == (0.25, 1.0)


def test_withdrawal_and_reinsertion_on_the_other_side_is_judged_on_that_side(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(20.0)
    s.add("trocar_aimed", direction=[0, -1, 0], change_deg=6.0, redirection=True, tip_mm=list(s.tip), tissue="x")
    s.add("trocar_moved", delta_mm=-70.0, depth_mm=0.0, tip_mm=None, tissue="outside", shaft_tissues=[],
          removed=True)
    # the right side, mirrored, but aimed too medially: the rule must use the right pedicle's wall
    s.place((-15.0, 34.0, 5.0), (6.0, -8.0, 0.0), side="right").advance_to_y(-8.0)
    r = run(lm, s.finish())
    m = r.metric("medial_wall_rule")
    assert m.status == "fail" and "right medial pedicle wall" in m.detail
    assert r.metric("redirections").value == 1


def test_leaks_record_the_views_that_showed_them(lm):
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1])
    s.mix_and_wait().inject(3.0, leaks=[(1.0, "S", "left segmental vein", 0.3), (2.0, "D", "superior disc", 0.2)])
    s.add("leak_seen", type="S", region="left segmental vein", view="ap", volume_ml=0.3)
    r = run(lm, s.finish())
    seen = {lk["type"]: lk["seen_on"] for lk in r.to_json()["leaks"]}
    assert seen == {"S": ["ap"], "D": []}
    d = r.metric("leak_other").detail
    assert "S (left segmental vein) 0.30 mL, seen on AP" in d and "D (superior disc) 0.20 mL, not seen" in d


def test_proceeding_when_the_chart_says_defer_names_the_reason(lm):
    expected = dict(S.EXPECTED, candidacy="defer", inr="correct_first")
    r = run(lm, S.expert(), expected=expected, reasons={"candidacy": "INR 2 > 1.5: correct and recheck"})
    m = r.metric("candidacy")
    assert m.critical_failed and "should be deferred" in m.detail and "INR 2" in m.detail
    s = S.Stream().decide(dict(S.EXPECTED, candidacy="defer", inr="correct_first")).finish()
    ok = run(lm, s, expected=expected)
    assert ok.metric("candidacy").status == "pass" and "correctly deferred" in ok.metric("candidacy").detail
    assert ok.passed


def test_the_canal_critical_error_says_where_how_and_when_once(lm):
    """Round 27's walk-through (pass 128): "the trocar entered the spinal canal or a neural foramen: the trocar
    entered the spinal canal at t=190 s: the tip entered it (1 event(s))". Oracle: the stream built here, whose
    tip is in the canal on the moves counted by hand from its own events."""
    s = S.Stream().decide(S.EXPECTED).align()
    s.place((15.0, 34.0, 5.0), (-6.0, -8.0, 0.0)).advance_to_y(-8.0)
    s.mix_and_wait().inject(3.0).finish()
    r = run(lm, s)
    in_canal = [e for e in s.events if e.kind == "trocar_moved" and e.data.get("tissue") == "canal"]
    assert in_canal
    line = next(c for c in r.critical_errors if c.startswith("the trocar entered the spinal canal or a neural"))
    assert line.count("entered") == 1, line
    n = len(in_canal)
    moves = f"{n} move{'s' if n != 1 else ''} into the canal or a foramen"
    assert f"the spinal canal, by the tip, at t={in_canal[0].t_s:.0f} s ({moves})" in line, line


def test_cement_that_all_went_into_the_canal_is_named_as_such_not_as_too_much(lm):
    """0.25 mL, all of it into the canal (pass 128's abdominal L3): the volume rule's words said "more cement was
    injected than the scenario's maximum, or none (or none into the vertebral body)". Oracle: the stream's own
    leak, 0.25 mL into the epidural space, and the maximum of 4 mL (docs/scoring.md)."""
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1])
    s.mix_and_wait().inject(0.25, leaks=[(0.25, "canal", "epidural space", 0.25)]).finish()
    r = run(lm, s)
    rule = next(f for f in r.failed_rules if f["rule"] == "cement_over_max")
    assert rule["text"].startswith("the cement went outside the vertebral body"), rule["text"]
    line = next(c for c in r.critical_errors if c.startswith(rule["text"]))
    assert "maximum" not in line and "or none" not in line, line
    assert "where it went: epidural space 0.25 mL" in line, line


def test_the_volume_rule_names_each_cause_in_its_own_words(lm):
    """Over the 4 mL maximum, and no cement at all: each says what happened and nothing of the other cause."""
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1])
    s.mix_and_wait().inject(5.0).finish()
    over = next(f for f in run(lm, s).failed_rules if f["rule"] == "cement_over_max")
    assert over["text"] == "more cement was injected than the scenario's maximum"
    assert "5.00 mL injected" in over["detail"] and "above the maximum of 4 mL" in over["detail"]
    none = run(lm, S.Stream().decide(S.EXPECTED).finish()).failed_rules
    assert [(f["rule"], f["text"]) for f in none] == [
        ("cement_over_max", "no cement was injected into a patient who should be treated")]
