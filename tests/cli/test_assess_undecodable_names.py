"""A session whose name holds a byte that is not UTF-8 (a file from an old Latin-1 disk), or that is read through
a link to such a name, in ``assess --csv``, ``assess --html`` and ``assess --store`` (hostile41).

Since round 41 a note names a linked session's file too ("PATH (linked to FILE)"), so a link with a plain name to
``caf\\xe9/carl.jsonl`` put the undecodable byte into the notes.  Before: ``--csv`` and ``--html`` stopped with a
UnicodeEncodeError traceback (exit 1, no CSV or report), as did ``--csv`` on a session named ``carl\\xff.jsonl``
itself, and ``--store`` stopped the same way on a session whose resolved path holds such a byte.  Now the CSV's
cells and the report name the byte as stderr does (``\\udce9``) and the store refuses the attempt in one line
(exit 2, the store as it was; in a batch the other sessions are stored).

Oracles: the escape is written out by hand here (``caf\\\\udce9``); the CSV is read back with the stdlib :mod:`csv`
as UTF-8; the HTML is decoded as UTF-8; the store's rows are read with :mod:`sqlite3` and its bytes compared.
"""

import csv
import hashlib
import os
import sqlite3

from assess_cases import run_assess, session_on_a_copy

PREFIX = "vptrainer assess: "


def _odd_names(tmp_path):
    """(a link ``plain.jsonl`` to ``caf\\xe9/carl.jsonl``, a link ``carl\\xff.jsonl`` to ``cases/carl.jsonl``), as
    given on the command line (relative to ``tmp_path``), and what each note names, escaped by hand."""
    _toml, sess = session_on_a_copy(tmp_path)
    sess.write_bytes(sess.read_bytes().replace(b"\n", b"\r\n"))        # a note that names the session
    odd_dir = os.path.join(os.fsencode(tmp_path), b"caf\xe9")
    os.mkdir(odd_dir)
    os.link(sess, os.path.join(odd_dir, b"carl.jsonl"))                  # the same session under a Latin-1 folder
    os.symlink(b"caf\xe9/carl.jsonl", os.path.join(os.fsencode(tmp_path), b"plain.jsonl"))
    os.symlink(b"cases/carl.jsonl", os.path.join(os.fsencode(tmp_path), b"carl\xff.jsonl"))
    plain, odd = "plain.jsonl", os.fsdecode(b"carl\xff.jsonl")
    named = {plain: f"{tmp_path}/plain.jsonl (linked to {tmp_path}/caf\\udce9/carl.jsonl)",
             odd: f"{tmp_path}/carl\\udcff.jsonl (linked to {sess})"}
    return plain, odd, named


def test_csv_and_html_name_an_undecodable_byte_as_stderr_does(tmp_path, capsys, monkeypatch):
    plain, odd, named = _odd_names(tmp_path)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    # failed before: UnicodeEncodeError out of the CSV's write (the traceback the run_assess helper refuses)
    rc, _out, err = run_assess(capsys, plain, odd, "--csv", "out.csv")
    assert rc == 3, err
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["path"] for r in rows] == ["plain.jsonl", "carl\\udcff.jsonl"]
    for r, given in zip(rows, (plain, odd)):
        assert r["status"] == "unfinished"
        assert r["notes"].split(" | ")[0].startswith(f"note: {named[given]}: its lines end in CR LF"), r["notes"]
    for given in (plain, odd):
        rc, out, err = run_assess(capsys, given, "--html", "r.html", "--force")
        assert rc == 3
        # stdout's first line names the session as typed, its byte escaped (failed before: a UnicodeEncodeError
        # from print, as on a UTF-8 terminal)
        assert out.splitlines()[0].startswith(f"{'carl' + chr(92) + 'udcff' if given == odd else 'plain'}.jsonl: ")
        said = [ln.removeprefix(PREFIX) for ln in err.splitlines() if ln.startswith(PREFIX + "note: ")]
        assert said and said[0].startswith(f"note: {named[given]}: "), said
        html = (tmp_path / "r.html").read_bytes().decode("utf-8")
        assert f"{named[given]}: its lines end in CR LF" in html


def _store_bytes(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_store_refuses_a_path_it_cannot_keep_in_one_line_and_keeps_the_others(tmp_path, capsys, monkeypatch):
    plain, odd, _named = _odd_names(tmp_path)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    rc, _out, _err = run_assess(capsys, os.path.join("cases", "carl.jsonl"), "--store", "records.sqlite3")
    assert rc == 3
    before = _store_bytes(tmp_path / "records.sqlite3")
    # one session: refused in one line naming the field and the file, the store as it was (failed before: a
    # UnicodeEncodeError from the store's UPDATE, a traceback)
    rc, _out, err = run_assess(capsys, plain, "--store", "records.sqlite3")
    errors = [ln for ln in err.splitlines() if ln.startswith("vptrainer: error: ")]
    assert rc == 2 and len(errors) == 1, err
    assert f"session_path = '{tmp_path}/caf\\udce9/carl.jsonl' is not allowed" in errors[0]
    assert "UTF-8" in errors[0]
    assert _store_bytes(tmp_path / "records.sqlite3") == before
    # a batch: that session's row is an error, a session with a name the store keeps is stored
    rc, _out, err = run_assess(capsys, plain, odd, "--store", "new.sqlite3")
    assert rc == 2, err
    lines = [ln.removeprefix(PREFIX) for ln in err.splitlines() if ln.startswith(PREFIX + "ERROR: ")]
    assert len(lines) == 1 and "session_path = " in lines[0] and "caf\\udce9/carl.jsonl" in lines[0], err
    with sqlite3.connect(tmp_path / "new.sqlite3") as db:
        stored = [p for (p,) in db.execute("SELECT session_path FROM attempts")]
    # carl\xff.jsonl leads to cases/carl.jsonl, a name the store keeps
    assert stored == [str(tmp_path / "cases" / "carl.jsonl")]
