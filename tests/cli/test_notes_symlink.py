"""A session file read through a symbolic link is named in the notes by the path given and the file it leads to
(round 41).

An assessor runs ``vptrainer assess links/carl.jsonl`` where ``links/carl.jsonl`` is a link to
``cases/carl.jsonl``.  Until round 41 every note named the link only ("/.../links/carl.jsonl: its lines end in CR
LF"), while the trainee store recorded the resolved file as the attempt's ``session_path``; a deleted link left the
kept note pointing nowhere.  Now a note names ``/.../links/carl.jsonl (linked to /.../cases/carl.jsonl)``: the path
the assessor gave, then the file.  The one-file ``assess``, ``assess --csv`` and the store say the same lines.

Oracles: the file system (``os.readlink`` of the link, ``os.path.samefile``), the stdlib :mod:`csv` module and
:mod:`sqlite3` reading the store's own column.
"""

import csv
import os
import sqlite3

from assess_cases import edit_title, run_assess, session_on_a_copy

PREFIX = "vptrainer assess: "


def _linked_session(tmp_path):
    """(the link ``links/carl.jsonl`` as given, relative to ``tmp_path``; the file it leads to): carl's session in
    CR LF on his case, edited since, so that two notes name the session."""
    toml, sess = session_on_a_copy(tmp_path)
    sess.write_bytes(sess.read_bytes().replace(b"\n", b"\r\n"))
    edit_title(toml)
    (tmp_path / "links").mkdir()
    os.symlink(os.path.join("..", "cases", "carl.jsonl"), tmp_path / "links" / "carl.jsonl")
    return os.path.join("links", "carl.jsonl"), sess


def test_notes_name_the_link_given_and_its_file_alike_in_assess_its_csv_and_the_store(tmp_path, capsys,
                                                                                     monkeypatch):
    given, sess = _linked_session(tmp_path)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    target = os.path.normpath(os.path.join(tmp_path, "links", os.readlink(given)))     # the link read by hand
    assert os.path.samefile(target, sess)
    named = f"{tmp_path}/links/carl.jsonl (linked to {target})"
    rc, _out, err = run_assess(capsys, given, "--store", "records.sqlite3")
    assert rc == 3
    said = [ln.removeprefix(PREFIX) for ln in err.splitlines() if ln.startswith(PREFIX)]
    # failed before: "note: /.../links/carl.jsonl: its lines end in CR LF ...", the file not said
    assert any(ln.startswith(f"note: {named}: its lines end in CR LF") for ln in said), said
    assert any(f"since {named} was recorded on it" in ln for ln in said), said
    with sqlite3.connect(tmp_path / "records.sqlite3") as db:
        ((stored_path, report),) = db.execute("SELECT session_path, report_json FROM attempts").fetchall()
    assert stored_path == target                      # the store keeps the file, which the note now names too
    assert named in report

    rc, _out, _err = run_assess(capsys, given, "--csv", "out.csv")
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as fh:
        (row,) = csv.DictReader(fh)
    assert row["path"] == given                      # the row's path column: as typed
    assert row["notes"].split(" | ") == said + ["UNFINISHED: the session has no accepted finish; it is not passed "
                                                "(the score below is progress only)"]

    # read by its own path, the session is named by it alone
    rc, _out, err = run_assess(capsys, os.path.join("cases", "carl.jsonl"))
    assert rc == 3 and f"note: {sess}: its lines end in CR LF" in err and "linked to" not in err


def test_a_dot_dot_after_a_linked_folder_names_the_file_read_not_another(tmp_path, capsys, monkeypatch):
    """``assess links/../cases/carl.jsonl`` where ``links`` is a link to a folder elsewhere: the system reads
    ``far/cases/carl.jsonl`` (``..`` goes up from where the link leads), not ``cases/carl.jsonl`` beside the link,
    another session.  Until round 41 (hostile41) the note named the path with ``links/..`` dropped by its letters,
    ``/.../work/cases/carl.jsonl (linked to /.../far/cases/carl.jsonl)``: the other file.  Oracle: ``os.path.samefile``
    tells which file the given path reads, and the two files differ by content."""
    _toml, sess = session_on_a_copy(tmp_path, "far")
    sess.write_bytes(sess.read_bytes().replace(b"\n", b"\r\n"))
    (tmp_path / "far" / "cases").mkdir()
    read = tmp_path / "far" / "cases" / "carl.jsonl"
    sess.rename(read)
    work = tmp_path / "work"
    (work / "cases").mkdir(parents=True)
    beside = work / "cases" / "carl.jsonl"
    beside.write_bytes(read.read_bytes().replace(b"\r\n", b"\n"))        # another file, LF: no note of its own
    os.symlink(tmp_path / "far" / "deep", work / "links")
    (tmp_path / "far" / "deep").mkdir()
    given = os.path.join("links", "..", "cases", "carl.jsonl")
    monkeypatch.chdir(work)
    assert os.path.samefile(given, read) and not os.path.samefile(given, beside)
    capsys.readouterr()
    rc, _out, err = run_assess(capsys, given, "--ct-root", tmp_path / "far")
    notes = [ln.removeprefix(PREFIX) for ln in err.splitlines() if ln.startswith(PREFIX + "note: ")]
    assert notes == [f"note: {work}/links/../cases/carl.jsonl (linked to {read}): its lines end in CR LF"
                     + notes[0].split(": its lines end in CR LF", 1)[1]], notes      # failed before: {beside} named
    assert str(beside) not in err
