"""``dilated`` and ``eroded`` (computed on the mask's bounding box) against SciPy's ``binary_dilation`` and
``binary_erosion`` on the whole array (the oracle), voxel for voxel: random sparse and dense masks, blobs touching
the array's faces, every structuring element the CT labelling uses them with, 1-3 iterations, both border values."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

from trainer.core.anatomy.crop_morphology import dilated, eroded, mask_box
from trainer.core.anatomy.ct_voxels import PLANE, SAGITTAL, disc

ELEMENTS = {"default": None, "plane": PLANE, "sagittal": SAGITTAL, "disc1.5": disc(1.5), "disc2.9": disc(2.9),
            "ball": ndi.generate_binary_structure(3, 3), "even": np.ones((1, 2, 4), bool)}


def _mask(seed, shape, fraction, blob):
    """A random mask: ``blob`` False, noise over the array; True, noise inside a random sub-box (which may touch
    any face of the array or be one voxel)."""
    rng = np.random.default_rng(seed)
    m = rng.random(shape) < fraction
    if blob:
        lo = [int(rng.integers(0, n)) for n in shape]
        hi = [int(rng.integers(a, n)) + 1 for a, n in zip(lo, shape)]
        keep = np.zeros(shape, bool)
        keep[tuple(slice(a, b) for a, b in zip(lo, hi))] = True
        m &= keep
    return m


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2 ** 31 - 1), shape=st.tuples(st.integers(1, 8), st.integers(1, 16), st.integers(1, 16)),
       fraction=st.floats(0.05, 0.95), blob=st.booleans(), name=st.sampled_from(sorted(ELEMENTS)),
       iterations=st.integers(1, 3), border=st.sampled_from([0, 1]))
def test_matches_scipy_on_the_whole_array(seed, shape, fraction, blob, name, iterations, border):
    mask = _mask(seed, shape, fraction, blob)
    el = ELEMENTS[name]
    np.testing.assert_array_equal(dilated(mask, el, iterations), ndi.binary_dilation(mask, el, iterations))
    np.testing.assert_array_equal(eroded(mask, el, iterations, border),
                                  ndi.binary_erosion(mask, el, iterations, border_value=border))


@pytest.mark.parametrize("border", [0, 1])
def test_a_solid_box_at_a_corner_and_in_the_middle(border):
    """A hand case: a solid 4 x 5 x 6 block in an array's corner and one in its middle.  Eroded by the faces
    element with the border as background, the corner block loses its faces toward the array's inside only when
    the border counts as background (its outer faces lie on the border); dilated, the middle block grows one voxel
    on every face (a cross section, not the corners)."""
    a = np.zeros((10, 12, 14), bool)
    a[:4, :5, :6] = True
    a[5:8, 5:9, 6:11] = True
    er = eroded(a, None, 1, border)
    corner = er[:4, :5, :6]
    assert corner.sum() == (3 * 4 * 5 if border == 1 else 2 * 3 * 4)
    assert er[5:8, 5:9, 6:11].sum() == 1 * 2 * 3
    dl = dilated(a, None, 1)
    assert dl[4, 6, 7] and dl[8, 6, 7] and dl[6, 9, 7] and not dl[4, 4, 10]
    np.testing.assert_array_equal(er, ndi.binary_erosion(a, border_value=border))
    np.testing.assert_array_equal(dl, ndi.binary_dilation(a))


def test_empty_mask_and_elements_without_a_centre():
    """An empty mask gives an empty answer; an element without its centre (erosion then reaches beyond the mask)
    still gives SciPy's answer."""
    empty = np.zeros((3, 4, 5), bool)
    assert not dilated(empty, PLANE).any() and not eroded(empty, PLANE, border_value=1).any()
    assert mask_box(empty) is None
    ring = np.ones((1, 3, 3), bool)
    ring[0, 1, 1] = False
    a = np.zeros((3, 7, 7), bool)
    a[1, 2:5, 2:5] = True
    a[1, 3, 3] = False
    np.testing.assert_array_equal(eroded(a, ring), ndi.binary_erosion(a, ring))
    assert eroded(a, ring)[1, 3, 3]                                      # the hole's voxel, outside the mask
    with pytest.raises(ValueError, match="iterations"):
        dilated(a, ring, 0)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2 ** 31 - 1), shape=st.tuples(st.integers(1, 8), st.integers(1, 16), st.integers(1, 16)),
       fraction=st.floats(0.05, 0.7), blob=st.booleans(), diagonal=st.booleans())
def test_pieces_labelled_on_the_box_keep_their_numbers(seed, shape, fraction, blob, diagonal):
    """What ``ct_labels._body`` relies on when it labels the body on its box: SciPy's ``label`` numbers the pieces in
    the order of their first voxel, which a crop to :func:`mask_box` keeps, so the crop's labels are the whole
    array's there (and nothing is labelled outside it)."""
    mask = _mask(seed, shape, fraction, blob)
    el = ndi.generate_binary_structure(3, 2) if diagonal else None
    whole, n = ndi.label(mask, structure=el)
    box = mask_box(mask)
    if box is None:
        assert n == 0
        return
    crop, m = ndi.label(mask[box], structure=el)
    assert m == n
    np.testing.assert_array_equal(crop, whole[box])
    assert whole.sum() == crop.sum()
