"""``vptrainer play`` end to end: scripted actions -> session file and shot PNGs."""

import subprocess
import sys
from pathlib import Path

from trainer.cli import main
from trainer.core.session.reader import read_session
from trainer.core.session.replay import replay

DATA = Path(__file__).resolve().parents[1] / "data"
EXPERT = DATA / "expert_l1_left.jsonl"


def test_play_writes_a_complete_session_and_every_shot(tmp_path, capsys):
    out = tmp_path / "s.jsonl"
    shots = tmp_path / "shots"
    rc = main(["play", "l1-wedge-default", "--actions", str(EXPERT), "--out", str(out), "--shots", str(shots),
               "--pixels", "64", "--seed", "3", "--trainee", "cli"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "0 refused" in captured.out and "finished" in captured.out and str(out) in captured.out
    rec = read_session(out)
    assert rec.complete and rec.header["seed"] == 3 and rec.header["trainee"] == "cli"
    n_shots = sum(e["action"]["type"] == "shot" for e in rec.entries)
    pngs = sorted(shots.glob("shot_*.png"))
    assert len(pngs) == n_shots > 10
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert any("_lateral" in p.name for p in pngs) and any("_ap" in p.name for p in pngs)
    proc = replay(rec, render=False)
    assert proc.finished and proc.dose.shots == n_shots


def test_refused_actions_are_recorded_and_reported_with_their_line(tmp_path, capsys):
    acts = tmp_path / "a.jsonl"
    acts.write_text('{"type": "wait", "s": 5}\n\n# comment\n{"type": "inject", "ml": 1}\n{"type": "finish"}\n')
    out = tmp_path / "s.jsonl"
    assert main(["play", "--actions", str(acts), "--out", str(out), "--pixels", "64"]) == 0
    err = capsys.readouterr().err
    assert f"{acts}:4: refused: inject: mix the cement first" in err
    rec = read_session(out)
    assert [e["accepted"] for e in rec.entries] == [True, False, True] and rec.complete


def test_a_bad_actions_line_is_one_error_line_with_file_and_line(tmp_path):
    acts = tmp_path / "bad.jsonl"
    acts.write_text('{"type": "wait", "s": 5}\n{"type": "advance", "mm": 5,}\n')
    out = tmp_path / "s.jsonl"
    p = subprocess.run([sys.executable, "-m", "trainer.cli", "play", "--actions", str(acts), "--out", str(out)],
                       capture_output=True, text=True)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{acts}:2:" in lines[0] and "JSON" in lines[0]
    assert not out.exists()


def test_an_existing_session_file_is_not_overwritten(tmp_path, capsys):
    out = tmp_path / "s.jsonl"
    out.write_text("keep me\n")
    acts = tmp_path / "a.jsonl"
    acts.write_text('{"type": "finish"}\n')
    assert main(["play", "--actions", str(acts), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "already exists" in err and "--force" in err and len(err.splitlines()) == 1
    assert out.read_text() == "keep me\n"


def test_force_replaces_an_existing_session_only_with_a_complete_one(tmp_path, capsys):
    """``play`` had no ``--force`` while render, export-dicom, import-ct and expert have it (round 15, `walk`).
    Oracle: the documented behaviour of the writing commands (docs/bad-input.md): without --force one line,
    exit 2, nothing written; with it the file is replaced; a refused run leaves it as it was."""
    out = tmp_path / "s.jsonl"
    out.write_text("keep me\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "wait", "s": 5}\n{"type": "advance", "mm": 5,}\n')
    assert main(["play", "--actions", str(bad), "--out", str(out), "--force"]) == 2
    assert f"{bad}:2:" in capsys.readouterr().err and out.read_text() == "keep me\n"
    acts = tmp_path / "a.jsonl"
    acts.write_text('{"type": "wait", "s": 5}\n{"type": "finish"}\n')
    assert main(["play", "--actions", str(acts), "--out", str(out), "--force", "--pixels", "64"]) == 0
    rec = read_session(out)
    assert rec.complete and [e["action"]["type"] for e in rec.entries] == ["wait", "finish"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "bad.jsonl", "s.jsonl"]   # no partial file


def test_a_line_without_type_is_rejected(tmp_path, capsys):
    acts = tmp_path / "a.jsonl"
    acts.write_text('[1, 2]\n')
    assert main(["play", "--actions", str(acts), "--out", str(tmp_path / "s.jsonl")]) == 2
    assert f"{acts}:1:" in capsys.readouterr().err
