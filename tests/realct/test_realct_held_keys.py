"""A resident holds a key on the real CT: the keyboard's auto-repeat is not a string of actions.

A first-time resident on the abdominal L5 (round 21) held S a moment for a shot, and A to push the
trocar: with the keyboard's auto-repeat every repeated press was another action - a held S one
exposure per repeat (25 a second under X), a held A a 5 mm advance per repeat, 20 mm in a
0.2 s hold.  docs/scoring.md says keyboard auto-repeat never creates actions (issue 16); only F,
the fluoroscopy pedal, had been made so.  The procedure's shortcuts now ignore presses the
keyboard marks as auto-repeat: one press, one action.

Oracle: the session file's recorded actions (what the core accepted), counted against the presses.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from realct_gui import imported_ct_window

from trainer.core.session.reader import read_session

pytestmark = pytest.mark.slow

REPEATS = 6


def _hold(w, d, key, repeats: int = REPEATS) -> None:
    """``key`` held: one press, then the keyboard's auto-repeat presses (marked, 40 ms apart), one release."""
    w.activateWindow()
    QTest.qWaitForWindowActive(w, 1000)
    target = QApplication.focusWidget() or w
    QTest.keyPress(target, key)
    d.pump(0.05)
    for _ in range(repeats):
        QApplication.sendEvent(target, QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier, "",
                                                 True))
        d.pump(0.04)
    QTest.keyRelease(target, key)
    d.idle()


def _accepted(w, kind: str) -> int:
    return sum(1 for e in read_session(w.controller.path).entries
               if e.get("kind") == "action" and e.get("accepted") and e["action"]["type"] == kind)


def test_held_shot_and_advance_keys_act_once(qtbot, totalseg_series, tmp_path):
    w, d = imported_ct_window(qtbot, totalseg_series, "L5", tmp_path)
    d.answer_checklist({k: g["expected"] for k, g in w.scenario.decisions.gates.items()})
    d.key(Qt.Key.Key_1)
    d.idle()
    shots = _accepted(w, "shot")
    _hold(w, d, Qt.Key.Key_S)
    assert _accepted(w, "shot") == shots + 1                # one shot, not one per repeat
    assert w.view.shots == shots + 1
    d.key(Qt.Key.Key_S)                                     # a second press is a second shot
    d.idle()
    assert _accepted(w, "shot") == shots + 2
    d.pick_entry("left")
    d.idle()
    d.place()
    depth_mm = w.view.trocar.depth_mm
    _hold(w, d, Qt.Key.Key_A)
    assert _accepted(w, "advance") == 1
    assert w.view.trocar.depth_mm == pytest.approx(depth_mm + 5.0)      # one coarse step (5 mm)
    w.close()
