"""Keys typed ahead of the case picker do not start a case the resident did not choose.

Round 41 (pass 211), a first-time walk under Xvfb with X auto-repeat on: keys typed while the trainer was starting
(Escape, a series path and Return, meant for the CT editor) reached the picker once it opened, and its Return (the
default button's) started the preselected L1 case.  Round 42 reproduced it with xdotool (three launches of three, the
keys typed as soon as the main window was mapped: the window's title then named the L1 case).  The picker now drops
keys that reach it before its window is exposed, keeps a key held from before ignored (X repeats it as release/press
pairs with one timestamp) until it is pressed again, and takes Return only once a row has been chosen in it since it
was shown (clicked, moved to with the arrow keys, or opened from a file).

Oracles: the case the picker emits against the row a hand chose (the built-in list's order, from ``builtin_ids`` and
the scenario files, not the picker), and nothing emitted for keys typed ahead.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from qt_input import show_active

from trainer.core.scenario.loader import DEFAULT_SCENARIO, builtin_ids, load_scenario
from trainer.ui.scenario_picker import CHOOSE_FIRST, HEADER, ScenarioPicker

#: X's default auto-repeat: the first repeat 660 ms after the press, then one every 40 ms
DELAY_MS, PERIOD_MS = 660, 40


def _x_key(target, kind, key, stamp_ms: int, text: str = "") -> None:
    """One key event as the X server sends it: unmarked, stamped with the server's clock (ms)."""
    ev = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, text)
    ev.setTimestamp(stamp_ms)
    QApplication.sendEvent(target, ev)


def _shown(qtbot, picker) -> None:
    show_active(qtbot, picker)
    qtbot.waitUntil(picker.keys_armed, timeout=5000)


def _builtin_after_default() -> str:
    """The built-in case one row below the default, in the list's order (titles read from the files)."""
    ids = builtin_ids()
    return load_scenario(ids[ids.index(DEFAULT_SCENARIO) + 1]).title


def test_keys_sent_before_the_picker_is_shown_and_a_return_before_a_choice_start_nothing(qtbot):
    picker = ScenarioPicker()
    qtbot.addWidget(picker)
    started = []
    picker.scenarioChosen.connect(started.append)
    default = picker.current_scenario()
    assert default.id == DEFAULT_SCENARIO
    # typed ahead: a path, then Return, before the picker is on screen
    QTest.keyClicks(picker.list, "/tmp/series")
    QTest.keyClick(picker, Qt.Key.Key_Return)
    assert started == [] and picker.current_scenario() is default     # (so before too: Qt ignores a hidden default)
    _shown(qtbot, picker)
    # on screen, Return before any row is chosen starts nothing and the first line says how to choose
    QTest.keyClick(picker.list, Qt.Key.Key_Return)
    assert started == [], [s.id for s in started]               # failed before: the default L1 case started
    assert picker.isVisible() and picker.header.text() == CHOOSE_FIRST
    # a row moved to with the arrow keys is a row chosen: Return starts it, the one below the default
    QTest.keyClick(picker.list, Qt.Key.Key_Down)
    assert picker.header.text() == HEADER
    QTest.keyClick(picker.list, Qt.Key.Key_Return)
    assert [s.title for s in started] == [_builtin_after_default()] and not picker.isVisible()


def test_a_return_held_from_before_the_picker_opened_is_ignored_until_pressed_again(qtbot):
    """Return pressed while the trainer started and held (X's auto-repeat on): its press reaches the picker before
    its window is exposed; the repeats that follow (release/press pairs with one timestamp each) reach it on screen,
    after the resident clicked a row.  None of them starts the case; the next Return pressed does, the row clicked."""
    picker = ScenarioPicker()
    qtbot.addWidget(picker)
    started = []
    picker.scenarioChosen.connect(started.append)
    t_ms = 5_003_117
    _x_key(picker, QEvent.Type.KeyPress, Qt.Key.Key_Return, t_ms, "\r")
    assert started == []
    _shown(qtbot, picker)
    ids = builtin_ids()
    row = ids.index(DEFAULT_SCENARIO) + 2
    rect = picker.list.visualItemRect(picker.list.item(row))
    QTest.mouseClick(picker.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert picker.current_scenario().title == load_scenario(ids[row]).title
    t_ms += DELAY_MS
    for _ in range(5):                                           # the key still held: X repeats it
        target = picker.focusWidget() or picker
        _x_key(target, QEvent.Type.KeyRelease, Qt.Key.Key_Return, t_ms, "\r")
        _x_key(target, QEvent.Type.KeyPress, Qt.Key.Key_Return, t_ms, "\r")
        QApplication.processEvents()
        t_ms += PERIOD_MS
    _x_key(picker.focusWidget() or picker, QEvent.Type.KeyRelease, Qt.Key.Key_Return, t_ms - PERIOD_MS + 31, "\r")
    assert started == [] and picker.isVisible()                 # failed before: the first repeat started the case
    t_ms += 400                                                  # the hand presses Return again
    _x_key(picker.focusWidget() or picker, QEvent.Type.KeyPress, Qt.Key.Key_Return, t_ms, "\r")
    assert [s.title for s in started] == [load_scenario(ids[row]).title] and not picker.isVisible()


def test_a_click_on_start_starts_the_preselected_case_without_a_choice(qtbot):
    """The rule is Return's alone: Start clicked starts the row selected, the default case untouched."""
    picker = ScenarioPicker()
    qtbot.addWidget(picker)
    started = []
    picker.scenarioChosen.connect(started.append)
    _shown(qtbot, picker)
    assert not picker.row_chosen()
    QTest.mouseClick(picker.start_button, Qt.MouseButton.LeftButton)
    assert [s.id for s in started] == [DEFAULT_SCENARIO]
