"""A Return held on the picker's Start does not cancel the patient's build (round 42, realct-log pass 217).

Round 42's walk under Xvfb (xdotool, X's auto-repeat on): a Return held 1.5 s answered a dialog and its repeats
then reached the "Preparing" dialog that followed, whose one button is Cancel: the status bar read "Cancelled." and
no session started.  The X server repeats a held key as release/press pairs carrying one timestamp (ms), none marked
as repeats (measured in round 22, tests/ui/test_x_key_repeat.py); these tests send exactly that.

The build is held (the window's one action thread busy with a job waiting for an event) so that the Preparing
dialog is still open when the repeats come.  Oracles: the case chosen is the one the window starts (its title), the
status bar does not say "Cancelled.", and a fresh Escape (a key pressed at the dialog) still cancels it.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from qt_input import show_active

from trainer.core.scenario.loader import DEFAULT_SCENARIO, builtin_ids, load_scenario
from trainer.ui.app import startup

DELAY_MS, PERIOD_MS = 660, 40


def _x_key(target, kind, key, stamp_ms: int, text: str = "") -> None:
    ev = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, text)
    ev.setTimestamp(stamp_ms)
    QApplication.sendEvent(target, ev)


def _held_build(w):
    """The window's action thread held by a job waiting for an event (the patient's build queued behind it); the
    job's own answer is dropped as stale."""
    gate, holding = threading.Event(), threading.Event()

    def hold(_payload, _progress):
        holding.set()
        gate.wait()

    w.controller.runner.submit("hold", hold)
    assert holding.wait(30)
    w.controller.runner.invalidate("hold")          # its answer dropped: the window's actions are not told of it
    return gate


def _start_with_a_held_return(qtbot, w):
    """Choose the row below the default with a click, press Return at t and keep it held: (the case's title, the
    time of the last repeat) once the Preparing dialog is on screen and five repeats reached it."""
    picker = startup(w)
    show_active(qtbot, picker)
    qtbot.waitUntil(picker.keys_armed, timeout=5000)
    ids = builtin_ids()
    row = ids.index(DEFAULT_SCENARIO) + 1
    rect = picker.list.visualItemRect(picker.list.item(row))
    QTest.mouseClick(picker.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    t_ms = 7_000_311
    _x_key(picker.focusWidget(), QEvent.Type.KeyPress, Qt.Key.Key_Return, t_ms, "\r")
    assert not picker.isVisible() and w.progress is not None        # Start taken: the build began
    qtbot.waitUntil(lambda: w.progress is not None and w.progress.windowHandle() is not None
                    and w.progress.windowHandle().isExposed(), timeout=5000)
    t_ms += DELAY_MS
    for _ in range(5):
        if w.progress is None:                      # cancelled by a repeat: the dialog is gone
            break
        focus = QApplication.focusWidget()
        target = focus if focus is not None and focus.window() is w.progress else w.progress
        _x_key(target, QEvent.Type.KeyRelease, Qt.Key.Key_Return, t_ms, "\r")
        if w.progress is not None:
            _x_key(target, QEvent.Type.KeyPress, Qt.Key.Key_Return, t_ms, "\r")
        QApplication.processEvents()
        t_ms += PERIOD_MS
    return load_scenario(ids[row]).title, t_ms


def test_a_held_return_does_not_cancel_the_build(make_window, qtbot):
    w, d = make_window()
    gate = _held_build(w)
    try:
        title, t_ms = _start_with_a_held_return(qtbot, w)
        assert "Cancelled." not in w.status.log and w.progress is not None      # failed before: "Cancelled."
        _x_key(w.progress, QEvent.Type.KeyRelease, Qt.Key.Key_Return, t_ms - PERIOD_MS + 31, "\r")
    finally:
        gate.set()
    d.wait_until(lambda: w.view is not None, "the patient's build")
    assert w.windowTitle() == f"vptrainer — {title}"


def test_escape_pressed_at_the_preparing_dialog_still_cancels(make_window, qtbot):
    w, _ = make_window()
    gate = _held_build(w)
    try:
        _, t_ms = _start_with_a_held_return(qtbot, w)
        assert w.progress is not None                       # failed before: the repeats had cancelled it
        _x_key(w.progress, QEvent.Type.KeyRelease, Qt.Key.Key_Return, t_ms - PERIOD_MS + 31, "\r")
        _x_key(w.progress, QEvent.Type.KeyPress, Qt.Key.Key_Escape, t_ms + 500)
        assert w.status.log[-1] == "Cancelled." and w.progress is None
    finally:
        gate.set()
