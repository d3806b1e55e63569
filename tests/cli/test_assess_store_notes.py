"""The trainee store keeps an attempt's assessment notes with its report (issue 12, round 39): ``assess --store``,
single or batch, records the notes ``assess`` prints, so that a later look at the record (the cohort view's
debrief) says them; a store written before round 39 (reports without notes) still loads and opens.

Oracle: the lines ``assess`` prints on stderr (after ``vptrainer assess: ``) and the UNFINISHED line on stdout,
for the same file.
"""

import json
import sqlite3

from assess_cases import edit_title, run_assess, session_on_a_copy

from trainer.core.records.store import open_store

PREFIX = "vptrainer assess: "


def _said(out: str, err: str) -> list[str]:
    """What assess said about the file: its stderr notes, then its UNFINISHED line (the first on stdout; the score
    report below it has one of its own)."""
    unfinished = [ln for ln in out.splitlines() if ln.startswith("UNFINISHED: ")][:1]
    return [ln.removeprefix(PREFIX) for ln in err.splitlines() if ln.startswith(PREFIX)] + unfinished


def _stored_lines(db) -> list[list[str]]:
    with open_store(db) as st:
        return [[f"{n['label']}: {n['text']}" for n in st.attempt(a.id).report.get("assessment_notes", [])]
                for a in st.attempts()]


def _crlf_edited(tmp_path):
    toml, sess = session_on_a_copy(tmp_path)
    sess.write_bytes(sess.read_bytes().replace(b"\n", b"\r\n"))
    edit_title(toml)
    return sess


def test_assess_store_keeps_the_notes_assess_prints(tmp_path, capsys):
    sess = _crlf_edited(tmp_path)
    db = tmp_path / "records.sqlite3"
    rc, out, err = run_assess(capsys, sess, "--store", db)
    said = _said(out, err)
    assert rc == 3 and any(s.startswith("WARNING: the scenario file") for s in said) and \
        any("in CR LF" in s for s in said), said
    assert _stored_lines(db) == [said]


def test_a_batch_into_the_store_keeps_each_sessions_notes(tmp_path, capsys):
    sess = _crlf_edited(tmp_path)
    rc, out, err = run_assess(capsys, sess)
    said = _said(out, err)
    db = tmp_path / "records.sqlite3"
    run_assess(capsys, sess, "--store", db, "--jobs", "1")            # --jobs: batch mode, one session
    assert _stored_lines(db) == [said]


def test_a_store_written_before_the_notes_loads_and_its_debrief_opens_without_them(tmp_path, capsys, qtbot):
    """A report recorded before round 39 holds no ``assessment_notes``: the store loads, the cohort view lists the
    attempt and its debrief opens with its score and no notes block."""
    from PySide6.QtWidgets import QLabel

    from trainer.ui.cohort_window import CohortWindow

    sess = _crlf_edited(tmp_path)
    db = tmp_path / "records.sqlite3"
    run_assess(capsys, sess, "--store", db)
    with sqlite3.connect(db) as c:                      # as a pre-round-39 trainer wrote it: no notes key
        (raw,) = c.execute("SELECT report_json FROM attempts").fetchone()
        old = json.loads(raw)
        old.pop("assessment_notes")
        c.execute("UPDATE attempts SET report_json = ?", (json.dumps(old, sort_keys=True),))
    with open_store(db) as st:
        (a,) = st.attempts(with_report=True)
        assert "assessment_notes" not in a.report and a.score == old["score"]
    w = CohortWindow(db)
    qtbot.addWidget(w)
    w.select_trainee("carl")
    assert w.attempts_table.item(0, 6).text() == "—"          # Notes: none kept, not "none"
    assert "--store" in w.attempts_table.item(0, 6).toolTip()
    deb = w.open_debrief(0)
    qtbot.addWidget(deb)
    assert deb.shown_score == old["score"]
    assert "Assessment notes" not in deb.findChild(QLabel, "assessmentNotes").text()
    assert deb.findChild(QLabel, "assessmentNotes").isHidden()
