"""What the assess tests share: ``vptrainer assess`` run in-process, and a session recorded on a copy of the
default case in a folder of the test's (the instructor's own case file, which the tests then edit)."""

import shutil

from trainer import SCENARIOS_DIR
from trainer.cli import main

#: two actions: an unfinished session, recorded fast (no shot)
ACTIONS = '{"type": "decide", "item": "candidacy", "answer": "proceed"}\n{"type": "carm", "preset": "ap"}\n'


def run_assess(capsys, *argv):
    """``vptrainer assess ARGV`` in-process: (exit code, stdout, stderr); never a traceback."""
    rc = main(["assess", *map(str, argv)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return rc, out, err


def session_on_a_copy(tmp_path, folder_name: str = "cases"):
    """``FOLDER/mycase.toml`` (a copy of the default case) and carl's session ``FOLDER/carl.jsonl`` recorded on it."""
    d = tmp_path / folder_name
    d.mkdir()
    toml = d / "mycase.toml"
    shutil.copy(SCENARIOS_DIR / "l1-wedge-default.toml", toml)
    (tmp_path / "a.jsonl").write_text(ACTIONS)
    sess = d / "carl.jsonl"
    assert main(["play", str(toml), "--actions", str(tmp_path / "a.jsonl"), "--out", str(sess), "--pixels", "64",
                 "--trainee", "carl"]) == 0
    return toml, sess


def edit_title(toml) -> None:
    """The case file edited as an instructor would: its title changed."""
    text = toml.read_text(encoding="utf-8")
    assert 'title = "' in text
    toml.write_text(text.replace('title = "', 'title = "Edited: ', 1), encoding="utf-8")
