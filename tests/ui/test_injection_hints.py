"""What the window says to do while injecting: both views, as often as the score asks.

Round 36 (a first-time resident on the real chest CT): after M the status line said "... then inject (I) with AP
checks", and once cement went in the line above the tabs said "Inject in small steps with lateral checks": each
names one view. The score wants both (a lateral shot about every 1 mL, or a major error; no AP shot at all once
cement is in is a critical error): the resident who followed the lateral-only hint lost points. Oracle: the pass
bands of ``ap_checks`` and ``lateral_checks`` in assets/scoring_targets.toml, read here.
"""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
from PySide6.QtCore import Qt

TARGETS = tomllib.loads((Path(__file__).parents[2] / "assets" / "scoring_targets.toml").read_text())["metrics"]


def _says_both_views_often_enough(text: str) -> None:
    assert re.search(r"\bAP\b", text) and "lateral" in text, text
    every = re.search(r"every ([\d.]+) mL", text)
    assert every is not None, text
    for metric in ("ap_checks", "lateral_checks"):
        assert float(every[1]) <= TARGETS[metric]["pass"][1], (metric, text)


def test_the_mix_message_and_the_injection_hint_ask_for_both_views(placed_at_three_quarters):
    w, d = placed_at_three_quarters
    before = len(w.status.log)
    d.key(Qt.Key.Key_M)
    d.idle()
    assert w.view.cement.mixed
    _says_both_views_often_enough(w.status.log[before:][-1])
    for _ in range(40):
        if w.view.cement.phase == "working":
            break
        d.key(Qt.Key.Key_W)
        d.idle()
    d.key(Qt.Key.Key_I)
    d.idle()
    assert w.view.cement.injected_ml > 0 and w.view.stage == "injection"
    _says_both_views_often_enough(w.hint.text())


def test_the_cement_hint_follows_the_phase_bar(placed_at_three_quarters):
    """Round 39's first use (chest T12, real X): mixed and waited (W) to 6:00, the phase bar and the bench line read
    WORKING, and the line above the tabs still said "Wait (W) for the working phase on the bar (a paste)": a
    resident doing as told waits on into setting. Oracle: the phase the core gives (the phase bar's) and the rheology's
    own phase boundaries; the hint may ask to wait only while the cement is runny, and never to inject once it is set."""
    w, d = placed_at_three_quarters
    d.key(Qt.Key.Key_M)
    d.idle()
    seen = {}
    for _ in range(60):                                      # Wait (W) 30 s at a time, up to set
        phase = w.view.cement.phase
        seen.setdefault(phase, w.hint.text())
        if phase == "set":
            break
        d.key(Qt.Key.Key_W)
        d.idle()
    assert set(seen) == {"runny", "working", "setting", "set"}, seen
    assert "Wait (W) for the working phase" in seen["runny"], seen
    for phase in ("working", "setting"):
        assert "Wait" not in seen[phase] and "inject (I)" in seen[phase], (phase, seen[phase])
        _says_both_views_often_enough(seen[phase])
    assert "inject (I)" not in seen["set"] and "has set" in seen["set"], seen["set"]
    from tests.ui.test_stage_hint_danger import _lines_held, _lines_needed
    for text in seen.values():
        assert _lines_needed(w.hint, text) <= _lines_held(w.hint), text
