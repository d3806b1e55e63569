"""The built-in validity check (issue 13) on a CI subset: one treated case and one to decline.

Each variant changes one thing of the expert's procedure (trainer/core/scoring/validity.py);
the oracle is the documented policy (docs/scoring.md): the expert passes, every variant that
breaks a rule fails in every run, and every variant is separated from the expert by Cohen's
d >= 1.5 on the recorded outcome.  The full table (every case, 3 seeds) is in docs/scoring.md.
"""

import pytest

from trainer.cli import main
from trainer.core.scenario.loader import resolve
from trainer.core.scoring.validity import CATALOGUE, check, cohens_d, outcome_score, run_validity


@pytest.fixture(scope="module")
def table():
    return run_validity([str(resolve("l1-wedge-default")), str(resolve("l1-pmma-allergy"))], seeds=(0,), jobs=1)


def rows(table, scenario):
    return {r["variant"]: r for r in table["rows"] if r["scenario"] == scenario}


def test_the_catalogue_covers_every_rule_and_at_least_15_single_errors():
    from trainer.core.scoring.policy import RULES

    assert {r.id for r in RULES} <= {v.rule for v in CATALOGUE if v.rule}
    assert len([v for v in CATALOGUE if v.id != "expert"]) >= 15
    fams = {v.family for v in CATALOGUE if not v.rule}
    assert {"radiation", "alignment", "tip", "cement", "efficiency"} <= fams


def test_the_subset_shows_what_the_table_must_show(table):
    assert check(table) == []
    wedge = rows(table, "l1-wedge-default")
    assert wedge["expert"]["pass_rate"] == 1.0 and rows(table, "l1-pmma-allergy")["expert"]["pass_rate"] == 1.0
    assert rows(table, "l1-pmma-allergy")["proceed_on_contraindication"]["pass_rate"] == 0.0
    for v in CATALOGUE:
        if v.rule and v.id in wedge:
            r = wedge[v.id]
            assert r["pass_rate"] == 0.0, v.id
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
