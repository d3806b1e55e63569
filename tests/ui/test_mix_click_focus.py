"""A click on Mix leaves no number box with its text selected for typing over.

Round 45's first use (and README/docs screenshot 05): after Mix was clicked with the mouse, the button disabled
itself and Qt passed the keyboard focus to the next box in the chain, the injection step, its "0.25" selected as
if the user were to type a new step. Oracle: Qt's own focus widget and the step box's selected text, after a real
mouse click; then a real W key goes where Qt sends keys (the focus widget, or the window) and the cement clock
moves by the 30 s the W key waits (the user guide's key list).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication


def test_a_mouse_click_on_mix_does_not_hand_the_keyboard_to_the_step_box(placed_at_three_quarters):
    w, d = placed_at_three_quarters
    d.click(w.cement.mix_button)              # QTest.mouseClick: press and release on the button
    d.idle()
    assert w.view.cement.mixed
    focus = QApplication.focusWidget()
    step = w.cement.step
    assert focus is not step and focus is not step.lineEdit(), focus
    assert step.lineEdit().selectedText() == ""
    before_s = w.view.cement.since_mix_s
    QTest.keyClick(focus or w, Qt.Key.Key_W)  # where a key typed now goes
    d.idle()
    assert w.view.cement.since_mix_s == before_s + 30.0
    assert step.value() == 0.25
