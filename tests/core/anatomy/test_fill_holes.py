"""``fill_holes`` against SciPy's ``binary_fill_holes`` (the oracle: an independent algorithm, the border
dilated inwards until nothing changes), voxel for voxel, on random masks and every structuring element the
CT modules fill with."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

from trainer.core.anatomy.ct_spine import _PLANE4
from trainer.core.anatomy.ct_voxels import PLANE, PLANE_DIAGONAL, SAGITTAL
from trainer.core.anatomy.fill_holes import fill_holes

ELEMENTS_3D = {"default": None, "plane": PLANE, "plane4": _PLANE4, "sagittal": SAGITTAL,
               "plane_diagonal": PLANE_DIAGONAL, "full": np.ones((3, 3, 3), bool)}
ELEMENTS_2D = {"default": None, "full": np.ones((3, 3), bool)}


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2 ** 31 - 1), shape=st.tuples(st.integers(1, 9), st.integers(1, 14), st.integers(1, 14)),
       fraction=st.floats(0.2, 0.8), name=st.sampled_from(sorted(ELEMENTS_3D)))
def test_3d_masks_match_scipy(seed, shape, fraction, name):
    mask = np.random.default_rng(seed).random(shape) < fraction
    st_ = ELEMENTS_3D[name]
    np.testing.assert_array_equal(fill_holes(mask, st_), ndi.binary_fill_holes(mask, structure=st_))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 31 - 1), shape=st.tuples(st.integers(1, 20), st.integers(1, 20)),
       fraction=st.floats(0.2, 0.8), name=st.sampled_from(sorted(ELEMENTS_2D)))
def test_2d_masks_match_scipy(seed, shape, fraction, name):
    mask = np.random.default_rng(seed).random(shape) < fraction
    st_ = ELEMENTS_2D[name]
    np.testing.assert_array_equal(fill_holes(mask, st_), ndi.binary_fill_holes(mask, structure=st_))


def test_ring_per_slice_is_filled_only_in_plane():
    """A hand case: a square ring in the middle slice is filled; the in-plane element does not let the
    empty slices above and below reach its hole, the default (faces) element does not either (the ring's
    hole touches the empty slices through its faces: not a hole in 3-D)."""
    mask = np.zeros((3, 7, 7), bool)
    mask[1, 1:6, 1:6] = True
    mask[1, 2:5, 2:5] = False
    filled = fill_holes(mask, PLANE)
    assert filled[1, 2:5, 2:5].all() and filled.sum() == 25
    assert fill_holes(mask).sum() == 16


@pytest.mark.parametrize("name", sorted(ELEMENTS_3D))
def test_pooled_body_like_mask_matches_scipy(name):
    """A body-sized mask (an ellipse with holes per slice, open at the top) on the pooled series' scale."""
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:120, 0:150]
    body = ((xx - 75) / 60.0) ** 2 + ((yy - 60) / 45.0) ** 2 <= 1.0
    mask = np.repeat(body[None], 12, axis=0) & (rng.random((12, 120, 150)) > 0.3)
    st_ = ELEMENTS_3D[name]
    np.testing.assert_array_equal(fill_holes(mask, st_), ndi.binary_fill_holes(mask, structure=st_))
