"""Paths in the window's messages: the home folder written ``~`` (round 23: the status line after a
Finish showed ``/tmp/vpt-shots-.../sessions/...`` in the screenshots and a user's full home path)."""

from __future__ import annotations

from trainer.core.shown_path import shown_path


def test_a_path_under_home_is_shown_from_tilde(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    session = tmp_path / ".local" / "share" / "vptrainer" / "sessions" / "l1-wedge-default-20261205-044813.jsonl"
    assert shown_path(session) == "~/.local/share/vptrainer/sessions/l1-wedge-default-20261205-044813.jsonl"
    assert shown_path(str(tmp_path)) == "~"


def test_a_path_elsewhere_is_shown_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "alice"))
    other = tmp_path / "alice2" / "records.sqlite3"        # a sibling whose name starts with the home's
    assert shown_path(other) == str(other)
    assert shown_path("/srv/cases/T12.toml") == "/srv/cases/T12.toml"
