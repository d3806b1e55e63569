"""The notes the trainee store keeps name the session file so that it is found from anywhere (round 40, assessor3).

An assessor runs ``vptrainer assess cases/carl.jsonl --store records.sqlite3`` in one folder and reads the
attempt later from another (``progress --csv``, the cohort view's debrief).  Until round 40 the stored notes said
"cases/carl.jsonl: its lines end in CR LF ..." and "... since cases/carl.jsonl was recorded on it", relative to a
working directory nobody recorded.  And the trainer's list (its review and debrief) is the list ``assess`` keeps,
word for word, from the one function that reads the case file once.

Oracles: the file system (each path a note names is the session file, read from another folder), the stdlib
:mod:`csv` module, and the GUI's own call on the same file.
"""

import csv
import json
import os
import re

from assess_cases import edit_title, run_assess, session_on_a_copy

from trainer.cli import main
from trainer.core.records.store import open_store


def _named_sessions(lines) -> list[str]:
    """The session paths the CR LF note and the case warning name."""
    found = []
    for ln in lines:
        m = re.match(r"note: (.+\.jsonl): its lines end in CR LF", ln) or re.search(r"since (.+\.jsonl) was recorded",
                                                                                   ln)
        if m:
            found.append(m.group(1))
    return found


def test_stored_notes_name_the_session_from_any_folder_and_match_the_trainers_list(tmp_path, capsys, monkeypatch):
    toml, sess = session_on_a_copy(tmp_path)
    sess.write_bytes(sess.read_bytes().replace(b"\n", b"\r\n"))
    edit_title(toml)
    capsys.readouterr()
    monkeypatch.chdir(tmp_path)                       # assess run with the names relative to here
    rel = os.path.relpath(sess, tmp_path)
    rc, out, _err = run_assess(capsys, rel, "--store", "records.sqlite3", "--json")
    assert rc == 3
    kept = [(n["label"], n["text"]) for n in json.loads(out)["assessment_notes"]]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)                      # read later, from another folder
    with open_store(tmp_path / "records.sqlite3") as st:
        (attempt,) = st.attempts(with_report=True)
    stored = [f"{n['label']}: {n['text']}" for n in attempt.report["assessment_notes"]]
    named = _named_sessions(stored)
    assert len(named) == 2, stored
    for path in named:                               # failed before: "cases/carl.jsonl", nothing from here
        assert os.path.isfile(path) and os.path.samefile(path, sess), path
    assert main(["progress", "carl", "--store", str(tmp_path / "records.sqlite3"), "--csv", "carl.csv"]) == 0
    with open(elsewhere / "carl.csv", newline="", encoding="utf-8") as fh:
        (row,) = csv.DictReader(fh)
    assert row["notes"].split(" | ") == stored

    # the trainer's review of the same file says what assess kept (one function, the case file read once)
    from trainer.core.session.notes import notes_for
    from trainer.core.session.reader import read_session

    record = read_session(sess)
    scenario = record.scenario()
    assert notes_for(record, scenario, unfinished=True) == kept
    assert kept[-1][0] == "UNFINISHED" and notes_for(record, scenario) == kept[:-1]
