"""The import editor given a folder of several series side by side (a Horos export, a PACS zip; round 35, mixed35):
its Series field opens the list of those series, a held Return does not answer it, and the series picked with the
keyboard is the one read, and the one the saved scenario names.

The folder is ``realct_mixed.build``'s (the real chest CT's spine crop as series 2, a scout of it as series 1, a 5 mm
slab reconstruction of it as series 3, interleaved).  Oracles: the series the test wrote (names, file counts, the
slabs' spacing) and the editor reading the chest from a folder of its own (the same HU, fingerprint and landmarks).
Before, the typed folder was read whole and refused ("mixed series ...; put one series per folder").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import realct_mixed
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QInputDialog
from qt_input import CT_WORK_WAIT_MS, show_active

from trainer.core.scenario.loader import load_scenario
from trainer.ui.ct_landmarks import CTLandmarkDialog

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mixed(chest_crop, tmp_path_factory):
    return realct_mixed.build(chest_crop, tmp_path_factory.mktemp("mixed-gui"))


def _type(field, text: str) -> None:
    """Select the field's text (Ctrl+A) and type ``text`` over it with real key presses."""
    QTest.mouseClick(field, Qt.MouseButton.LeftButton)
    QTest.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(field, text)


def _open_list(qtbot, dlg, folder) -> QInputDialog:
    before = len(dlg.dialogs)
    _type(dlg.folder_edit, str(folder))
    QTest.keyClick(dlg.folder_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(dlg.dialogs) > before and isinstance(dlg.dialogs[-1], QInputDialog)
                    and dlg.dialogs[-1].isVisible(), timeout=5000)
    return dlg.dialogs[-1]


def test_the_editor_lists_a_flat_folders_series_and_reads_the_one_picked(qtbot, mixed, tmp_path):
    dlg = CTLandmarkDialog(level="T12")
    qtbot.addWidget(dlg)
    show_active(qtbot, dlg)
    box = _open_list(qtbot, dlg, mixed.folder)
    n_ct, n_slab = len(mixed.ct_files), len(mixed.slab_files)
    assert box.objectName() == "seriesChooser" and dlg._busy is None
    assert box.comboBoxItems() == ["series 1 (CT scout 'Topogram 0.6 T20f', 1 file)",
                                   f"series 2 (CT 'crop real CT', {n_ct} files, 2.5 mm slices)",
                                   f"series 3 (CT 'chest 5 mm slabs', {n_slab} files, 5 mm slices)"]
    assert box.textValue().startswith("series 2 ") and "3 series side by side" in box.labelText()
    assert "holds 3 series side by side" in dlg.status.text()
    # the folder typed is still in the Series field while its list is open (as a study folder's is), not emptied
    typed = str(mixed.folder)
    home = Path.home()
    shown = f"~/{mixed.folder.relative_to(home)}" if mixed.folder.is_relative_to(home) else typed   # ~ for the home
    assert dlg.folder_edit.text() == shown, dlg.folder_edit.text()
    # Return held: Qt's marked auto-repeats reach the list, which must not read a series the user has not seen
    combo = box.findChild(QComboBox)
    for _ in range(6):
        for kind in (QEvent.Type.KeyRelease, QEvent.Type.KeyPress):
            QApplication.sendEvent(box.focusWidget() or box,
                                   QKeyEvent(kind, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r", True))
            QApplication.processEvents()
    assert box.isVisible() and box.result() == 0 and dlg._busy is None and dlg.volume is None
    # the arrow down to the slabs, a new Return: series 3 read, with its spacing
    QTest.keyClick(combo, Qt.Key.Key_Down)
    with qtbot.waitSignal(dlg.loaded, timeout=CT_WORK_WAIT_MS):
        QTest.keyClick(box.focusWidget() or box, Qt.Key.Key_Return)
    assert dlg.series == mixed.uids[3] and dlg.volume.grid.spacing_xyz_mm[2] == pytest.approx(5.0)
    assert dlg.volume.meta["files"] == n_slab and dlg.folder == mixed.folder

    # the same folder typed again: its list opens again (another series of it may be wanted), the chest selected
    box = _open_list(qtbot, dlg, mixed.folder)
    assert box.textValue().startswith("series 2 ")
    with qtbot.waitSignal(dlg.loaded, timeout=CT_WORK_WAIT_MS):
        QTest.keyClick(box.focusWidget() or box, Qt.Key.Key_Return)
    assert dlg.series == mixed.uids[2]
    own = CTLandmarkDialog(level="T12")
    qtbot.addWidget(own)
    with qtbot.waitSignal(own.loaded, timeout=CT_WORK_WAIT_MS):
        own.load(mixed.folder.parent / "own")
    assert own.series is None and dlg.volume.meta["series_sha256"] == own.volume.meta["series_sha256"]
    assert np.array_equal(dlg.volume.hu, own.volume.hu) and dlg.landmarks == own.landmarks
    out = mixed.folder.parent / f"editor-{tmp_path.name}.toml"
    assert dlg.save_scenario(out) is not None
    assert f'series = "{mixed.uids[2]}"   # SeriesNumber 2\n' in out.read_text()
    sc = load_scenario(out)
    assert sc.ct.series == mixed.uids[2] and sc.ct.folder == mixed.folder.resolve()
