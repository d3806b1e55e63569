"""The chest CT at 5 mm (two 2.5 mm slices averaged), T11 and T12 found by the column's numbering with no landmark
given, as ``import-ct --level`` publishes them (benchmarks/ct_accuracy.py's auto rows): their left pedicles meet the
body at the wall the CT reads, not a row or two in front of it nor with a row of bone left to neither.

Oracle: the reference mask (tests/realct/realct_reference.py, measured on the thin slices the 5 mm CT averages; each
5 mm voxel counts the fraction of it the mask's pedicle covers).  At these osteoporotic levels the posterior wall
is open, the body's wall per slice was capped 5 mm in front of the pedicle centres' depth (two rows in front of the
T11 wall the CT's profile reads, labelled pedicle), and the back cortex row between the body's fill and the tube
went to neither (docs/realct-log.md, Passes 125 and 135)."""

from __future__ import annotations

import pytest
import realct_reference as reference
from realct_cases import auto_labels

from trainer.core.anatomy.labels import Label

pytestmark = pytest.mark.slow


def _left_pedicle_dice(chest_5_mm, level: str) -> float:
    ct, col = chest_5_mm
    lab, ref, box, _ = auto_labels(ct, col, level)
    return reference.dice(lab == Label.PEDICLE_LEFT, ref.pedicle_left[box])


def test_5_mm_t12_left_pedicle_dice_reaches_the_bar(chest_5_mm):
    """Issue 12's bar, 0.70 (measured 0.702: slabs -253.75 and -248.75 gain the neurocentral row, half of it the
    mask's).  On fcf7200: ``AssertionError: 0.693``."""
    dice = _left_pedicle_dice(chest_5_mm, "T12")
    assert dice >= 0.70, round(dice, 3)


def test_5_mm_t11_left_pedicle_loses_the_band_in_front_of_the_wall(chest_5_mm):
    """Measured 0.683 (issue 12's 0.70 not reached: the row behind the canal centre and the top slab's rim, Passes
    116 and 125); the band's 35 voxels in slab -223.75 are gone, 2 of them the mask's.  On fcf7200:
    ``AssertionError: 0.668``.  Round 29: 0.716, the row behind the canal centre gone (the bar is
    test_realct_thick_pedicle_end.py's; Pass 144)."""
    dice = _left_pedicle_dice(chest_5_mm, "T11")
    assert dice >= 0.68, round(dice, 3)
