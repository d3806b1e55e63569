"""Whose attempt the trainer records: ``vptrainer gui --trainee NAME``.

Round 39's first use: the trainer never asks who is playing; a resident's session and its attempt in the trainee store
went under the login name, or "trainee" where $USER is unset (as under that X session), so My progress and the cohort
table showed a "trainee" nobody typed, and the status line said "Attempt 1 recorded in records.sqlite3" without a
name. ``play`` has ``--trainee``; the trainer had no way to say it. Oracles: the session file's header line (JSON)
and ``vptrainer progress --json`` run on the store as a separate process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[2]


def test_gui_takes_trainee_on_its_command_line(monkeypatch):
    import trainer.ui.app as app
    from trainer.cli import main

    seen = {}
    monkeypatch.setattr(app, "run_app", lambda **kw: seen.update(kw) or 0)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert main(["gui", "--trainee", "dr-lee"]) == 0
    assert seen["trainee"] == "dr-lee"
    assert main(["--trainee", "dr-ng"]) == 0                   # no subcommand: the GUI, as `vptrainer`
    assert seen["trainee"] == "dr-ng"


def test_the_trainee_named_is_the_session_s_and_the_store_s(make_window, ui_settings, tmp_path, monkeypatch):
    monkeypatch.delenv("USER", raising=False)
    store = tmp_path / "records.sqlite3"
    ui_settings.qsettings.setValue("records/store_path", str(store))
    w, d = make_window()
    w.trainee = "dr-lee"                                       # as run_app sets it from --trainee
    picker = w.show_picker()
    assert picker.select("l1-wedge-default")
    d.start(picker)
    answers = {k: g["expected"] for k, g in w.scenario.decisions.gates.items()}
    answers["candidacy"] = "defer"
    d.answer_checklist(answers)
    d.finish()
    d.wait_until(lambda: "recorded" in w.statusBar().currentMessage() or store.is_file(), "the attempt recorded")
    d.wait_until(lambda: any("recorded" in line for line in w.status.log), "the recorded line")
    session = sorted(Path(w.session_dir).glob("*.jsonl"))[-1]
    header = json.loads(session.read_text(encoding="utf-8").splitlines()[0])
    assert header["trainee"] == "dr-lee", header
    out = subprocess.run([sys.executable, "-m", "trainer", "progress", "--store", str(store), "--json"],
                         capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "dr-lee" in out.stdout and '"trainee"' not in out.stdout.replace('"trainee":', ""), out.stdout
    line = next(line for line in w.status.log if "recorded" in line)
    assert "dr-lee" in line, line
