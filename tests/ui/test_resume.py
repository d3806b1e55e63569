"""Never lose a session: a killed window's session is offered on the next launch and continues."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from trainer.cli import main as cli_main
from trainer.core.session.reader import read_session
from trainer.ui.app import startup
from trainer.ui.resume import ResumeOffer, find_unfinished
from trainer.ui.scenario_picker import ScenarioPicker


def test_killed_session_is_resumed_and_finished(make_window, session_dir, capsys):
    w1, d1 = make_window()
    picker = startup(w1)
    answers = {k: g["expected"] for k, g in picker.current_scenario().decisions.gates.items()}
    d1.start(picker)
    d1.answer_checklist(answers)
    d1.align()
    d1.pick_entry("left")
    d1.place()
    d1.key(Qt.Key.Key_A)
    d1.idle()
    before = w1.view
    path = w1.controller.path
    n_lines = len(path.read_text().splitlines())
    assert n_lines == 1 + before.n_actions   # header + one line per action (all accepted here)
    # "kill": the window goes away without finishing and without closing the session file
    w1.hide()
    w1.carm.stop_fluoro()
    w1.controller.runner.invalidate("action")

    unfinished = find_unfinished(session_dir)
    assert unfinished is not None and unfinished.path == path and unfinished.n_actions == before.n_actions

    w2, d2 = make_window()
    offer = startup(w2)
    assert isinstance(offer, ResumeOffer)
    d2.click(offer.resume_button)
    d2.wait_until(lambda: w2.view is not None, "the resumed session")
    after = w2.view
    assert after.t_s == before.t_s and after.shots == before.shots
    assert after.trocar is not None and after.trocar.tip_mm == before.trocar.tip_mm
    assert after.decisions == before.decisions
    assert w2.monitors["ap"].has_image and w2.monitors["lateral"].has_image
    assert w2.tabs.currentIndex() == 1

    d2.advance_to(0.6)
    d2.mix_and_wait()
    d2.inject(1.0)
    d2.finish()
    rec = read_session(path)               # hash chain intact across the two windows
    assert rec.complete
    assert [e["seq"] for e in rec.entries] == list(range(1, len(rec.entries) + 1))
    capsys.readouterr()
    assert cli_main(["assess", str(path), "--json"]) == 0
    offline = json.loads(capsys.readouterr().out)
    assert w2.debrief.report_json["score"] == offline["score"]
    assert find_unfinished(session_dir) is None


def test_declining_the_offer_opens_the_picker_and_keeps_the_file(make_window, session_dir):
    w1, d1 = make_window()
    picker = startup(w1)
    d1.start(picker)
    d1.key(Qt.Key.Key_1)
    d1.idle()
    path = w1.controller.path
    w1.close()                             # closing mid-procedure keeps the session resumable
    w2, d2 = make_window()
    offer = startup(w2)
    assert isinstance(offer, ResumeOffer)
    d2.click(offer.new_button)
    assert isinstance(w2.dialogs[-1], ScenarioPicker)
    assert path.exists() and not read_session(path).complete


def test_a_ct_session_saved_in_the_session_folder_resumes_from_another_directory(make_window, session_dir, tmp_path,
                                                                                   monkeypatch):
    """The CT case lives in its own folder, the session in the GUI's session folder: resume finds the CT
    in the folder the user started the scenario from (remembered by the window), never via the header."""
    from trainer.core.scenario.loader import load_scenario

    case = tmp_path / "cases" / "case1"
    case.mkdir(parents=True)
    assert cli_main(["phantom", "--out", str(case / "ct"), "--voxel-mm", "2"]) == 0
    assert cli_main(["scenarios", "import-ct", str(case / "ct"), "--level", "L1", "--out",
                     str(case / "case.toml")]) == 0
    w1, d1 = make_window()
    w1.start_scenario(load_scenario(case / "case.toml"))
    d1.wait_until(lambda: w1.view is not None, "the CT session")
    w1.submit({"type": "decide", "item": "candidacy", "answer": "proceed"})   # the C-arm comes after it
    d1.wait_until(lambda: w1.view.n_actions == 1, "the action")
    before = w1.view
    path = w1.controller.path
    assert path.parent == session_dir and not path.is_relative_to(case)
    w1.hide()
    w1.controller.runner.invalidate("action")

    monkeypatch.chdir(tmp_path / "cases")                 # another working directory
    w2, d2 = make_window()
    offer = startup(w2)
    assert isinstance(offer, ResumeOffer) and offer.unfinished.path == path
    d2.click(offer.resume_button)
    d2.wait_until(lambda: w2.view is not None, "the resumed CT session")
    assert w2.view.n_actions == before.n_actions and w2.view.t_s == before.t_s
    w2.submit({"type": "carm", "preset": "ap"})
    d2.wait_until(lambda: w2.view.n_actions == 2, "an action after resuming")
    rec = read_session(path)
    assert rec.n_entries == 2 and json.loads(path.read_text().splitlines()[0])["scenario_path"] == str(
        (case / "case.toml").resolve())


def test_the_offer_says_the_simulated_time_the_session_stopped_at(make_window, session_dir):
    """Round 36 (a first-time resident on the real chest CT, the trainer killed after a shot): the offer read
    "simulated time 1:30" for a session the window had left at "t 1:31" - the last action's start, not its end; a
    wait (W, 30 s) as the last action put it 30 s early. Oracle: the clock the killed window showed, and the one the
    resumed window shows."""
    w1, d1 = make_window()
    picker = startup(w1)
    answers = {k: g["expected"] for k, g in picker.current_scenario().decisions.gates.items()}
    d1.start(picker)                                     # the picker is let go once it closes: its case read before
    d1.answer_checklist(answers)
    d1.align()
    d1.key(Qt.Key.Key_W)                                 # the last action: 30 s of simulated time
    d1.idle()
    shown = w1.status.fields["time"].text()              # "t m:ss"
    w1.hide()                                            # "kill": no finish, the file left as it is
    w1.carm.stop_fluoro()
    w1.controller.runner.invalidate("action")

    w2, d2 = make_window()
    offer = startup(w2)
    assert isinstance(offer, ResumeOffer)
    assert f"simulated time {shown.removeprefix('t ')}." in offer.text(), (shown, offer.text())
    d2.click(offer.resume_button)
    d2.wait_until(lambda: w2.view is not None, "the resumed session")
    assert w2.status.fields["time"].text() == shown


def test_a_link_to_nothing_in_the_sessions_folder_does_not_stop_the_offer(tmp_path):
    """A ``*.jsonl`` link whose target is gone (round 40, hostile40): the folder's files were sorted by their
    modification time and the link's stat raised, ending the start-up before the offer or the picker.  The
    unfinished session beside it (two actions played by ``vptrainer play``, no finish) is offered."""
    import os

    (tmp_path / "a.jsonl").write_text('{"type": "decide", "item": "candidacy", "answer": "proceed"}\n'
                                      '{"type": "carm", "preset": "ap"}\n')
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    path = sessions / "carl.jsonl"
    assert cli_main(["play", "--actions", str(tmp_path / "a.jsonl"), "--out", str(path), "--pixels", "64"]) == 0
    os.symlink(tmp_path / "deleted.jsonl", sessions / "gone.jsonl")
    unfinished = find_unfinished(sessions)                      # failed before: FileNotFoundError (gone.jsonl)
    assert unfinished is not None and unfinished.path == path and unfinished.n_actions == 2
