"""A body whose back was labelled as pedicle is said at import (ct_plausible.estimated_labels_note; realct-log pass 121
of round 26, turned26).

On the abdominal CT turned -5 and -10 deg, L3's posterior wall was read 6-10 mm forward at the lower threshold step:
the back of the body labelled as two pedicles of 4.4-6.8 mL, body Dice 0.60 and 0.75 against the mask, and no
warning, since the pedicles join the body, sit at its height and behind its centre.  Oracle: a vertebra drawn as
boxes at 1 mm voxels, whose volumes are counted by hand: a 40 x 30 x 24 mm body (28.8 mL), a canal behind it and two
10 x 15 x 14 mm pedicles beside the canal (2.1 mL each: 4.2 of 28.8 mL, 0.146 of the body); then its back 8 mm
relabelled as pedicle, each half to its side (body 40 x 22 x 24 = 21.12 mL, each pedicle 2.1 + 20 x 8 x 24 / 1000 =
3.84 mL more: 11.88 of 21.12 mL, 0.5625).
"""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.grid import Grid
from trainer.core.anatomy.labels import Label
from trainer.core.scenario.ct_plausible import estimated_labels_note

#: x -29.5..29.5, y -29.5..59.5 (posterior +), z -19.5..19.5 mm: the body centre at the origin, as a patient's grid
GRID = Grid((40, 90, 60), (1.0, 1.0, 1.0), (-29.5, -29.5, -19.5))


def _vertebra() -> np.ndarray:
    """The boxes' label volume on :data:`GRID`."""
    x = GRID.axis_mm("x")[None, None, :]
    y = GRID.axis_mm("y")[None, :, None]
    z = GRID.axis_mm("z")[:, None, None]
    labels = np.zeros(GRID.shape, np.uint8)
    labels[(np.abs(z) < 12) & (np.abs(x) < 20) & (np.abs(y) < 15)] = Label.CANCELLOUS
    labels[(np.abs(z) < 12) & (np.abs(x) < 10) & (y > 15) & (y < 30)] = Label.CANAL
    for lo_mm, hi_mm, label in ((-20, -10, Label.PEDICLE_RIGHT), (10, 20, Label.PEDICLE_LEFT)):
        labels[(np.abs(z) < 7) & (x > lo_mm) & (x < hi_mm) & (y > 15) & (y < 30)] = label
    return labels


def test_a_vertebra_whose_pedicles_hold_a_seventh_of_its_body_is_not_judged():
    """Guard: the boxes' pedicles hold 0.146 of the body (the real CTs' good levels: at most 0.18)."""
    assert estimated_labels_note(_vertebra(), GRID, "L3") == ""


def test_the_back_of_the_body_labelled_as_pedicle_is_said():
    labels = _vertebra()
    x = GRID.axis_mm("x")[None, None, :]
    back = (labels == Label.CANCELLOUS) & (GRID.axis_mm("y")[None, :, None] > 7.0)
    labels[back & (x > 0)] = Label.PEDICLE_LEFT        # LPS: +x is the patient's left
    labels[back & (x < 0)] = Label.PEDICLE_RIGHT
    note = estimated_labels_note(labels, GRID, "L3")
    assert "its pedicles hold 0.56 of its body's volume (11.9 of 21.1 mL" in note, note
    assert note.startswith("the estimated landmarks do not label the L3 vertebra"), note
