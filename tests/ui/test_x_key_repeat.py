"""A held key under X is one action even when Qt does not mark the keyboard's auto-repeat.

Round 22, a resident on the real abdominal L3 under Xvfb (xdotool, X auto-repeat on): holding A for
1.5 s pushed the trocar from 0 to 115 mm.  Measured with a bare Qt window on the same display, the X
server sent one press, then release/press pairs every 40 ms, none marked ``isAutoRepeat()``, each
pair's release and press carrying the same timestamp (ms).  Round 21's fix ignored only marked
repeats (tests/realct/test_realct_held_keys.py sends marked ones).  These tests send exactly what
the X server sent: non-spontaneous events through Qt's shortcut path (QApplication.sendEvent of a key
press first offers it as a shortcut, as a platform event is), with the server's timestamps.

Oracle: the session file's accepted actions (what the core recorded) and the trocar depth the core
reports, against the number of presses a hand made (docs/user-guide.md: holding A is one advance
step of 5 mm, holding S one shot, holding an arrow one aim step, a held Return one move).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from trainer.core.session.reader import read_session

#: X's default auto-repeat: first repeat after 660 ms, then one every 40 ms (25 Hz)
DELAY_MS, PERIOD_MS = 660, 40


class XKeyboard:
    """Sends key events stamped with an X server's clock (ms), which only moves forward."""

    def __init__(self, start_ms: int = 2_141_341):
        self.t_ms = start_ms

    def _send(self, target, kind, key, mods, stamp_ms: int) -> None:
        ev = QKeyEvent(kind, key, mods, "")
        ev.setTimestamp(stamp_ms)
        QApplication.sendEvent(target, ev)

    def hold(self, d, key, repeats: int, mods=Qt.KeyboardModifier.NoModifier) -> None:
        """``key`` held: a press, ``repeats`` unmarked release/press pairs with one timestamp each,
        then the release (as Xvfb sent them for a held key)."""
        w = d.w
        if not w.isActiveWindow():
            w.activateWindow()
        target = QApplication.focusWidget() or w
        self._send(target, QEvent.Type.KeyPress, key, mods, self.t_ms)
        d.idle()
        self.t_ms += DELAY_MS
        for _ in range(repeats):
            target = QApplication.focusWidget() or w
            self._send(target, QEvent.Type.KeyRelease, key, mods, self.t_ms)
            self._send(target, QEvent.Type.KeyPress, key, mods, self.t_ms)
            d.idle()
            self.t_ms += PERIOD_MS
        self._send(QApplication.focusWidget() or w, QEvent.Type.KeyRelease, key, mods, self.t_ms - PERIOD_MS + 34)
        d.idle()
        self.t_ms += 400                                      # the hand rests before the next key


def _accepted(w, kind: str) -> int:
    return sum(1 for e in read_session(w.controller.path).entries
               if e.get("kind") == "action" and e.get("accepted") and e["action"]["type"] == kind)


def _proceed(make_window):
    w, d = make_window()
    d.start(w.show_picker())
    d.answer_checklist({k: g["expected"] for k, g in w.scenario.decisions.gates.items()})
    return w, d


def test_held_shot_advance_and_aim_keys_with_unmarked_x_repeats_act_once(make_window):
    w, d = _proceed(make_window)
    kb = XKeyboard()
    kb.hold(d, Qt.Key.Key_1, repeats=5)
    kb.hold(d, Qt.Key.Key_S, repeats=20)                              # 1.5 s on S
    assert _accepted(w, "shot") == 1 and w.view.shots == 1           # one shot, not 21
    kb.hold(d, Qt.Key.Key_S, repeats=0)                               # a second press: a second shot
    assert _accepted(w, "shot") == 2
    d.pick_entry("left")
    d.idle()
    kb.hold(d, Qt.Key.Key_P, repeats=3)
    depth_mm = w.view.trocar.depth_mm
    kb.hold(d, Qt.Key.Key_A, repeats=22)                              # 1.5 s on A (115 mm before)
    assert _accepted(w, "advance") == 1
    assert w.view.trocar.depth_mm == pytest.approx(depth_mm + 5.0)   # one coarse step
    kb.hold(d, Qt.Key.Key_A, repeats=0)
    assert w.view.trocar.depth_mm == pytest.approx(depth_mm + 10.0)
    kb.hold(d, Qt.Key.Key_Right, repeats=10)                          # a held arrow: one aim step
    assert _accepted(w, "aim") == 1
    kb.hold(d, Qt.Key.Key_Z, repeats=10)                              # a held Z: one withdrawal of 5 mm
    assert w.view.trocar.depth_mm == pytest.approx(depth_mm + 5.0)


def test_a_held_ctrl_arrow_and_a_held_return_in_the_orbital_box_move_once(qtbot, make_window):
    w, d = _proceed(make_window)
    kb = XKeyboard()
    kb.hold(d, Qt.Key.Key_1, repeats=0)
    before = w.view.n_actions
    kb.hold(d, Qt.Key.Key_Right, repeats=12, mods=Qt.KeyboardModifier.ControlModifier)
    assert w.view.n_actions == before + 1                             # one step of orbital
    orbital_deg = w.view.pose.orbital_deg
    assert orbital_deg != 0.0
    edit = w.carm.orbital.lineEdit()
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, "7")
    kb.hold(d, Qt.Key.Key_Return, repeats=12)
    assert w.view.pose.orbital_deg == 7.0 and w.view.n_actions == before + 2     # one move for the held Return
