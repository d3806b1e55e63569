"""A pedicle label lying partly on soft tissue is said at import (ct_plausible.MAX_PEDICLE_SOFT_FRACTION; realct-log
pass 149 of round 30, warn30).

On the abdominal CT turned -15 deg, L3, L4 and L5 were labelled with pedicles on the facets or across the foramen
(centres 4.0-15.0 mm from the turned mask's, pedicle Dice 0.11-0.33) and no test of the labels fired; 0.16-0.24 of a
pedicle label's voxels there are under a third of the body's median HU, where every good level holds at most 0.049.
Oracle: the boxes of test_ct_plausible_share.py at 1 mm voxels given CT numbers by hand: body 150 HU (its median; a
third of it 50 HU), pedicles 400 HU, the rest 20 HU.  The left pedicle reaches 15 voxel rows front to back (y 15..30
mm); its back 3 rows (y > 27 mm) set to 20 HU make 3 / 15 = 0.20 of it soft tissue (said), its back row alone
1 / 15 = 0.067 (not said); without CT numbers the test does not run.
"""

from __future__ import annotations

import numpy as np
from test_ct_plausible_share import GRID, _vertebra

from trainer.core.anatomy.labels import Label
from trainer.core.scenario.ct_plausible import estimated_labels_note, pedicle_soft_fractions


def _hu(labels: np.ndarray, soft_from_y_mm: float | None = None) -> np.ndarray:
    """The boxes' CT numbers (HU): body 150, pedicles 400, the rest 20; the left pedicle's voxels behind
    ``soft_from_y_mm`` 20 HU too."""
    hu = np.full(GRID.shape, 20, np.int16)
    hu[np.isin(labels, [Label.CANCELLOUS, Label.BODY_CORTEX])] = 150
    hu[np.isin(labels, [Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT])] = 400
    if soft_from_y_mm is not None:
        y = GRID.axis_mm("y")[None, :, None]
        hu[(labels == Label.PEDICLE_LEFT) & (y > soft_from_y_mm)] = 20
    return hu


def test_pedicles_of_bone_are_not_judged():
    """Guard: the boxes' pedicles, all 400 HU, hold no soft tissue."""
    labels = _vertebra()
    assert pedicle_soft_fractions(labels, _hu(labels)) == {"left": 0.0, "right": 0.0}
    assert estimated_labels_note(labels, GRID, "L3", hu=_hu(labels)) == ""


def test_a_pedicle_a_fifth_soft_tissue_is_said():
    labels = _vertebra()
    hu = _hu(labels, 27.0)
    assert abs(pedicle_soft_fractions(labels, hu)["left"] - 0.2) < 1e-9
    note = estimated_labels_note(labels, GRID, "L3", hu=hu)
    assert "soft tissue (under a third of its body's median HU) fills 0.20 of its left pedicle's label" in note, note
    assert "right pedicle" not in note and "at most 0.1" in note, note
    assert note.startswith("the estimated landmarks do not label the L3 vertebra"), note
    assert estimated_labels_note(labels, GRID, "L3") == ""          # no CT numbers: not judged


def test_one_soft_row_of_fifteen_is_not_judged():
    """Guard: the left pedicle's back row only (1 / 15 = 0.067, under the 0.1 bound) warns nothing."""
    labels = _vertebra()
    hu = _hu(labels, 29.0)
    assert abs(pedicle_soft_fractions(labels, hu)["left"] - 1.0 / 15.0) < 1e-9
    assert estimated_labels_note(labels, GRID, "L3", hu=hu) == ""
