"""What a first-time trainee hit (issue 16): each test drives the window with real events."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from trainer.core.session.reader import read_session


def _start(w, d, scenario: str):
    picker = w.show_picker()
    assert picker.select(scenario)
    d.start(picker)
    return picker


# ------------------------------------------------------------------ 1. stale checklist answers
def test_a_new_session_shows_no_answer_of_the_previous_patient(make_window):
    w, d = make_window()
    _start(w, d, "l1-wedge-default")
    d.click(w.chart.buttons[("inr", "acceptable")])
    d.idle()
    assert w.chart.buttons[("inr", "acceptable")].isChecked()
    _start(w, d, "l1-inr-high")
    assert w.view.decisions == {}
    checked = [key for key, b in w.chart.buttons.items() if b.isChecked()]
    assert checked == []


# ------------------------------------------------------------------ 2. keyboard auto-repeat on F
def _send_key(w, kind, auto_repeat: bool) -> None:
    ev = QKeyEvent(kind, Qt.Key.Key_F, Qt.KeyboardModifier.NoModifier, "f", auto_repeat)
    QApplication.sendEvent(w.stack, ev)


@pytest.mark.parametrize("marked", [True, False], ids=["repeat-marked", "repeat-unmarked"])
def test_a_held_f_with_auto_repeat_is_one_exposure(make_window, marked):
    """X auto-repeat arrives as release/press pairs every ~40 ms; Qt marks them auto-repeat only
    when it can tell (``marked``).  Either way the pedal never came up: one exposure."""
    w, d = make_window()
    _start(w, d, "l1-wedge-default")
    d.answer_checklist({"candidacy": "proceed"})
    d.key(Qt.Key.Key_1)
    d.idle()
    n_before = len(read_session(w.controller.path).actions)
    w.activateWindow()
    _send_key(w, QEvent.Type.KeyPress, False)
    d.pump(0.3)
    for _ in range(20):                                   # 20 repeats, 40 ms apart
        _send_key(w, QEvent.Type.KeyRelease, marked)
        _send_key(w, QEvent.Type.KeyPress, marked)
        d.pump(0.04)
    _send_key(w, QEvent.Type.KeyRelease, False)
    d.wait_until(lambda: not w.carm.fluoro_on, "the pedal to come up")
    d.idle()
    shots = [a for a in read_session(w.controller.path).actions[n_before:] if a["type"] == "shot"]
    assert shots, "the held key took no image"
    starts = [a for a in shots if not a.get("continuous")]
    assert len(starts) == 1                               # one exposure, however many repeats
    assert len(shots) <= 8                                # one action per 250 ms tick at most, not per repeat
