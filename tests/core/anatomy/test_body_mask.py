"""``labels.body_mask``: the target body is its cortex and its cancellous core, nothing else (by hand)."""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.labels import Label, body_mask


def test_body_mask_is_cortex_and_cancellous_only():
    values = np.array([[int(v) for v in Label]], np.uint8)      # every label once, in a 2-D slice
    got = body_mask(values)
    assert got.shape == values.shape and got.dtype == bool
    names = {Label(int(v)).name for v in values[got]}
    assert names == {"BODY_CORTEX", "CANCELLOUS"}               # not the cleft, the veins or the pedicles


def test_body_mask_keeps_the_volume_shape():
    vol = np.zeros((2, 3, 4), np.uint8)
    vol[1, 2, 3] = Label.CANCELLOUS
    vol[0, 0, 0] = Label.BODY_CORTEX
    vol[0, 1, 1] = Label.PEDICLE_LEFT
    assert np.argwhere(body_mask(vol)).tolist() == [[0, 0, 0], [1, 2, 3]]
