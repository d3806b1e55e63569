"""The import editor and a flat folder whose second series' SeriesInstanceUID has letters in it (round 35,
hostile35): the series picked in the list is read, and the saved scenario names it by its SeriesNumber.

Until hostile35 the list offered the series and its read was refused ("series '1.2.840.113619.2.55.3.ABC.2' is not
allowed; expected ... a SeriesInstanceUID (digits and dots ...)").  Oracle: the series the test writes (the
synthetic L1 patient's export twice, numbered 1 and 2) and the file the editor saves.
"""

from __future__ import annotations

import pytest
from odd_uid_series import ODD, write_flat_pair
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QInputDialog
from qt_input import CT_WORK_WAIT_MS, show_active

from trainer.core.anatomy.builder import build_patient
from trainer.core.scenario.loader import load_scenario
from trainer.ui.ct_landmarks import CTLandmarkDialog


@pytest.fixture(scope="module")
def flat(tmp_path_factory):
    """``root / "ct"``: the synthetic L1 patient's series A (number 1) and B (number 2, the odd UID), side by side."""
    vol = build_patient(load_scenario("l1-wedge-default").anatomy).volume
    d = tmp_path_factory.mktemp("odd-gui") / "ct"
    write_flat_pair(d, vol, (1, 2))
    return d


def test_the_odd_uid_series_picked_is_read_and_saved_by_its_number(qtbot, flat):
    dlg = CTLandmarkDialog(level="L1")
    qtbot.addWidget(dlg)
    show_active(qtbot, dlg)
    QTest.mouseClick(dlg.folder_edit, Qt.MouseButton.LeftButton)
    QTest.keyClick(dlg.folder_edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(dlg.folder_edit, str(flat))
    QTest.keyClick(dlg.folder_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(dlg.dialogs) and isinstance(dlg.dialogs[-1], QInputDialog)
                    and dlg.dialogs[-1].isVisible(), timeout=5000)
    box = dlg.dialogs[-1]
    combo = box.findChild(QComboBox)
    combo.setCurrentIndex(1)
    assert box.textValue().startswith("series 2 ")
    with qtbot.waitSignal(dlg.loaded, timeout=CT_WORK_WAIT_MS):
        QTest.keyClick(box.focusWidget() or box, Qt.Key.Key_Return)
    assert dlg.series == ODD and dlg.volume.meta["series_uid"] == ODD, dlg.status.text()
    out = flat.parent / "editor.toml"
    assert dlg.save_scenario(out) is not None, dlg.status.text()
    assert f'series = 2   # SeriesInstanceUID "{ODD}"\n' in out.read_text()
    assert load_scenario(out).ct.series == 2
