"""The landmark editor on the chest CT angiogram (C7 to T12, no vertebra below its lowest ribs): the column
is numbered down from T1 and the status line says so (issue 12).

Oracles: TotalSegmentator's T12 label (its body centre, realct_reference) and what the dialog shows.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources
from qt_input import CT_WORK_WAIT_MS, show_active

from trainer.core.anatomy.ct_spine import LEVEL_ORDER
from trainer.ui.ct_landmarks import CTLandmarkDialog

pytestmark = pytest.mark.slow


def test_editor_numbers_the_angiogram_from_t1_and_estimates_the_reference_t12(qtbot, tmp_path):
    """Before: every box unnumbered and the status asking for the target's body centre.  Now: boxes C7-T12,
    T12 highlighted with no click, its estimated body centre within 3 mm of the reference's, and the status
    line naming the count (from the first rib, counted down from T1)."""
    ct = sources.load("aorta")
    folder = tmp_path / "series"
    sources.write_dicom(ct, folder)
    dlg = CTLandmarkDialog(level="T12")
    qtbot.addWidget(dlg)
    dlg.resize(1400, 900)
    show_active(qtbot, dlg)
    with qtbot.waitSignal(dlg.loaded, timeout=CT_WORK_WAIT_MS):
        dlg.load(folder)
    col = dlg.column
    assert col.certain, col.note
    assert [t.toPlainText() for t in dlg.overview.texts] == list(LEVEL_ORDER[:LEVEL_ORDER.index("T12") + 1])
    status = dlg.status.text()
    assert "T12 is highlighted" in status and "numbered from the first rib" in status
    assert "counted down from T1" in status
    ref = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS["T12"])
    assert np.linalg.norm(np.asarray(dlg.landmarks["body_centre_mm"]) - ref.body_centre_mm) <= 3.0


def test_opened_at_the_menus_l1_the_angiogram_says_which_levels_to_choose(qtbot, tmp_path):
    """Session > Import patient CT opens at L1; on the angiogram (C7 to T12) the status said "choose one of
    those levels", but the Target level box holds only the levels the trainer models (T8 to L5): C7-T7 are not
    there (round 24, the first-use walk).  It now names T8 to T12, and choosing T12 there with the mouse
    estimates the angiogram's T12.  Oracles: the box's own items, TotalSegmentator's T12 body centre (the
    only vertebra the package's angiogram mask labels)."""
    from qt_input import pick_level_with_mouse
    from realct_gui import open_editor

    ct = sources.load("aorta")
    sources.write_dicom(ct, tmp_path / "series")
    dlg = open_editor(qtbot, tmp_path / "series", "L1")
    status = dlg.status.text()
    assert "L1 is not in this series' field of view" in status and "C7 to T12" in status, status
    assert "choose T8 to T12 in Target level" in status, status
    items = [dlg.level_box.itemText(i) for i in range(dlg.level_box.count())]
    assert "T7" not in items and all(lv in items for lv in ("T8", "T9", "T10", "T11", "T12")), items
    with qtbot.waitSignal(dlg.loaded, timeout=CT_WORK_WAIT_MS):
        pick_level_with_mouse(qtbot, dlg.level_box, "T12")
    ref = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS["T12"])
    assert dlg.landmarks_level == "T12"
    assert np.linalg.norm(np.asarray(dlg.landmarks["body_centre_mm"]) - ref.body_centre_mm) <= 3.0
