"""``vptrainer scenarios expert``: the built-in expert plan as an actions file for ``play`` (issue 12, round 9, D).

An instructor who wanted to demonstrate the expert path had to write Python.  Oracles: ``assess``
of the played file (the score policy: passed), the cement volume asked for, and the file's refusals
(an existing --out without --force, a volume outside 0.5-10 mL: one line, exit 2, nothing written).
"""

from __future__ import annotations

import json

import pytest

from trainer.cli import main


def _assess(session, capsys) -> dict:
    capsys.readouterr()
    assert main(["assess", str(session), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("scenario", "side", "ml", "fill"), [("l1-wedge-default", "left", 3.5, "pass"),
                                                               ("t11-bipedicular", "both", 3.75, "pass"),
                                                               ("l4-wide-pedicles", "left", 4.0, "warn")])
def test_the_written_plan_plays_and_passes(tmp_path, capsys, scenario, side, ml, fill):
    """The default volume follows the body (round 15, `polish`): a fixed 3 mL (4 mL bipedicular) filled the
    20 mL L1 to 14.8 % and a 39 mL L4 (like the real abdominal L3, 7.9 %) below the warn band: a passed
    demonstration that taught a failed fill line.  Oracles: the documented bands (FACTS.md 3 defaults and
    assets/scoring_targets.toml: fill 15-30 % of the body, warn 10-40 %; cement 2.5-4 mL, T11's scenario 3-5 mL):
    by hand, 15-30 % of the 20.3 mL L1 is 3.0-6.1 mL, within 2.5-4 mL -> 3.0-4.0, its middle 3.5 mL; the 14.8 mL
    T11 2.2-4.4 within 3-5 -> 3.0-4.4, middle 3.72 -> 3.75 mL (whole 0.25 mL clicks); the 39.4 mL L4 needs
    5.9 mL, above the 4 mL maximum, which wins (a critical rule): 4 mL, 10.2 %, warned, not failed."""
    plan = tmp_path / "plan.jsonl"
    assert main(["scenarios", "expert", scenario, "--side", side, "--out", str(plan)]) == 0
    said = capsys.readouterr().out
    assert f"{ml:g} mL (15-30 % of this" in said and "vptrainer play" in said
    actions = [json.loads(line) for line in plan.read_text(encoding="utf-8").splitlines()]
    assert actions[-1]["type"] == "finish"
    assert sum(a["ml"] for a in actions if a["type"] == "inject") == pytest.approx(ml)
    placed = {a["side"] for a in actions if a["type"] == "place"}
    assert placed == ({"left", "right"} if side == "both" else {side})
    session = tmp_path / "session.jsonl"
    assert main(["play", scenario, "--actions", str(plan), "--out", str(session)]) == 0
    report = _assess(session, capsys)
    assert report["passed"] is True, report["failed_rules"]
    assert report["cement_injected_ml"] == pytest.approx(ml)
    metrics = {m["id"]: m for m in report["metrics"]}
    assert metrics["cement_volume"]["status"] == "pass"
    assert metrics["fill_fraction"]["status"] == fill, metrics["fill_fraction"]


def test_the_default_volume_is_the_middle_of_what_both_bands_allow():
    """Hand-computed cases of :func:`default_volume_ml` (fill 15-30 %, cement 2.5-4 mL unless said)."""
    from trainer.core.procedure.expert_volume import default_volume_ml

    assert default_volume_ml(20.0, (15, 30), (2.5, 4.0)) == 3.5      # 3.0-6.0 within 2.5-4: 3.0-4.0
    assert default_volume_ml(26.0, (15, 30), (2.5, 4.0)) == 4.0      # 3.9-4.0: the one click in it
    assert default_volume_ml(37.8, (15, 30), (2.5, 4.0)) == 4.0      # needs 5.67: the maximum wins
    assert default_volume_ml(6.0, (15, 30), (2.5, 4.0)) == 2.5       # 0.9-1.8 needs less: the minimum
    assert default_volume_ml(7.8, (15, 30), (2.0, 3.0)) == 2.25      # 2.0-2.34, middle 2.17


def test_bad_requests_are_one_line_and_write_nothing(tmp_path, capsys):
    plan = tmp_path / "plan.jsonl"
    plan.write_text("keep\n", encoding="utf-8")
    assert main(["scenarios", "expert", "l1-wedge-default", "--out", str(plan)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--force" in err
    assert plan.read_text(encoding="utf-8") == "keep\n"
    other = tmp_path / "other.jsonl"
    assert main(["scenarios", "expert", "l1-wedge-default", "--volume-ml", "12", "--out", str(other)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--volume-ml" in err and "10" in err
    assert not other.exists()


def test_a_too_medial_plan_breaches_the_medial_wall(tmp_path, capsys):
    """``--medial-error-deg 15``: the user guide's 15 deg too-medial plan, which an instructor could not
    write without Python (round 15, `walk`).  Oracle: assess's policy (FACTS.md 2): the medial-wall
    rule (tip medial to the medial pedicle wall on AP while behind the posterior wall on lateral) broken,
    where the same scenario's clean plan passes (test above)."""
    plan = tmp_path / "medial.jsonl"
    assert main(["scenarios", "expert", "l1-wedge-default", "--medial-error-deg", "15", "--out", str(plan)]) == 0
    assert "15 deg too medially" in capsys.readouterr().out
    session = tmp_path / "session.jsonl"
    assert main(["play", "l1-wedge-default", "--actions", str(plan), "--out", str(session)]) == 0
    report = _assess(session, capsys)
    assert report["passed"] is False
    assert "medial_wall" in {rule["rule"] for rule in report["failed_rules"]}, report["failed_rules"]
    other = tmp_path / "other.jsonl"
    assert main(["scenarios", "expert", "l1-wedge-default", "--medial-error-deg", "45", "--out", str(other)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--medial-error-deg" in err and "0 to 30" in err
    assert not other.exists()
