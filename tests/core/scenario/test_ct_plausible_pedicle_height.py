"""A pedicle labelled on another part of the vertebra, well below its partner, is said at import
(ct_plausible.estimated_labels_note; realct-log pass 135 of round 28, l5turn).

On the abdominal CT turned +5 and +10 deg about its long axis, L5's left pedicle was estimated in the canal or on the
lamina, 17.8-19.8 mm from the mask's (Dice 0.00), 11-24 mm below the right one, and no test of the labels fired: the
pedicle joined the body, the pair sat at the body's height and behind it, and held a normal share of the body.  A
vertebra's two pedicles lie side by side.  Oracle: the boxes of test_ct_plausible_share.py at 1 mm voxels, whose
pedicles (slices z -6.5..+6.5 mm) lie at the body's height; moving the left one 12 mm down (z -18.5..-5.5 mm, kept
joined to the body) puts its centre 12.0 mm below the right's, counted by hand, past half the L3 pedicle height of the level table
(14.0 mm: 7.0 mm).
"""

from __future__ import annotations

import numpy as np
from test_ct_plausible_share import GRID, _vertebra

from trainer.core.anatomy.labels import Label
from trainer.core.scenario.ct_plausible import estimated_labels_note


def _left_pedicle_between(z_lo_mm: float, z_hi_mm: float) -> np.ndarray:
    """The boxes with the left pedicle moved to the slices ``z_lo_mm`` < z < ``z_hi_mm`` (same x, y and slice count)."""
    labels = _vertebra()
    labels[labels == Label.PEDICLE_LEFT] = 0
    z = GRID.axis_mm("z")[:, None, None]
    x = GRID.axis_mm("x")[None, None, :]
    y = GRID.axis_mm("y")[None, :, None]
    labels[(z > z_lo_mm) & (z < z_hi_mm) & (x > 10) & (x < 20) & (y > 15) & (y < 30)] = Label.PEDICLE_LEFT
    assert np.count_nonzero(labels == Label.PEDICLE_LEFT) == np.count_nonzero(labels == Label.PEDICLE_RIGHT)
    return labels


def test_pedicles_side_by_side_are_not_judged():
    """Guard: the boxes' pedicles lie at one height."""
    assert estimated_labels_note(_vertebra(), GRID, "L3") == ""


def test_a_pedicle_labelled_well_below_its_partner_is_said():
    note = estimated_labels_note(_left_pedicle_between(-19.0, -5.0), GRID, "L3")
    assert "its left pedicle's centre lies 12.0 mm below its right's" in note, note
    assert "at most 7.0 mm" in note, note
    assert note.startswith("the estimated landmarks do not label the L3 vertebra"), note


def test_a_small_height_difference_is_not_judged():
    """Guard: the left pedicle 5 mm lower (slices z -11.5..+1.5 mm; under the 7.0 mm limit) warns nothing."""
    assert estimated_labels_note(_left_pedicle_between(-12.0, 2.0), GRID, "L3") == ""
