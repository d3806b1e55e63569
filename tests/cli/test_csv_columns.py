"""One fact, one column in the batch's CSV (round 40, assessor3): ``message`` says why a row has no score (the
error of an ``error`` row, the tamper found in a ``tampered`` row, what a ``skipped`` file is), ``notes`` what
``assess`` says about a scored file.  Until round 40 the unfinished mark, the CR LF note and the case warning were
in both columns of the same row.

Oracles: one-session ``vptrainer assess FILE`` run on each file (its stderr notes and stdout's ``UNFINISHED:``
line for ``notes``; its ``TAMPERED:`` line and its one-line error for ``message``), the CSV read back with the
stdlib :mod:`csv` module.
"""

import csv

from assess_cases import edit_title, run_assess, session_on_a_copy

PREFIX = "vptrainer assess: "


def _said(out: str, err: str) -> list[str]:
    """What one-session assess said about the file: its stderr notes, then stdout's UNFINISHED line."""
    unfinished = [ln for ln in out.splitlines() if ln.startswith("UNFINISHED: ")][:1]
    return [ln.removeprefix(PREFIX) for ln in err.splitlines() if ln.startswith(PREFIX)] + unfinished


def test_message_holds_the_refusal_and_notes_what_assess_said_each_once(tmp_path, capsys):
    toml, carl = session_on_a_copy(tmp_path)
    batch = carl.parent
    lines = carl.read_bytes().split(b"\n")
    assert b'"preset":"ap"' in lines[2]
    # a copy edited by hand (its chain no longer holds): tampered; a file that is no session: an error
    edited = lines[2].replace(b'"preset":"ap"', b'"preset":"lateral"')
    (batch / "edited.jsonl").write_bytes(b"\n".join([*lines[:2], edited, *lines[3:]]))
    (batch / "junk.jsonl").write_text("hello\n")
    (batch / "plan.jsonl").write_text('{"type": "finish"}\n')          # an action plan in the folder: skipped
    carl.write_bytes(carl.read_bytes().replace(b"\n", b"\r\n"))       # CR LF, on a case edited since: two notes
    edit_title(toml)

    rc, out, err = run_assess(capsys, carl)
    said = _said(out, err)
    assert rc == 3 and [s.split(":")[0] for s in said] == ["WARNING", "note", "UNFINISHED"], said
    rc, _out, err = run_assess(capsys, batch / "edited.jsonl")
    assert rc == 2 and err.startswith(PREFIX + "TAMPERED: "), err
    tampered = err.strip().removeprefix(PREFIX + "TAMPERED: ")
    rc, _out, err = run_assess(capsys, batch / "junk.jsonl")
    assert rc == 2 and err.startswith("vptrainer: error: "), err
    error = err.strip().removeprefix("vptrainer: error: ")

    out_csv = tmp_path / "batch.csv"
    rc, _out, _err = run_assess(capsys, batch, "--csv", out_csv, "--jobs", "1")
    assert rc == 2
    with open(out_csv, newline="", encoding="utf-8") as fh:
        rows = {r["path"].rsplit("/", 1)[-1]: r for r in csv.DictReader(fh)}
    assert {n: r["status"] for n, r in rows.items()} == {"carl.jsonl": "unfinished", "edited.jsonl": "tampered",
                                                         "junk.jsonl": "error", "plan.jsonl": "skipped"}
    assert rows["carl.jsonl"]["notes"].split(" | ") == said
    assert rows["carl.jsonl"]["message"] == ""           # failed before: "no accepted finish: not passed; ...CR LF..."
    assert (rows["edited.jsonl"]["message"], rows["edited.jsonl"]["notes"]) == (tampered, "")
    assert (rows["junk.jsonl"]["message"], rows["junk.jsonl"]["notes"]) == (error, "")
    assert "action plan" in rows["plan.jsonl"]["message"] and rows["plan.jsonl"]["notes"] == ""
    for r in rows.values():                              # no fact in two columns of a row
        assert not r["message"] or not r["notes"], r
