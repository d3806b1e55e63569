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


@pytest.mark.parametrize(("scenario", "side", "ml"), [("l1-wedge-default", "left", 3.0),
                                                       ("t11-bipedicular", "both", 4.0)])
def test_the_written_plan_plays_and_passes(tmp_path, capsys, scenario, side, ml):
    plan = tmp_path / "plan.jsonl"
    assert main(["scenarios", "expert", scenario, "--side", side, "--out", str(plan)]) == 0
    said = capsys.readouterr().out
    assert f"{ml:g} mL" in said and "vptrainer play" in said
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
