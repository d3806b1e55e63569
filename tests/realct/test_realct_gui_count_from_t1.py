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
