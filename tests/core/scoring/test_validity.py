"""The built-in validity check (issue 13) on a CI subset: one treated case and one to decline.

Each variant changes one thing of the expert's procedure (trainer/core/scoring/validity.py);
the oracle is the documented policy (docs/scoring.md): the expert passes, every variant that
breaks a rule fails in every run, and every variant is separated from the expert by Cohen's
d >= 1.5 on the recorded outcome.  Two seeds on the treated case, so that d is a real
comparison of two samples (a variant that ties the expert gives d = 0 and fails).  The full
table (every case, 3 seeds) is in docs/scoring.md.
"""

import math

import pytest

from trainer.cli import main
from trainer.core.procedure.actions import DURATIONS
from trainer.core.scenario.loader import load_scenario, resolve
from trainer.core.scoring.validity import (
    CATALOGUE,
    Technique,
    check,
    cohens_d,
    expert_technique,
    leak_risks,
    outcome_score,
    run_validity,
)

SEEDS = (0, 1)


@pytest.fixture(scope="module")
def table():
    treated = run_validity([str(resolve("l1-wedge-default"))], seeds=SEEDS, jobs=1)
    declined = run_validity([str(resolve("l1-pmma-allergy"))], seeds=(0,), jobs=1)
    rows = [r for r in treated["rows"] if r["scenario"] != "all"] + \
        [r for r in declined["rows"] if r["scenario"] != "all"]
    return {"rows": rows}


def rows(table, scenario):
    return {r["variant"]: r for r in table["rows"] if r["scenario"] == scenario}


def test_the_catalogue_covers_every_rule_and_at_least_15_single_errors():
    from trainer.core.scoring.policy import RULES

    assert {r.id for r in RULES} <= {v.rule for v in CATALOGUE if v.rule}
    assert len([v for v in CATALOGUE if v.id != "expert"]) >= 15
    fams = {v.family for v in CATALOGUE if not v.rule}
    assert {"radiation", "alignment", "tip", "cement", "efficiency"} <= fams


@pytest.mark.slow
def test_the_subset_shows_what_the_table_must_show(table):
    assert check(table) == []
    wedge = rows(table, "l1-wedge-default")
    assert wedge["expert"]["runs"] == len(SEEDS) and wedge["expert"]["pass_rate"] == 1.0
    assert rows(table, "l1-pmma-allergy")["expert"]["pass_rate"] == 1.0
    assert rows(table, "l1-pmma-allergy")["proceed_on_contraindication"]["pass_rate"] == 0.0
    assert {v.id for v in CATALOGUE} - {"proceed_on_contraindication"} <= set(wedge)
    for v in CATALOGUE:
        if v.id == "expert" or v.id not in wedge:
            continue
        r = wedge[v.id]
        assert r["runs"] == len(SEEDS)
        d = math.inf if r["cohens_d"] == "inf" else r["cohens_d"]
        assert d >= 1.5, (v.id, r["cohens_d"], r["scores"])       # every variant, critical or not
        if v.rule:
            assert r["pass_rate"] == 0.0, v.id                       # fails in every run
            if v.rule != "canal_cement":          # may also stop at the posterior quarter first (docs)
                assert v.rule in r["rules_broken"], (v.id, r["rules_broken"])
    assert wedge["exposure_abuse"]["caught_by"] == "exposures"
    assert wedge["held_fluoro_abuse"]["caught_by"] in ("fluoro_time", "pulses", "air_kerma", "dap")


def test_cohens_d_by_hand():
    # means 10 and 8, sample variances 1 and 1: pooled sd 1, d = 2
    assert cohens_d([9, 10, 11], [7, 8, 9]) == pytest.approx(2.0)
    assert cohens_d([5, 5], [5, 5]) == 0.0 and cohens_d([6, 6], [5, 5]) == float("inf")
    assert outcome_score(95.0, False, 70.0) == 69.0 and outcome_score(95.0, True, 70.0) == 95.0


def test_validity_command_prints_the_table(capsys):
    code = main(["validity", "--scenarios", "l1-pmma-allergy", "--seeds", "1", "--variants",
                 "proceed_on_contraindication", "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 0 and "proceed_on_contraindication" in out and "all checks hold" in out


def test_the_expert_adapts_its_technique_to_a_leak_prone_case():
    plain = load_scenario(str(resolve("l1-wedge-default")))
    assert leak_risks(plain) == () and expert_technique(plain) == Technique()
    risky = load_scenario(str(resolve("l2-large-basivertebral-vein")))
    t = expert_technique(risky)
    assert "large basivertebral vein (type B leaks)" in t.reasons and "low-viscosity cement (OR 3.32)" in t.reasons
    assert (t.ap_every_ml, t.stop_depth, t.volume_ml) == (0.5, 0.35, 2.5)
    # by hand: a 0.5 mL push 2 s + 7.5 s at 4 mL/min; each view a 90 deg C-arm move (2 s + 9 s) and a shot (1 s
    # + 1 s allowed for the beam): 9.5 + 2 x 13 = 35.5 s; low-viscosity cement is injectable until 13 min
    # (assets/cement_products.toml), so 5 pushes and 30 s in hand start at 780 - 177.5 - 30 = 572.5 s
    assert DURATIONS.inject_s(0.5) == pytest.approx(9.5) and t.push_s() == pytest.approx(35.5)
    assert t.start_s(risky) == pytest.approx(572.5)


def test_check_reports_a_minus_infinite_cohens_d_instead_of_crashing():
    # one seed, a variant scoring above the expert with no spread: d is written "-inf" in the table;
    # check() compared the string with 1.5 (TypeError traceback from `vptrainer validity --scenarios`
    # on the imported chest T12, where the 15 deg medial plan scores 85.0 and the expert 83.5)
    from trainer.core.scoring.validity import check

    row = {"scenario": "chest_T12", "variant": "medial_wall_crossed", "rule": "medial_wall", "pass_rate": 1.0,
           "cohens_d": "-inf"}
    problems = check({"rows": [row]})
    assert any("Cohen's d -inf < 1.5" in p for p in problems)
    assert not any("Cohen's d" in p for p in check({"rows": [{**row, "cohens_d": "inf"}]}))
