"""A case file whose path holds a byte that is not UTF-8 (``caf\\xe9.toml``, a Latin-1 name from an old disk) is
refused in one line by every command that loads it (hostile41).

A session records its case's path as UTF-8 text.  Before, ``play`` on such a file stopped with a UnicodeEncodeError
traceback (exit 1) and left an empty session file behind; ``scenarios validate`` said OK.  Now both exit 2 with one
line naming the path, the byte as its escape (``\\udce9``, written out by hand here), and ``play`` writes nothing.
"""

import os
import shutil

from trainer import SCENARIOS_DIR
from trainer.cli import main

ACTIONS = '{"type": "decide", "item": "candidacy", "answer": "proceed"}\n'


def test_play_and_validate_refuse_a_case_path_that_is_not_utf8_in_one_line(tmp_path, capsys):
    case = os.path.join(os.fsencode(tmp_path), b"caf\xe9.toml")
    shutil.copy(SCENARIOS_DIR / "l1-wedge-default.toml", case)
    (tmp_path / "a.jsonl").write_text(ACTIONS)
    out = tmp_path / "s.jsonl"
    # the byte is the 5th character after the folder: "/", "c", "a", "f", then it
    expected = (f"{tmp_path}/caf\\udce9.toml: character {len(str(tmp_path)) + 5} of the path is a byte that is not "
                "UTF-8 (\\udce9)")
    capsys.readouterr()
    rc = main(["play", os.fsdecode(case), "--actions", str(tmp_path / "a.jsonl"), "--out", str(out), "--pixels", "64"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith(f"vptrainer: error: {expected}; "), err
    assert not out.exists()                                # failed before: an empty s.jsonl, exit 1
    rc = main(["scenarios", "validate", os.fsdecode(case)])
    err = capsys.readouterr().err
    assert rc == 2 and f"error: {expected}; " in err, err  # failed before: OK
