"""A body labelled as an open ring's arc, not a filled section, is said at import (ct_plausible.estimated_labels_note;
realct-log pass 108 of round 25).

On the abdominal CT turned a few degrees a thin cortical ring broke open at the labelling's threshold and one wall's
arc was kept as the body (L1 turned -10, -5 and +5 deg: body Dice 0.11, 0.39 and 0.46 against the mask).  Since
pass 193 those levels are labelled at a lower threshold step and on the mask's body (tests/realct/
test_realct_turned_body.py), so the rule is checked here on a drawn vertebra.  Oracle: boxes at 1 mm voxels counted by
hand: a 40 x 30 x 24 mm body, a canal behind it and two 10 x 15 x 14 mm pedicles (2.1 mL each); then the body
emptied to a C: its 5 mm walls on the front, back and left side only (x -19.5 ... 19.5, y -14.5 ... 14.5 mm), a
section of 40 x 30 - 30 x 20 - 5 x 20 = 500 voxels (12.0 mL over 24 slices, more than the 8 mL the volume test
asks), 40 mm wide, filling 500 of the 40 x 30 = 1200 voxels its outline holds: under the 0.7 a filled body's
section reaches.
"""

from __future__ import annotations

import numpy as np
from test_ct_plausible_share import GRID, _vertebra

from trainer.core.anatomy.labels import Label
from trainer.core.scenario.ct_plausible import estimated_labels_note


def test_a_filled_body_section_is_not_judged():
    """Guard: the boxes' body is filled (its section fills its outline)."""
    assert estimated_labels_note(_vertebra(), GRID, "L3") == ""


def test_a_body_left_as_an_open_ring_is_said():
    labels = _vertebra()
    x = GRID.axis_mm("x")[None, None, :]
    y = GRID.axis_mm("y")[None, :, None]
    body = labels == Label.CANCELLOUS
    inside = (np.abs(x) < 15) & (np.abs(y) < 10)              # the hole: 30 x 20 mm
    right_wall = (x > 15) & (np.abs(y) < 10)                  # the ring opened on its right: 5 x 20 mm
    labels[body & (inside | right_wall)] = Label.MUSCLE
    kept = (labels == Label.CANCELLOUS)[20]
    assert kept.sum() == 40 * 30 - 30 * 20 - 5 * 20           # the hand count: 500 voxels in the centre slice
    note = estimated_labels_note(labels, GRID, "L3")
    assert note.startswith("the estimated landmarks do not label the L3 vertebra: its body's section through the "
                           "centre is 40 mm wide and fills 0."), note
    fill = float(note.split("fills ")[1].split(" ")[0])
    assert fill <= 500 / 1200 + 0.01, note                    # no more than the voxels over the outline's
