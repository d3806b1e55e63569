"""A pedicle labelled on one row of the body's back is said at import (ct_plausible.MIN_PEDICLE_DEPTH_MM;
realct-log pass 149 of round 30, warn30).

On the abdominal CT turned -5 deg (L3) and +15 deg (L5), the labelling took one 3 mm row at the body's back for each
pedicle (labels reaching 3.0 mm front to back; pedicle Dice 0.57 / 0.17 and 0.00 / 0.29 against the turned mask,
body Dice 0.77 both) and no test of the labels fired: the pedicles joined the body, sat at its height and behind it,
side by side, and held a normal share of it.  A pedicle runs from the body's back to the lamina.  Oracle: the boxes
of test_ct_plausible_share.py at 1 mm voxels, whose pedicles reach 15 mm front to back (y 15..30 mm, counted by
hand: 15 voxels); the left one cut to the voxels 15 < y < 18 mm (3 voxels, 3.0 mm; 3 x 10 x 14 = 420 mm3, over the
labelling's 300 mm3, and still joined to the body) must be said, cut to 15 < y < 20 mm (5 voxels, 5.0 mm; over the
4.5 mm bound) must not.
"""

from __future__ import annotations

import numpy as np
from test_ct_plausible_share import GRID, _vertebra

from trainer.core.anatomy.labels import Label
from trainer.core.scenario.ct_plausible import estimated_labels_note, pedicle_depths_mm


def _left_pedicle_to(y_hi_mm: float) -> np.ndarray:
    """The boxes with the left pedicle kept only in front of ``y_hi_mm`` (its voxels 15 < y < ``y_hi_mm`` mm)."""
    labels = _vertebra()
    y = GRID.axis_mm("y")[None, :, None]
    labels[(labels == Label.PEDICLE_LEFT) & (y > y_hi_mm)] = 0
    return labels


def test_the_boxes_pedicles_reach_fifteen_mm():
    """Guard: the boxes' pedicles, 15 voxels of 1 mm front to back, warn nothing."""
    assert pedicle_depths_mm(_vertebra(), GRID) == {"left": 15.0, "right": 15.0}
    assert estimated_labels_note(_vertebra(), GRID, "L3") == ""


def test_a_pedicle_labelled_on_one_row_is_said():
    labels = _left_pedicle_to(18.0)
    assert np.count_nonzero(labels == Label.PEDICLE_LEFT) == 420
    note = estimated_labels_note(labels, GRID, "L3")
    assert "its left pedicle's label reaches 3.0 mm front to back" in note, note
    assert "right pedicle" not in note and "at least 4.5 mm" in note, note
    assert note.startswith("the estimated landmarks do not label the L3 vertebra"), note


def test_a_pedicle_of_five_mm_is_not_judged():
    """Guard: the left pedicle cut to 5 voxels (5.0 mm, over the 4.5 mm bound) warns nothing."""
    assert pedicle_depths_mm(_left_pedicle_to(20.0), GRID)["left"] == 5.0
    assert estimated_labels_note(_left_pedicle_to(20.0), GRID, "L3") == ""
