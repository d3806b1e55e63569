"""The landmark estimate's per-hole numbers (``ct_import._hole_stats``: slice, mean x and y, deepest y of each
hole of the cortex rings) against SciPy's labelled statistics over the whole volume (``ndimage.maximum``,
``ndimage.mean``: what the estimate called before), exactly, on random per-slice holes."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

from trainer.core.anatomy.ct_voxels import PLANE
from trainer.core.scenario.ct_import import _hole_stats


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 31 - 1), shape=st.tuples(st.integers(1, 6), st.integers(2, 30), st.integers(2, 30)),
       fraction=st.floats(0.1, 0.7))
def test_hole_stats_match_scipy(seed, shape, fraction):
    rng = np.random.default_rng(seed)
    lab, n = ndi.label(rng.random(shape) < fraction, structure=PLANE)
    x = np.sort(rng.normal(0.0, 80.0, shape[2]))
    y = -60.0 + 0.7 * np.arange(shape[1])
    k_of, cx, cy, back = _hole_stats(lab, n, x, y)
    ids = np.arange(1, n + 1)
    np.testing.assert_array_equal(k_of[1:], ndi.maximum(np.arange(shape[0])[:, None, None] * np.ones_like(lab[:1]),
                                                        lab, ids))
    np.testing.assert_array_equal(cx[1:], ndi.mean(np.broadcast_to(x[None, None, :], lab.shape), lab, ids))
    np.testing.assert_array_equal(cy[1:], ndi.mean(np.broadcast_to(y[None, :, None], lab.shape), lab, ids))
    np.testing.assert_array_equal(back[1:], ndi.maximum(np.broadcast_to(y[None, :, None], lab.shape), lab, ids))


def test_hole_stats_by_hand():
    """Two holes in slice 1: one of three voxels in row 0 (x 0, 1, 5 mm), one voxel at row 2, x 5 mm."""
    lab = np.zeros((2, 3, 3), np.int32)
    lab[1, 0, :] = 1
    lab[1, 2, 2] = 2
    k_of, cx, cy, back = _hole_stats(lab, 2, np.array([0.0, 1.0, 5.0]), np.array([10.0, 11.0, 12.0]))
    assert list(k_of[1:]) == [1, 1]
    assert cx[1] == 2.0 and cx[2] == 5.0
    assert list(cy[1:]) == [10.0, 12.0] and list(back[1:]) == [10.0, 12.0]
