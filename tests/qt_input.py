"""Real keyboard and mouse input for the GUI tests (pytest-qt, offscreen): what an instructor does."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

#: how long a GUI test waits for the landmark editor's worker (a real CT series read, its column found,
#: its level estimated and labelled) before calling it hung, in ms.  On the idle 2-core machine a load takes
#: 5-40 s; under a load average of 8 (CI beside three benchmark runs, round 18) 60-120 s waits ran out.  The
#: wait returns as soon as the signal comes, so a generous cap costs nothing when the worker is healthy.
CT_WORK_WAIT_MS = 300_000


def show_active(qtbot, window) -> None:
    """Show ``window`` and make it the active window, as a desktop's window manager does when it opens.
    Under Xvfb there is no window manager: the window stays inactive, a click into a number box does not
    give it the keyboard focus, and a value typed there is never committed by Tab (offscreen Qt activates
    the window itself)."""
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)


def pick_level_with_mouse(qtbot, combo, level: str) -> None:
    """Open ``combo``'s drop-down with a mouse click, walk its list with the arrow keys to ``level``
    and press Return (a click in the offscreen list does not select: Qt's popup waits for a real
    pointer's move)."""
    QTest.mouseClick(combo, Qt.MouseButton.LeftButton)
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=5000)
    steps = combo.findText(level) - view.currentIndex().row()
    for _ in range(abs(steps)):
        QTest.keyClick(view, Qt.Key.Key_Down if steps > 0 else Qt.Key.Key_Up)
    QTest.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=5000)


def type_into_spin(qtbot, spin, value: float, key: Qt.Key = Qt.Key.Key_Return) -> None:
    """Click into ``spin``, select its text (Ctrl+A), type ``value`` (one decimal) and press ``key``
    (Return, or Tab to the next field)."""
    edit = spin.lineEdit()
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    QTest.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(edit, f"{value:.1f}")
    QTest.keyClick(edit, key)
