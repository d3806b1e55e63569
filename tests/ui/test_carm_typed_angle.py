"""An angle typed into the C-arm panel's boxes and Return moves the C-arm; anything else says why it did not.

Round 21 (a resident on a real CT): letters typed into the orbital box were dropped without a word, "200"
became "20", and Return did not move the C-arm (only the Move C-arm button did).  Real key events (pytest-qt
``keyClicks`` / ``keyClick``) in the trainee window.  Oracle: the procedure's own view of the C-arm (its pose
and action count, from the core, not the panel) and the documented ranges (orbital -135 to 135 deg, tilt -45
to 45 deg: docs/user-guide.md).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication


def _window(make_window):
    w, d = make_window()
    d.start(w.show_picker())
    d.answer_checklist({"candidacy": "proceed"})
    w.tabs.setCurrentIndex(1)
    d.pump(0.05)
    return w, d


def _type(qtbot, box, text: str) -> None:
    """Click into ``box``, select its number (Ctrl+A), type ``text`` and press Return."""
    edit = box.lineEdit()
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_a_typed_angle_and_return_move_the_c_arm(qtbot, make_window):
    w, d = _window(make_window)
    before = w.view.n_actions
    _type(qtbot, w.carm.orbital, "12")
    d.idle()
    assert w.view.n_actions == before + 1
    assert w.view.pose.orbital_deg == 12.0
    _type(qtbot, w.carm.tilt, "-7.5")
    d.idle()
    assert (w.view.pose.orbital_deg, w.view.pose.tilt_deg) == (12.0, -7.5)
    assert w.view.n_actions == before + 2
    assert not w.carm.input_message.isVisible()


def test_letters_or_an_angle_out_of_range_say_so_and_do_not_move(qtbot, make_window):
    w, d = _window(make_window)
    _type(qtbot, w.carm.orbital, "12")
    d.idle()
    before, pose = w.view.n_actions, w.view.pose
    _type(qtbot, w.carm.orbital, "abc")
    d.idle()
    msg = w.status.log[-1]                                          # the status line, red
    assert "Orbital" in msg and "'abc'" in msg and "-135 to 135" in msg, w.status.log[-3:]
    assert w.carm.input_message.isVisible() and w.carm.input_message.text() == msg   # and under the boxes
    _type(qtbot, w.carm.orbital, "200")
    d.idle()
    msg = w.status.log[-1]
    assert "200" in msg and "-135 to 135" in msg, msg
    _type(qtbot, w.carm.tilt, "50")
    d.idle()
    msg = w.status.log[-1]
    assert "Tilt" in msg and "50" in msg and "-45 to 45" in msg, msg
    assert w.view.n_actions == before and w.view.pose == pose      # the C-arm did not move
    _type(qtbot, w.carm.tilt, "-3")              # a good tilt, but the orbital box still shows the refused 200
    d.idle()
    msg = w.status.log[-1]
    assert "Orbital" in msg and "200" in msg and w.view.n_actions == before, msg   # a move takes every box
    _type(qtbot, w.carm.orbital, "12")                               # every box good: Return moves, clears the line
    d.idle()
    assert (w.view.pose.orbital_deg, w.view.pose.tilt_deg) == (12.0, -3.0) and w.view.n_actions == before + 1
    assert not w.carm.input_message.isVisible()


def test_a_held_return_moves_once(qtbot, make_window):
    """X repeats a held key: the repeats are not more moves."""
    w, d = _window(make_window)
    before = w.view.n_actions
    edit = w.carm.orbital.lineEdit()
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, "6")
    qtbot.keyPress(edit, Qt.Key.Key_Return)
    for _ in range(3):
        QApplication.sendEvent(edit, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Return,
                                               Qt.KeyboardModifier.NoModifier, "\r", True))
    qtbot.keyRelease(edit, Qt.Key.Key_Return)
    d.idle()
    assert w.view.pose.orbital_deg == 6.0 and w.view.n_actions == before + 1


def _type_only(qtbot, box, text: str) -> None:
    """Click into ``box``, select its number (Ctrl+A) and type ``text`` (no Return)."""
    edit = box.lineEdit()
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, text)


def test_move_c_arm_refuses_letters_typed_in_a_box_as_return_does(qtbot, make_window):
    """Round 22: letters typed into a box and a mouse click on Move C-arm put the box back to its old
    value without a word and moved there; the button must refuse with the line Return gives."""
    w, d = _window(make_window)
    _type(qtbot, w.carm.orbital, "12")
    d.idle()
    before, pose = w.view.n_actions, w.view.pose
    _type_only(qtbot, w.carm.orbital, "abc")
    qtbot.mouseClick(w.carm.move_button, Qt.MouseButton.LeftButton)
    d.idle()
    msg = w.status.log[-1]
    assert "Orbital" in msg and "'abc'" in msg and "-135 to 135" in msg, w.status.log[-3:]
    assert w.carm.input_message.isVisible() and w.carm.input_message.text() == msg
    assert w.view.n_actions == before and w.view.pose == pose      # no move, not even to the old value
    assert "abc" in w.carm.orbital.lineEdit().text()                # what was typed stays to be corrected
    _type_only(qtbot, w.carm.tilt, "60")                              # out of range in another box
    qtbot.mouseClick(w.carm.move_button, Qt.MouseButton.LeftButton)
    d.idle()
    assert "Orbital" in w.status.log[-1] and w.view.n_actions == before   # the first bad box is named first
    _type_only(qtbot, w.carm.orbital, "10")                           # orbital fixed; tilt still 60
    qtbot.mouseClick(w.carm.move_button, Qt.MouseButton.LeftButton)
    d.idle()
    msg = w.status.log[-1]
    assert "Tilt" in msg and "60" in msg and "-45 to 45" in msg, msg
    assert w.view.n_actions == before
    _type_only(qtbot, w.carm.tilt, "-4")                              # both good: the button moves
    qtbot.mouseClick(w.carm.move_button, Qt.MouseButton.LeftButton)
    d.idle()
    assert (w.view.pose.orbital_deg, w.view.pose.tilt_deg) == (10.0, -4.0)
    assert w.view.n_actions == before + 1 and not w.carm.input_message.isVisible()


def test_a_refusal_asks_again_for_the_action_that_was_refused(qtbot, make_window):
    """Round 22 (docs/realct-log.md pass 78): a click on Move C-arm after letters in Orbital was refused
    with "... and press Return", as was Ctrl+Up after letters in a table-offset box: the line must ask
    for what the trainee did (the click, the key), and the Ctrl+arrow keys must not overwrite letters
    in Orbital with the old angle plus a step.  Oracle: the action taken (by hand) and the documented
    ranges; the core's action count and pose for "nothing moved"."""
    w, d = _window(make_window)
    before, pose = w.view.n_actions, w.view.pose
    _type_only(qtbot, w.carm.orbital, "abc")
    qtbot.mouseClick(w.carm.move_button, Qt.MouseButton.LeftButton)
    d.idle()
    msg = w.status.log[-1]
    assert "'abc'" in msg and "click Move C-arm" in msg and "Return" not in msg, msg
    qtbot.keyClick(w.carm.orbital.lineEdit(), Qt.Key.Key_Escape)     # keys back to the procedure
    d.key(Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    d.idle()
    msg = w.status.log[-1]
    assert "'abc'" in msg and "press Ctrl+Right" in msg and "Return" not in msg, msg
    assert "abc" in w.carm.orbital.lineEdit().text()                # not replaced by the old angle + a step
    assert w.view.n_actions == before and w.view.pose == pose
    _type_only(qtbot, w.carm.orbital, "10")
    _type_only(qtbot, w.carm.offset[1], "zz")
    qtbot.keyClick(w.carm.offset[1].lineEdit(), Qt.Key.Key_Escape)
    d.key(Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    d.idle()
    msg = w.status.log[-1]
    assert msg.startswith("Table offset y: 'zz'") and "-200 to 200" in msg and "press Ctrl+Up" in msg, msg
    assert w.view.n_actions == before
    qtbot.keyClick(w.carm.offset[1].lineEdit(), Qt.Key.Key_Return)   # Return in the box still asks for Return
    d.idle()
    assert "'zz'" in w.status.log[-1] and "press Return" in w.status.log[-1], w.status.log[-1]
    _type_only(qtbot, w.carm.offset[1], "0")
    qtbot.keyClick(w.carm.offset[1].lineEdit(), Qt.Key.Key_Escape)
    d.key(Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    d.idle()
    step_deg = w.settings.steps().orbital_step_deg
    assert w.view.pose.orbital_deg == 10.0 + step_deg                 # the step from what the box read
    assert w.view.n_actions == before + 1 and not w.carm.input_message.isVisible()
