"""A batch that holds copies of a session says how many attempts the store holds for it (firstuse37).

An assessor's folder held four sessions and, in a subfolder, copies of them: `assess --store` said "8 attempt(s)
recorded" and the cohort then showed four (the store keeps one attempt per session content and updates it).
Oracle: the attempts the store holds afterwards, read back with the store's own reader.
"""

from __future__ import annotations

import re
import shutil

from trainer.cli import main
from trainer.core.records.store import open_store

SHORT = ('{"type": "decide", "item": "candidacy", "answer": "proceed"}\n{"type": "carm", "preset": "ap"}\n'
         '{"type": "shot"}\n{"type": "finish"}\n')


def _said(err: str) -> int:
    return int(re.search(r"(\d+) attempt\(s\) recorded in", err).group(1))


def test_copies_of_a_session_are_counted_as_the_attempts_the_store_holds(tmp_path, capsys):
    acts = tmp_path / "a.jsonl"
    acts.write_text(SHORT)
    folder = tmp_path / "sessions"
    folder.mkdir()
    for who in ("anna", "ben"):
        assert main(["play", "--actions", str(acts), "--out", str(folder / f"{who}.jsonl"), "--pixels", "64",
                     "--trainee", who]) == 0
    (folder / "copies").mkdir()
    for p in list(folder.glob("*.jsonl")):
        shutil.copy(p, folder / "copies" / p.name)
    store = tmp_path / "records.sqlite3"
    capsys.readouterr()
    main(["assess", str(folder), str(folder / "copies"), "--store", str(store), "--jobs", "1"])
    err = capsys.readouterr().err
    with open_store(store) as st:
        held = len(st.attempts())
    assert held == 2 and _said(err) == held, err
    assert "2 of the session files are copies of another" in err, err
    main(["assess", str(folder), "--store", str(store), "--jobs", "1"])       # the same again: nothing added
    err = capsys.readouterr().err
    with open_store(store) as st:
        assert len(st.attempts()) == 2
    assert _said(err) == 2 and "2 already there, updated" in err, err
