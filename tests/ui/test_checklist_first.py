"""The checklist decision comes before the C-arm (DESIGN.md 4: "chart review and checklist -> C-arm
alignment -> access"), and a first-time trainee who tries to image first is told what to do.

Driven with real events (key clicks, a held F with keyboard auto-repeat, mouse clicks on the
answer buttons).  Oracle: the session file the core writes (read back with the session reader):
no C-arm move and no exposure is recorded before the decision to proceed; the procedure's stage
stays "checklist".  Round 8's sweep found the window took shots before any checklist answer.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from trainer.core.scenario.checklist import CHECKLIST_ITEMS
from trainer.core.session.reader import read_session


def _recorded(w) -> list[str]:
    return [a["type"] for a in read_session(w.controller.path).actions]


def _hold_f_with_auto_repeat(w, d, marked: bool, repeats: int = 10) -> None:
    """F held: X sends auto-repeat as release/press pairs 40 ms apart (marked or not), then the release."""
    def send(kind, rep):
        QApplication.sendEvent(w.stack, QKeyEvent(kind, Qt.Key.Key_F, Qt.KeyboardModifier.NoModifier, "f", rep))

    w.activateWindow()
    send(QEvent.Type.KeyPress, False)
    d.pump(0.1)
    for _ in range(repeats):
        send(QEvent.Type.KeyRelease, marked)
        send(QEvent.Type.KeyPress, marked)
        d.pump(0.04)
    send(QEvent.Type.KeyRelease, False)
    d.pump(0.3)                                   # past the pedal's release grace (120 ms)
    d.idle()


def test_no_image_before_the_checklist_decision_and_the_window_says_what_to_do(make_window):
    w, d = make_window()
    picker = w.show_picker()
    assert picker.select("l1-wedge-default")
    answers = {k: g["expected"] for k, g in picker.current_scenario().decisions.gates.items()}
    d.start(picker)
    assert w.view.stage == "checklist" and w.tabs.currentIndex() == 0
    # the controls are visibly off, and say why
    assert not w.carm.shot_button.isEnabled() and not w.carm.fluoro_button.isEnabled()
    assert "Patient & checklist" in w.carm.toolTip() and "Proceed" in w.carm.toolTip()
    assert w.gate_label.text() == w.carm.toolTip()

    w.tabs.setCurrentIndex(1)                     # a trainee who went to the Procedure tab anyway
    for key in (Qt.Key.Key_S, Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_M):
        d.key(key)
        d.idle()
        assert "not yet" in w.status.log[-1] and "Patient & checklist" in w.status.log[-1]
    assert w.tabs.currentIndex() == 0             # ... is sent back to the checklist
    for marked in (True, False):
        _hold_f_with_auto_repeat(w, d, marked)
        assert not w.carm.fluoro_on
    assert "Shot: not yet" in w.status.log[-1]
    assert _recorded(w) == []                     # the core saw nothing: no move, no exposure
    assert w.view.shots == 0 and w.view.dap_gycm2 == 0.0 and w.view.stage == "checklist"

    # every gate answered but not yet decided: still no image; the message now asks for the decision only
    gates = [k for k in answers if k != "candidacy"]
    assert sorted(gates) == sorted(k for k in CHECKLIST_ITEMS if k != "candidacy")
    for item in gates:
        d.click(w.chart.buttons[(item, answers[item])])
        d.idle()
    d.key(Qt.Key.Key_S)
    d.idle()
    assert "decide Proceed" in w.status.log[-1] and "open item" not in w.status.log[-1]
    assert _recorded(w) == ["decide"] * len(gates)

    d.click(w.chart.buttons[("candidacy", "proceed")])
    d.idle()
    assert w.carm.shot_button.isEnabled() and not w.gate_label.isVisible() and w.carm.toolTip() == ""
    d.key(Qt.Key.Key_1)
    d.idle()
    d.key(Qt.Key.Key_S)
    d.idle()
    assert _recorded(w)[-2:] == ["carm", "shot"] and w.view.shots == 1 and w.view.stage == "alignment"
    d.pump(0.1)
    _hold_f_with_auto_repeat(w, d, marked=False)  # the pedal works once decided: one more exposure
    assert [a.get("continuous", False) for a in read_session(w.controller.path).actions
            if a["type"] == "shot"][1] is False


@pytest.mark.parametrize("answer", ["defer", "decline"])
def test_after_deferring_or_declining_no_image_is_taken(make_window, answer):
    w, d = make_window()
    picker = w.show_picker()
    assert picker.select("l1-wedge-default")
    d.start(picker)
    d.click(w.chart.buttons[("candidacy", answer)])
    d.idle()
    d.key(Qt.Key.Key_S)
    d.idle()
    assert f"You decided to {answer}" in w.status.log[-1] and "Ctrl+Enter" in w.status.log[-1]
    assert _recorded(w) == ["decide"]
    # the decision can still be changed while the procedure has not started
    d.click(w.chart.buttons[("candidacy", "proceed")])
    d.idle()
    d.key(Qt.Key.Key_S)
    d.idle()
    assert _recorded(w) == ["decide", "decide", "shot"]


def test_proceeding_with_gates_open_is_allowed_but_named(make_window):
    w, d = make_window()
    picker = w.show_picker()
    assert picker.select("l1-wedge-default")
    answers = {k: g["expected"] for k, g in picker.current_scenario().decisions.gates.items()}
    d.start(picker)                           # the picker is let go once it closes: its case read before
    d.click(w.chart.buttons[("inr", "acceptable")])
    d.idle()
    d.click(w.chart.buttons[("candidacy", "proceed")])
    d.idle()
    note = w.status.log[-1]
    open_items = [k for k in CHECKLIST_ITEMS if k not in ("candidacy", "inr")]
    assert note.startswith(f"Proceeding with {len(open_items)} checklist items unanswered")
    assert all(k in note for k in open_items) and "fails the attempt" in note
    assert w.carm.shot_button.isEnabled() and w.tabs.currentIndex() == 0
    for item in open_items[:-1]:              # each answer updates the list of the items still open
        d.click(w.chart.buttons[(item, answers[item])])
        d.idle()
    assert w.status.log[-1].startswith("Proceeding with 1 checklist item unanswered (imaging)")
    d.click(w.chart.buttons[(open_items[-1], answers[open_items[-1]])])
    d.idle()
    assert w.status.log[-1].startswith("Proceeding: square the C-arm") and w.tabs.currentIndex() == 1
