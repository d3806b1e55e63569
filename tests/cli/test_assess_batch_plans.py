"""``vptrainer assess DIR --csv``: the documented demonstration leaves action plans next to the sessions.

docs/user-guide.md ("Demonstrate the expert path") has the instructor write ``scenarios expert CASE --out
plan.jsonl`` and ``play CASE --actions plan.jsonl --out session.jsonl`` into one folder.  Tried as an
assessor (round 22): ``assess FOLDER --csv`` then reported every plan as an error ("not a vptrainer session
header") and exited 2 although every session passed.  A plan found in a folder is now a ``skipped`` row;
a plan named on the command line is still assessed and refused.  Oracle: the session's score from the
one-file ``assess --json``, and the plan's first line as ``scenarios expert`` wrote it.
"""

import csv
import json
from pathlib import Path

import pytest

from trainer.cli import main


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo")
    assert main(["scenarios", "expert", "l1-wedge-default", "--out", str(d / "plan.jsonl")]) == 0
    assert main(["play", "l1-wedge-default", "--actions", str(d / "plan.jsonl"), "--out",
                 str(d / "session.jsonl")]) == 0
    return d


def test_a_plan_beside_the_sessions_is_skipped_not_an_error(folder, tmp_path, capsys):
    first = json.loads((folder / "plan.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert "type" in first and "hash" not in first                   # an action, as play --actions reads it
    capsys.readouterr()
    assert main(["assess", str(folder / "session.jsonl"), "--json"]) == 0
    score = json.loads(capsys.readouterr().out)["score"]
    out = tmp_path / "scores.csv"
    code = main(["assess", str(folder), "--csv", str(out), "--jobs", "1"])
    err = capsys.readouterr().err
    assert code == 0, err
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows["plan.jsonl"]["status"] == "skipped" and "action plan" in rows["plan.jsonl"]["message"]
    assert rows["session.jsonl"]["status"] == "passed" and float(rows["session.jsonl"]["score"]) == score
    assert "ERROR" not in err


def test_a_plan_named_on_the_command_line_is_still_refused(folder, capsys):
    code = main(["assess", str(folder / "plan.jsonl"), str(folder / "session.jsonl"), "--jobs", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "plan.jsonl:1: not a vptrainer session header" in err


def test_a_folder_of_plans_only_is_one_line_naming_them(folder, tmp_path, capsys):
    plans = tmp_path / "plans"
    plans.mkdir()
    for name in ("left.jsonl", "right.jsonl"):
        (plans / name).write_bytes((folder / "plan.jsonl").read_bytes())
    code = main(["assess", str(plans)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "2 action plan(s), no session" in err, err


def test_a_folder_of_sessions_saved_as_json_names_them(folder, tmp_path, capsys):
    """firstuse37's #9: a folder holding a session saved as ``default.json`` (and a notes.json that is no session)
    said only "expected session files or folders with *.jsonl files".  The batch still reads *.jsonl only; the line
    names the session files it found under another extension and what to do.  Oracle: the files the test wrote."""
    d = tmp_path / "jsononly"
    d.mkdir()
    (d / "default.json").write_bytes((folder / "session.jsonl").read_bytes())
    (d / "notes.json").write_text('{"kind": "header", "note": "not a session"}\n', encoding="utf-8")
    (d / "plan.json").write_bytes((folder / "plan.jsonl").read_bytes())
    before = sorted(p.name for p in d.iterdir())
    code = main(["assess", str(d)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.endswith("expected session files or folders with *.jsonl files (it holds 1 session saved as .json: "
                        "default.json; rename it to .jsonl or give it by name)"), err
    assert sorted(p.name for p in d.iterdir()) == before
    (d / "other.json").write_bytes((folder / "session.jsonl").read_bytes())
    code = main(["assess", str(d), "--csv", str(tmp_path / "out.csv")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "2 sessions saved as .json: default.json, other.json; rename them" in err, err
    assert not (tmp_path / "out.csv").exists()
    assert main(["assess", str(d / "default.json")]) == 0                  # given by name, it is assessed


def test_a_session_saved_as_json_beside_assessed_sessions_is_named_not_read(folder, tmp_path, capsys):
    """A folder with a ``*.jsonl`` session and a session saved as ``.json``: the batch assesses the ``.jsonl`` one
    (it reads ``*.jsonl`` only, as ``--help`` says) and said nothing of the other, so an assessor counting rows
    missed an attempt.  Now one note names it and what to do.  Oracle: the files the test wrote; the CSV's rows."""
    d = tmp_path / "mixed"
    d.mkdir()
    (d / "anna.jsonl").write_bytes((folder / "session.jsonl").read_bytes())
    (d / "ben.json").write_bytes((folder / "session.jsonl").read_bytes())
    (d / "notes.json").write_text('{"kind": "header", "note": "not a session"}\n', encoding="utf-8")
    code = main(["assess", str(d), "--csv", str(tmp_path / "out.csv")])
    err = capsys.readouterr().err
    assert code == 0, err
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as fh:
        assert [Path(r["path"]).name for r in csv.DictReader(fh)] == ["anna.jsonl"]
    (note,) = [ln for ln in err.splitlines() if "saved as .json" in ln]
    assert note == (f"vptrainer assess: note: {d}: it also holds 1 session saved as .json, not assessed: ben.json; "
                    "rename it to .jsonl or give it by name")
