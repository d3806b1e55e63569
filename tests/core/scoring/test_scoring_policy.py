"""The pass/fail policy (issue 13): each rule broken by a procedure that breaks exactly that rule.

Event streams of a scripted procedure on synthetic L1 landmarks (tests/core/scoring/
scoring_streams.py); each test changes one thing of the clean expert stream and checks
that the attempt fails naming that rule, and only that rule.  The oracle for each is the
documented rule (docs/scoring.md, trainer/core/scoring/policy.py), not the code's output.
"""

import pytest
import scoring_streams as S

from trainer.core.anatomy.breach import MEDIAL_BREACH_TOLERANCE_MM, breach_class, gr_grade, medial_breach_mm
from trainer.core.procedure.events import Event
from trainer.core.scoring import build_context, score_events
from trainer.core.scoring.policy import RULES


def run(stream, **ctx):
    return score_events(stream.events, build_context(landmarks=S.landmarks(), expected=S.EXPECTED, **ctx))


def rules(r):
    return [f["rule"] for f in r.failed_rules]


def test_the_clean_expert_breaks_no_rule_and_passes():
    r = run(S.expert(), neural_cement_ml={"canal": 0.0, "foramen": 0.0}, canal_wall_temperature_c=41.0)
    assert rules(r) == [] and r.passed and r.headline().startswith("PASSED")


def test_every_rule_has_a_source_and_a_critical_metric():
    from trainer.core.scenario.targets import load_targets

    t = load_targets()
    for rule in RULES:
        assert ("FACTS.md" in rule.source or "seeds/" in rule.source), rule.id
        assert t[rule.metric].critical, rule.id


def test_proceeding_without_a_candidacy_decision_fails():
    answers = {k: v for k, v in S.EXPECTED.items() if k != "candidacy"}
    r = run(S.expert(answers))
    assert rules(r) == ["contraindication"] and not r.passed
    assert "no candidacy decision" in r.metric("candidacy").detail


def test_declining_an_eligible_patient_fails():
    s = S.Stream().decide(dict(S.EXPECTED, candidacy="decline")).finish()
    r = run(s)
    assert "contraindication" in rules(r) and not r.passed


def test_proceeding_on_a_patient_to_defer_fails():
    exp = dict(S.EXPECTED, candidacy="defer", inr="correct_first")
    s = S.expert(dict(exp, candidacy="proceed"))
    r = score_events(s.events, build_context(landmarks=S.landmarks(), expected=exp))
    assert rules(r) == ["contraindication"]


def test_a_gate_answered_wrongly_fails():
    r = run(S.expert(dict(S.EXPECTED, inr="correct_first")))
    assert rules(r) == ["checklist_gate"] and not r.passed
    assert "inr: correct_first (expected acceptable" in r.metric("checklist_gates").detail


def test_a_gate_left_unanswered_fails():
    r = run(S.expert({k: v for k, v in S.EXPECTED.items() if k != "fasting"}))
    assert rules(r) == ["checklist_gate"]
    assert "fasting: unanswered" in r.metric("checklist_gates").detail


def test_runny_cement_fails():
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1]).shot(0.0).shot(90.0)
    s.mix_and_wait(120.0).inject(3.0, phase="runny")
    r = run(s.finish())
    assert rules(r) == ["cement_too_early"] and not r.passed
    assert "before the working phase" in r.metric("cement_phase").detail


def test_setting_cement_only_costs_points():
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1]).shot(0.0).shot(90.0)
    s.mix_and_wait(660.0).inject(3.0, phase="setting")
    r = run(s.finish())
    assert rules(r) == [] and r.metric("cement_phase").status == "warn"


def test_more_than_the_maximum_volume_fails_and_too_little_costs_points():
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1]).shot(0.0).shot(90.0)
    s.mix_and_wait().inject(4.5, posterior=lambda ml: 0.5)      # 4.5 mL > 4 mL (seed: 2.5-4 mL)
    r = run(s.finish())
    assert rules(r) == ["cement_over_max"] and "above the maximum of 4 mL" in r.metric("cement_volume").detail
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1]).shot(0.0).shot(90.0)
    s.mix_and_wait().inject(1.0)
    r = run(s.finish())
    assert rules(r) == [] and r.metric("cement_volume").status == "fail"


def test_a_scenario_maximum_is_the_limit():
    s = S.expert()                                   # 3 mL
    ctx = build_context(landmarks=S.landmarks(), expected=S.EXPECTED)
    ctx.targets = ctx.targets.with_overrides({"cement_ml_max": 2.5})
    r = score_events(s.events, ctx)
    assert rules(r) == ["cement_over_max"]


def test_injecting_on_after_the_posterior_quarter_fails():
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1]).shot(0.0).shot(90.0)
    # the cement reaches the posterior quarter (0.22 <= 0.25) at 2 mL; 1 mL more follows
    s.mix_and_wait().inject(3.0, posterior=lambda ml: 0.5 if ml < 2.0 else 0.22)
    r = run(s.finish())
    assert rules(r) == ["posterior_quarter"] and r.metric("stop_rule").value == pytest.approx(1.0)


def test_stopping_at_the_posterior_quarter_breaks_nothing():
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1]).shot(0.0).shot(90.0)
    s.mix_and_wait().inject(3.0, posterior=lambda ml: 0.5 if ml < 3.0 else 0.22)   # reached on the last push
    assert rules(run(s.finish())) == []


def test_tip_behind_the_target_zone_at_injection_fails():
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(1.0)      # depth (16.5 - 1) / 33 = 0.47 < 0.5
    s.mix_and_wait().inject(3.0)
    r = run(s.finish())
    assert rules(r) == ["tip_not_in_target"]
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(-1.0)     # 0.53: front of the middle third warns
    s.mix_and_wait().inject(3.0)
    r = run(s.finish())
    assert rules(r) == [] and r.metric("tip_depth").status == "warn"


def test_cement_in_the_canal_by_location_fails_whatever_its_type():
    # the cement model typed the leak "B" (basivertebral), but 0.2 mL of it sits inside the canal outline
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1]).shot(0.0).shot(90.0)
    s.mix_and_wait().inject(3.0, leaks=[(2.0, "B", "basivertebral vein", 0.3)])
    r = run(s.finish(), neural_cement_ml={"canal": 0.2, "foramen": 0.0})
    assert rules(r) == ["canal_cement"]
    assert "0.200 mL inside the canal outline" in r.metric("leak_canal_foramen").detail
    assert r.metric("leak_other").status == "warn"     # the B leak is also a venous leak: both


def test_a_leak_typed_canal_fails():
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1]).shot(0.0).shot(90.0)
    s.mix_and_wait().inject(3.0, leaks=[(2.0, "foramen", "left foramen", 0.05)])
    assert rules(run(s.finish())) == ["canal_cement"]


def test_a_hot_canal_wall_fails():
    r = run(S.expert(), canal_wall_temperature_c=47.5)
    assert rules(r) == ["canal_heat"] and "47.5 C (limit 45 C)" in r.metric("canal_wall_temperature").detail
    assert rules(run(S.expert(), canal_wall_temperature_c=44.9)) == []


def test_perforating_the_anterior_cortex_fails():
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(-18.0, walls=False)      # 1.5 mm beyond the anterior wall
    s.add("trocar_moved", dt=3.0, delta_mm=-4.0, depth_mm=0.0, tip_mm=[3.0, -14.0, 0.0], tissue="cancellous",
          shaft_tissues=["cancellous"], removed=False, breach_mm=0.0, grade=0, medial_margin_mm=1.0)
    s.tip = s.tip * 0 + [3.0, -14.0, 0.0]
    s.mix_and_wait().inject(3.0)
    r = run(s.finish())
    assert rules(r) == ["anterior_cortex"]


def test_crossing_the_medial_wall_before_the_body_fails_with_its_rule_first():
    s = S.Stream().decide(S.EXPECTED).align()
    s.place((15.0, 34.0, 5.0), (-6.0, -8.0, 0.0)).advance_to_y(-8.0)
    r = run(s.mix_and_wait().inject(3.0).finish())
    assert rules(r)[:2] == ["medial_wall", "canal_breach"]
    assert r.headline().startswith("FAILED: the tip crossed the medial pedicle wall")


def _grazing_stream(excursion_mm, breach_mm, canal_touch=True):
    """The expert path, plus one step whose tip sits ``excursion_mm`` medial to the medial wall line while
    posterior to the posterior wall, with the procedure's breach depth ``breach_mm`` and the shaft
    touching canal voxels."""
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET)
    lm = S.landmarks()
    ped = lm.pedicle("left")
    p = [ped.medial_wall_x_mm - excursion_mm, 20.0, 4.0]           # y 20 > posterior wall 16.5, < entry y + 1
    s.add("trocar_moved", dt=3.0, delta_mm=10.0, depth_mm=0.0, tip_mm=p, tissue="pedicle_left",
          shaft_tissues=["muscle", "pedicle_left"] + (["canal"] if canal_touch else []), removed=False,
          breach_mm=breach_mm, grade=gr_grade(breach_mm), medial_margin_mm=-breach_mm)
    s.add("breach", dt=0.0, side="left", wall="pedicle_medial", breach_mm=breach_mm, grade=gr_grade(breach_mm),
          tip_mm=p)
    q = [p[0], 15.0, 4.0]                                           # straight on into the body
    s.add("trocar_moved", dt=3.0, delta_mm=5.0, depth_mm=0.0, tip_mm=q, tissue="cancellous",
          shaft_tissues=["muscle", "pedicle_left", "cancellous"], removed=False, breach_mm=breach_mm,
          grade=gr_grade(breach_mm), medial_margin_mm=-breach_mm)
    s.tip = s.tip * 0 + q
    s.advance_to_y(S.TARGET[1], walls=False)
    return s.mix_and_wait().inject(3.0).finish()


@pytest.mark.parametrize("excursion_mm,breach_mm", [(0.1, 0.6), (0.25, 0.8), (0.4, 1.0)])
def test_grazing_the_medial_wall_is_one_consistent_warning(excursion_mm, breach_mm):
    """Issue 13's too-strict case: 0.1-0.4 mm medial excursion with a grade-1 breach.  By the one
    definition (outer surface past the wall: excursion + 1.5 mm radius < 2 mm; breach < 2 mm) all
    three metrics say "within tolerance" and none fails the attempt."""
    assert breach_class(medial_breach_mm(excursion_mm, 1.5)) == "within tolerance"
    r = run(_grazing_stream(excursion_mm, breach_mm))
    assert rules(r) == []
    assert [r.metric(m).status for m in ("medial_wall_rule", "breach_grade", "canal_foramen_breach")] == \
        ["warn", "warn", "warn"]
    assert f"{MEDIAL_BREACH_TOLERANCE_MM:g} mm tolerance" in r.metric("canal_foramen_breach").detail


def test_a_medial_breach_beyond_the_tolerance_fails_all_three_together():
    r = run(_grazing_stream(1.0, 2.5))         # outer surface 2.5 mm past: grade 2
    assert rules(r)[:2] == ["medial_wall", "canal_breach"]
    assert r.metric("breach_grade").status == "fail" and r.metric("breach_grade").value == 2


def test_wall_names_are_matched_exactly_not_by_substring():
    s = S.expert()
    s.events.insert(-1, Event("wall_crossed", s.t, {"wall": "not_a_pedicle_medial_wall", "side": "left",
                                                    "point_mm": [21, 25, 4], "inward": False, "breach_mm": 3.0,
                                                    "grade": 2, "tissue_from": "x", "tissue_to": "muscle"}))
    assert run(s).metric("breach_grade").value == 0
