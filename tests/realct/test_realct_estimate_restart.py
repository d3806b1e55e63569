"""The landmark estimate's restarts stay in the vertebra the column points at.

When the estimate's body centre lands more than 6 mm in plane off the column's body track, it is started again from
30 % and 70 % of the height between the endplates it found, and the result nearest the track in plane was kept.  On
the abdominal CT with its bone threshold 8 HU above its own (164 instead of 156 HU: another reconstruction of the
same patient, ``benchmarks/ct_threshold_sensitivity.py``) the 70 % restart of L2 started inside the L1/L2 disc and
found plates 15 mm apart about it, 21 mm above the column's point: L2's body 19 mm and its pedicles 22-27 mm off the
mask's; L1's, plates 9 mm apart, left its pedicles 17-19 mm off.  A restart whose centre lies more than 8 mm from the
column's point along z now ranks after those within it (docs/realct-log.md, pass 185).  Oracle: the TotalSegmentator
mask of the same patient (``realct_reference``).  The issue's 3 mm is not met at this threshold (L2's body 6.5 mm off:
the axial estimate's walls at 164 HU); the bound here is a third of a body height, which a landmark of the next
vertebra (27-36 mm away) cannot meet.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources

from trainer.core.anatomy.ct_spine import detect_column
from trainer.core.scenario.ct_import_landmarks import import_landmarks

pytestmark = pytest.mark.slow

#: a third of a lumbar body's height (27-36 mm on this patient's mask): the next vertebra's landmarks lie further
SAME_VERTEBRA_MM = 8.0


@pytest.mark.parametrize("level", ["L1", "L2"])
def test_abdomen_at_a_higher_bone_threshold_keeps_the_estimate_in_its_vertebra(totalseg_ct, level):
    vol = totalseg_ct.volume()
    measured = detect_column(vol).thresholds
    assert measured.bone_hu == pytest.approx(156.1, abs=0.1)        # the stored series' own (the accuracy table's)
    col = detect_column(vol, thresholds=dataclasses.replace(measured, bone_hu=measured.bone_hu + 8.0))
    v = col.find(level)
    ref = reference.measure_ct(totalseg_ct, sources.VERTEBRA_LABELS[level])
    assert v is not None and v.z_bottom_mm <= ref.body_centre_mm[2] <= v.z_top_mm     # numbered as the mask
    lm, _ = import_landmarks(vol, v.body_centre_mm, col.thresholds.bone_hu, level, column=col)
    slice_mm = float(totalseg_ct.grid.spacing_xyz_mm[2])
    assert abs(lm["superior_endplate_z_mm"] - ref.superior_endplate_z_mm) <= slice_mm + 1.0
    assert abs(lm["inferior_endplate_z_mm"] - ref.inferior_endplate_z_mm) <= slice_mm + 1.0
    for key in ("body_centre_mm", "pedicle_left_centre_mm", "pedicle_right_centre_mm"):
        err = float(np.linalg.norm(np.subtract(lm[key], getattr(ref, key))))
        assert err <= SAME_VERTEBRA_MM, (key, round(err, 2))
