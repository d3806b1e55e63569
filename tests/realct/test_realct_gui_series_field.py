"""The landmark editor's Series field on a real CT: a folder path typed (or pasted) and Return reads it, a path
that is no folder is said in one line; the coverage line says which levels the series holds, its slices and size,
and how far it reaches round the target against what a render needs (import-ct's words).

Oracles: the DICOM files read with pydicom (slice positions, rows, columns, count), the TotalSegmentator reference
mask of the abdominal CT (which vertebrae it holds) and a hand computation of the render's reach with the default
C-arm (half the 300 mm detector x (SOD 530 + 150 mm) / SID 1020 = 100 mm).
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
import realct_sources as sources
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from qt_input import CT_WORK_WAIT_MS, show_active

from trainer.core.anatomy.params import LEVELS
from trainer.ui.ct_landmarks import CTLandmarkDialog

pytestmark = pytest.mark.slow


def _type(field, text: str) -> None:
    """Select the field's text (Ctrl+A) and type ``text`` over it with real key presses."""
    QTest.mouseClick(field, Qt.MouseButton.LeftButton)
    QTest.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(field, text)


def test_a_typed_series_path_is_read_and_the_coverage_line_says_what_it_holds(qtbot, totalseg_ct, totalseg_series):
    """Before (fcf7200): the field was read-only (the typed path never reached it, nothing was read) and the
    editor had no coverage line."""
    _, folder = totalseg_series
    dlg = CTLandmarkDialog(level="L3")
    qtbot.addWidget(dlg)
    show_active(qtbot, dlg)
    _type(dlg.folder_edit, str(folder / "no-such-folder"))
    QTest.keyClick(dlg.folder_edit, Qt.Key.Key_Return)
    assert dlg.volume is None and dlg._busy is None
    assert f"{folder / 'no-such-folder'} is not a folder" in dlg.status.text(), dlg.status.text()
    # pasted as a file manager copies it: in quotes
    _type(dlg.folder_edit, f"'{folder}'")
    with qtbot.waitSignal(dlg.loaded, timeout=CT_WORK_WAIT_MS):
        QTest.keyClick(dlg.folder_edit, Qt.Key.Key_Return)
    assert dlg.folder == folder and dlg.landmarks_level == "L3"

    files = [pydicom.dcmread(p, stop_before_pixels=True) for p in sorted(folder.iterdir())]
    z = np.sort([float(f.ImagePositionPatient[2]) for f in files])
    dz = float(np.median(np.diff(z)))
    # the levels the reference mask holds over at least 10 mm, top to bottom (the modelled ones and the sacrum)
    g = totalseg_ct.grid
    def extent_mm(level):
        k = np.nonzero(totalseg_ct.labels == sources.VERTEBRA_LABELS[level])[0]
        return float(np.ptp(k)) * g.spacing_xyz_mm[2] if k.size else 0.0

    held = [lv for lv in (*LEVELS, "S1") if lv in sources.VERTEBRA_LABELS and extent_mm(lv) >= 10.0]
    centre_z = dlg.landmarks["body_centre_mm"][2]
    below, above = centre_z - (z[0] - dz / 2), z[-1] + dz / 2 - centre_z
    text = dlg.coverage.text()
    assert dlg.coverage.isVisible()
    assert text.startswith(f"Series: covers {held[0]} to {held[-1]}"), (held, text)
    assert f", {dz:.1f} mm slices, {files[0].Columns} x {files[0].Rows} x {len(files)} voxels" in text, text
    assert f"covers {below:.0f} mm below and {above:.0f} mm above the target's centre" in text, text
    need = 0.5 * 300.0 * (530.0 + 150.0) / 1020.0
    assert f"renders need {need:.0f} mm each way" in text, text
    assert ("covered" in text) == (min(below, above) >= need - 0.5), text
    # a marker moved: the reach follows the body centre, and the slice views stay where they were (the line keeps
    # its height when its text grows: a view moving under the pointer would spoil a drag)
    views_at = dlg.views.mapTo(dlg, dlg.views.rect().topLeft())
    x, y, zc = dlg.landmarks["body_centre_mm"]
    dlg.set_landmark("body_centre_mm", (x, y, z[-1] + dz / 2 - 20.0))       # 20 mm under the series' top
    text = dlg.coverage.text()
    assert f"the series needs {need - 20:.0f} mm more above" in text, text
    qtbot.wait(50)
    assert dlg.views.mapTo(dlg, dlg.views.rect().topLeft()) == views_at
