"""The landmark editor's table before a series is read: no number in it, nothing to type into.

Until round 40 the fresh editor's table showed 0.0 in every coordinate cell, a value an instructor could take
for a measurement.  The cells are read as the window draws them (the spin boxes' text, the items' text).
Oracles: "—" is what the editor shows for "no value" elsewhere (a level not in view); after the read, the
numbers in the cells are those of the synthetic patient the test wrote (its own landmarks, within the
estimate's tolerances of tests/ui/test_ct_landmarks.py).
"""

from __future__ import annotations

import re

import pytest
from qt_input import CT_WORK_WAIT_MS

from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.dicom_io import write_ct_series
from trainer.core.anatomy.params import AnatomyParams
from trainer.ui.ct_landmarks import CTLandmarkDialog

ROWS = ("body_centre_mm", "pedicle_left_centre_mm", "pedicle_right_centre_mm",
        "superior_endplate_z_mm", "inferior_endplate_z_mm")      # the table's rows, top to bottom


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    """(the synthetic L1 patient's landmarks by row, its series folder)."""
    truth = build_patient(AnatomyParams(level="L1", voxel_mm=0.5, seed=7))
    folder = tmp_path_factory.mktemp("blank") / "series"
    write_ct_series(truth.volume, folder, uid_seed="blank-cells")
    lm = truth.landmarks
    true = {"body_centre_mm": lm.body_centre_mm, "pedicle_left_centre_mm": lm.pedicle_left.centre_mm,
            "pedicle_right_centre_mm": lm.pedicle_right.centre_mm,
            "superior_endplate_z_mm": (None, None, lm.superior_endplate_z_mm),
            "inferior_endplate_z_mm": (None, None, lm.inferior_endplate_z_mm)}
    return true, folder


def cells(dlg) -> list[list[str]]:
    """The x, y, z cells' text row by row, as drawn: a spin box's text where the cell holds one."""
    out = []
    for row in range(dlg.table.rowCount()):
        texts = []
        for col in (1, 2, 3):
            widget = dlg.table.cellWidget(row, col)
            texts.append(widget.text() if widget is not None else dlg.table.item(row, col).text())
        out.append(texts)
    return out


def editable_cells(dlg) -> list[tuple[int, int]]:
    return [(r, c) for r in range(dlg.table.rowCount()) for c in (1, 2, 3)
            if dlg.table.cellWidget(r, c) is not None and dlg.table.cellWidget(r, c).isEnabled()]


def test_the_table_shows_dashes_and_takes_no_input_until_a_series_is_read(qtbot, series, tmp_path):
    true, folder = series
    dlg = CTLandmarkDialog(level="L1")
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    assert [dlg.table.item(r, 0).text() for r in range(5)] == ["Body centre", "Left pedicle", "Right pedicle",
                                                                 "Superior endplate", "Inferior endplate"]
    before = cells(dlg)
    assert before == [["—"] * 3] * 5, before                      # no digit anywhere: 0.0 until round 40
    assert [dlg.table.item(r, 4).text() for r in range(5)] == [""] * 5
    assert editable_cells(dlg) == [] and not dlg.table.isEnabled()

    empty = tmp_path / "empty"                                    # a read that fails leaves them so
    empty.mkdir()
    dlg.load(empty)
    qtbot.waitUntil(lambda: "no DICOM files" in dlg.status.text(), timeout=CT_WORK_WAIT_MS)
    assert cells(dlg) == before and editable_cells(dlg) == []

    with qtbot.waitSignal(dlg.loaded, timeout=CT_WORK_WAIT_MS):
        dlg.load(folder)
    after = cells(dlg)
    for row, key in enumerate(ROWS):
        for axis, (text, want) in enumerate(zip(after[row], true[key])):
            if want is None:                                      # an endplate's x and y: no value of its own
                assert text == "—", (key, axis, text)
                continue
            assert re.fullmatch(r"-?\d+\.\d", text), (key, axis, text)
            tol = 2.5 if key.startswith("pedicle") else 1.5
            assert abs(float(text) - float(want)) < tol, (key, axis, text, want)
    assert dlg.table.isEnabled() and len(editable_cells(dlg)) == 3 * 3 + 2
    assert [dlg.table.item(r, 4).text() for r in range(5)] == ["estimated"] * 5
