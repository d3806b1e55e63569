"""The review's 3-D view paints red only the cement the debrief calls a leak.

Round 22, a resident on the real abdominal L3 (entry clicked left of the spinous process, 7 deg medial
and 7 deg caudal, 115 mm deep, 3.5 mL): the debrief said "leaks: none" and its cuts had no red, but the
review's 3-D view showed a red "leak" cluster at the front of the cement.  The view painted every
cement voxel outside the body's interior red, and four of them lay in the body's cortical wall (class
WALL), which the cement model books as cement in bone, not as a leak.

Driven as the resident did, with real key presses (pytest-qt): the place action recorded in that
session, laid on the image by a click and the arrow keys (GuiDriver.place_on_line), 23 presses of A,
M, W to the working phase, 14 presses of I, Ctrl+Return, then the review button.
Oracle: the cement model's own leak voxels (``leak_voxels_kji``, what the debrief's table and cuts
report) and its occupied voxels.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from realct_gui import imported_ct_window, proceed_and_align, review_final_moment

from trainer.core.procedure.cement.domain import WALL

pytestmark = pytest.mark.slow

#: the resident's place action on the abdominal L3 (session of round 22, patient mm)
PLACE = {"type": "place", "side": "left", "gauge": 11, "length_mm": 120.0,
         "entry_mm": [16.356, 42.429, 12.154], "target_mm": [11.965, 6.668, 7.731]}


def test_cement_in_the_cortical_wall_is_not_painted_as_a_leak(qtbot, totalseg_series, tmp_path):
    w, d = imported_ct_window(qtbot, totalseg_series, "L3", tmp_path)
    proceed_and_align(w, d)
    assert d.place_on_line(PLACE)
    for _ in range(23):
        d.key(Qt.Key.Key_A)
        d.idle()
    d.mix_and_wait("working")
    for _ in range(14):
        d.key(Qt.Key.Key_I)
        d.idle()
    d.finish()
    assert "leaks: none" in w.debrief.summary.text()               # the debrief: no leak
    review, moment = review_final_moment(w, d)
    c = review._replayer.proc.cement                     # the replayed procedure at the final moment
    flat = c.flow.occupied()
    in_wall = int(np.count_nonzero(c.domain.cls[flat] == WALL))
    assert in_wall > 0, "the case no longer puts cement in the cortical wall: the test needs another line"
    assert c.leaked_ml == 0.0 and len(c.leak_voxels_kji()) == 0 and not c.leaks   # booked: no leak
    state = moment.state                              # what the 3-D view draws
    assert len(state.leak_mm) == 0, f"{len(state.leak_mm)} voxels painted as a leak, none booked"
    assert len(state.cement_mm) == flat.size            # the wall's cement is drawn as cement
    w.close()
