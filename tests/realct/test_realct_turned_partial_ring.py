"""The turned abdomen's estimate does not take a partial ring for the body's front (issue 12; realct-log pass 215 of
round 42, thresh).

The import's estimate reads the body's walls on the hole ``_body_ring`` picks near its start slice: the most
anterior large hole within 8 mm.  The abdominal CT (3 mm) turned -20 deg closes L3's ring at 130 HU on four slices
only, one of them a 441 mm2 hole by the lower plate, 12 mm in front of the 1035-1152 mm2 holes of the body's
middle; it was the front from every start within 8 mm of it, so a start one slice above the column's point put the
body centre 7.6 mm from the mask's (0.6 mm from the column's point), and turned +15 deg L4's came 4.2 mm off with its
right pedicle 8.4 mm off.  A hole under half the largest near the start no longer sets the front.  Oracle: the
TotalSegmentator mask turned the same way (``realct_rotate.turned_reference``).
"""

from __future__ import annotations

import numpy as np
import pytest
from realct_rotate import rotated, turned_import, turned_reference

from trainer.core.anatomy.ct_spine import detect_column
from trainer.core.scenario.ct_import_landmarks import import_landmarks

pytestmark = pytest.mark.slow


def _mm(a, b) -> float:
    return float(np.linalg.norm(np.subtract(a, b)))


def test_turned_l3_from_one_slice_up_lands_on_the_mask(totalseg_ct):
    turned = rotated(totalseg_ct, -20.0, "L3")
    vol = turned.volume()
    col = detect_column(vol)
    v = col.find("L3")
    up = (v.body_centre_mm[0], v.body_centre_mm[1], v.body_centre_mm[2] + float(vol.grid.spacing_xyz_mm[2]))
    lm, _ = import_landmarks(vol, up, col.thresholds.bone_hu, "L3", column=col)
    ref = turned_reference(totalseg_ct, -20.0, "L3", "L3")
    off = _mm(lm["body_centre_mm"], ref.body_centre_mm)
    assert off <= 3.0, f"L3 turned -20 deg from one slice up: body centre {off:.1f} mm from the mask's"  # was 7.6


def test_turned_l4_at_15_deg_body_and_right_pedicle_on_the_mask(totalseg_ct):
    _, _, _, lm = turned_import(totalseg_ct, 15.0, "L4")
    ref = turned_reference(totalseg_ct, 15.0, "L3", "L4")
    body, right = _mm(lm["body_centre_mm"], ref.body_centre_mm), _mm(lm["pedicle_right_centre_mm"],
                                                                     ref.pedicle_right_centre_mm)
    assert body <= 3.0 and right <= 3.0, f"L4 turned +15 deg: body {body:.1f} mm, right pedicle {right:.1f} mm"  # was 4.1, 8.4
