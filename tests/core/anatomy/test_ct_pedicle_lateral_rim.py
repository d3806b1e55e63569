"""The pedicle's lateral cortex voxel at coarse voxels (ct_labels._pedicle_lateral_rim), on arrays worked by hand.

Oracle: the rule read off the voxels by hand: an unlabelled voxel in the next column away from the midline (+x for
the left pedicle, -x for the right) of a pedicle voxel, reading at least ct_labels.CORNER_MIN_HU (140 HU), becomes
that pedicle's; nothing else changes (docs/realct-log.md Pass 145)."""

import numpy as np

from trainer.core.anatomy.ct_labels import CORNER_MIN_HU, _pedicle_lateral_rim
from trainer.core.anatomy.labels import Label

L, R = int(Label.PEDICLE_LEFT), int(Label.PEDICLE_RIGHT)


def test_one_dense_voxel_beside_each_pedicle_away_from_the_midline():
    # one slice, one row, x index 0..8 (x grows to the patient's left): right pedicle at 2, left at 6
    labels = np.zeros((1, 1, 9), np.uint8)
    labels[0, 0, 2], labels[0, 0, 6] = R, L
    hu = np.full((1, 1, 9), 300.0)
    _pedicle_lateral_rim(labels, hu)
    # by hand: the right pedicle's lateral neighbour is x index 1, the left's 7; one voxel only (0 and 8 stay),
    # and the medial neighbours (3, 5) stay unlabelled whatever they read
    assert labels[0, 0].tolist() == [0, R, R, 0, 0, 0, L, L, 0]


def test_a_voxel_under_the_bound_or_already_labelled_is_not_taken():
    labels = np.zeros((1, 2, 5), np.uint8)
    labels[0, :, 2] = L
    labels[0, 1, 3] = int(Label.POSTERIOR_ELEMENTS)
    hu = np.full((1, 2, 5), 300.0)
    hu[0, 0, 3] = CORNER_MIN_HU - 1.0          # soft tissue's side of the bound: left out
    _pedicle_lateral_rim(labels, hu)
    assert labels[0, 0].tolist() == [0, 0, L, 0, 0]
    assert labels[0, 1].tolist() == [0, 0, L, int(Label.POSTERIOR_ELEMENTS), 0]
    labels[0, 0, 3] = 0
    hu[0, 0, 3] = CORNER_MIN_HU                # at the bound: taken
    _pedicle_lateral_rim(labels, hu)
    assert labels[0, 0, 3] == L
