"""The scenario picker's Return after Open scenario file…: it starts the file just opened.

Round 35's walk-through (a first-time instructor, real X keys): Open scenario file…, the imported CT case
chosen in the file dialog, then Return, as for the dialog's default button Start.  The file dialog opened
again: "Open scenario file…" kept the focus after its dialog closed and, as an auto-default button, took
the Return.
"""

from __future__ import annotations

import shutil

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton
from qt_input import show_active

from trainer import SCENARIOS_DIR
from trainer.ui.scenario_picker import ScenarioPicker


def _button(widget, text: str) -> QPushButton:
    """The push button of ``widget`` reading ``text``."""
    return next(b for b in widget.findChildren(QPushButton) if b.text() == text)


def _repeat_press() -> QKeyEvent:
    """A Return press as X's key repeat sends it (auto-repeat set)."""
    return QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r", True)


def test_return_after_opening_a_scenario_file_starts_it(qtbot, tmp_path):
    """A scenario file typed into the file dialog (keys) and opened with Return; a second Return (the key
    held, repeating) starts that file's case, and no file dialog opens again.  Before (09f0471) the file
    dialog opened again and nothing started."""
    mine = tmp_path / "my-case.toml"
    shutil.copy(SCENARIOS_DIR / "l2-discitis.toml", mine)
    mine.write_text(mine.read_text().replace('title = "', 'title = "Mine: ', 1))
    picker = ScenarioPicker()
    qtbot.addWidget(picker)
    show_active(qtbot, picker)
    started = []
    picker.scenarioChosen.connect(started.append)
    QTest.mouseClick(_button(picker, "Open scenario file…"), Qt.MouseButton.LeftButton)
    dlg = picker.file_dialog
    show_active(qtbot, dlg)                             # as a window manager makes a dialog opened active
    name = dlg.findChild(QLineEdit, "fileNameEdit")
    QTest.keyClicks(name, str(mine))
    QTest.keyClick(name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=5000)
    assert picker.current_scenario().title.startswith("Mine: ")
    # the keys go where the picker's focus is, as X gives them to the window active again (offscreen Qt leaves
    # the application's focus in the closed file dialog): the button clicked to open it
    assert picker.focusWidget() is _button(picker, "Open scenario file…")
    QTest.keyClick(picker.focusWidget(), Qt.Key.Key_Return)
    for _ in range(2):                                  # the key held: X repeats it
        if picker.isVisible():
            QApplication.sendEvent(picker.focusWidget(), _repeat_press())
        QApplication.processEvents()
    assert [s.title for s in started] == [picker.current_scenario().title]
    assert picker.file_dialog is dlg and not dlg.isVisible() and not picker.isVisible()
