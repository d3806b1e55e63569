"""A session assessed after the scenario file it was recorded on was edited (firstuse37's #8): it is scored against
the copy the session recorded (as before), and a warning names the file when that file lies where the assessor
allowed (the session's folder, or ``--ct-root``), the rule resume uses; a file elsewhere is never read.

Oracles: the report before the edit (the score does not move); the file's bytes, edited by the test; where the
file lies against the session's folder.
"""

import csv
import json
import shutil

import pytest
from assess_cases import edit_title, run_assess, session_on_a_copy


@pytest.fixture()
def case(tmp_path):
    """``cases/mycase.toml`` (a copy of the default case) and a session recorded on it in the same folder."""
    return session_on_a_copy(tmp_path)


def test_an_edited_scenario_file_is_named_and_the_score_is_the_recorded_copys(case, capsys):
    toml, sess = case
    rc0, out0, err0 = run_assess(capsys, sess)
    assert "WARNING" not in err0 and "changed" not in err0, err0
    _, js0, _ = run_assess(capsys, sess, "--json")
    assert json.loads(js0)["session"]["scenario_file_changed"] is None
    edit_title(toml)
    rc, out, err = run_assess(capsys, sess)
    assert rc == rc0 and out == out0                                  # scored against the recorded copy
    (warning,) = [ln for ln in err.splitlines() if "WARNING" in ln]
    assert warning == (f"vptrainer assess: WARNING: the scenario file {toml.resolve()} has changed since {sess} was "
                       "recorded on it; it was scored against the copy the session recorded, not the edited file "
                       "(vptrainer offers no way to score a session against another version of its case)")
    _, js, _ = run_assess(capsys, sess, "--json")
    a, b = json.loads(js0), json.loads(js)
    assert b["session"].pop("scenario_file_changed") == warning.split("WARNING: ", 1)[1]
    a["session"].pop("scenario_file_changed")
    # --json (and so --store) keeps the notes stderr printed, in its words, with the unfinished one
    said = next(ln for ln in out.splitlines() if ln.startswith("UNFINISHED: "))   # what stdout says of it
    unfinished = {"label": "UNFINISHED", "text": said.removeprefix("UNFINISHED: ")}
    assert a.pop("assessment_notes") == [unfinished]
    assert b.pop("assessment_notes") == [{"label": "WARNING", "text": warning.split("WARNING: ", 1)[1]}, unfinished]
    assert a == b


def test_a_scenario_file_outside_the_allowed_folders_is_not_read(case, tmp_path, capsys):
    """The session moved away from its case: the file it names lies outside the session's folder and is not
    looked at, unless the assessor allows its folder with --ct-root."""
    toml, sess = case
    edit_title(toml)
    away = tmp_path / "away"
    away.mkdir()
    moved = shutil.copy(sess, away / "carl.jsonl")
    rc, _out, err = run_assess(capsys, moved)
    assert rc == 3 and "WARNING" not in err, err
    rc, _out, err = run_assess(capsys, moved, "--ct-root", toml.parent)
    assert rc == 3 and f"the scenario file {toml.resolve()} has changed" in err, err


def test_the_batch_row_carries_the_warning(case, tmp_path, capsys):
    toml, sess = case
    edit_title(toml)
    rc, _out, err = run_assess(capsys, sess.parent, "--csv", tmp_path / "out.csv")
    assert rc == 3, err
    (row,) = csv.DictReader((tmp_path / "out.csv").open())
    assert f"WARNING: the scenario file {toml.resolve()} has changed since {sess} was recorded on it" in row["notes"]
    assert row["message"] == ""                          # the warning in one column, notes (round 40)
