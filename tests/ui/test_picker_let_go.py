"""A closed scenario picker is let go by the trainer window (round 41).

Until then each Session > New session… added a picker to the window's ``dialogs`` and kept it there, with its
loaded scenarios and its thread pool, until the window closed: 20 pickers opened and cancelled were 20 pickers
alive.  The oracle is Qt's own object tree (the window's child pickers, ``findChildren``), not the list the code
keeps, and the pickers' C++ objects (``shiboken6.isValid``).
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from trainer.ui.scenario_picker import ScenarioPicker


def _new_session(w) -> ScenarioPicker:
    """Session > New session…: the picker it opened (the only one open)."""
    session = w.menuBar().actions()[0].menu()
    next(a for a in session.actions() if a.text() == "New session…").trigger()
    (picker,) = [d for d in w.dialogs if isinstance(d, ScenarioPicker) and d.isVisible()]
    return picker


def _cancel(picker) -> None:
    """A click on the picker's Cancel button."""
    cancel = next(b for b in picker.findChildren(QPushButton) if b.text() == "Cancel")
    QTest.mouseClick(cancel, Qt.MouseButton.LeftButton)


def test_twenty_pickers_opened_and_cancelled_are_not_kept(make_window, qtbot):
    w, d = make_window()
    opened = []
    for _ in range(20):
        picker = _new_session(w)
        opened.append(picker)
        _cancel(picker)
    # failed before: the window held all 20 (each in dialogs, each a child of the window)
    qtbot.waitUntil(lambda: not w.findChildren(ScenarioPicker), timeout=10_000)
    assert not any(shiboken6.isValid(p) for p in opened)
    assert not any(isinstance(x, ScenarioPicker) for x in w.dialogs)
    # the 21st opens as the first did, and its Start starts the case
    picker = _new_session(w)
    assert w.findChildren(ScenarioPicker) == [picker] and picker.select("l1-wedge-default")
    d.start(picker)
    assert w.scenario.id == "l1-wedge-default"
    qtbot.waitUntil(lambda: not w.findChildren(ScenarioPicker), timeout=10_000)
    assert not any(isinstance(x, ScenarioPicker) for x in w.dialogs)
