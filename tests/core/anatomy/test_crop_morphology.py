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
    np.testing.assert_array_equal(dilated(mask, el, iterations), _scipy(ndi.binary_dilation, mask, el, iterations))
    np.testing.assert_array_equal(eroded(mask, el, iterations, border),
                                  _scipy(ndi.binary_erosion, mask, el, iterations, border_value=border))


def _fits(mask, el) -> bool:
    return all(a >= e for a, e in zip(mask.shape, ndi.generate_binary_structure(3, 1).shape if el is None else
                                      el.shape))


def _scipy(op, mask, el, iterations, **kwargs):
    """The oracle: SciPy on the whole array; where the array is smaller than the element along an axis, SciPy's
    one pass ``iterations`` times (its several-pass code corrupts the heap there, scipy issue 11400: round 44's
    CI lost a worker to this very test's oracle)."""
    if _fits(mask, el):
        return op(mask, el, iterations, **kwargs)
    out = mask
    for _ in range(iterations):
        out = op(out, el, 1, **kwargs)
    return out


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2 ** 31 - 1), extra=st.tuples(*[st.integers(0, 6)] * 3), fraction=st.floats(0.05, 0.95),
       name=st.sampled_from(sorted(ELEMENTS)), iterations=st.integers(2, 3), border=st.sampled_from([0, 1]))
def test_passes_one_at_a_time_are_scipys_several_passes(seed, extra, fraction, name, iterations, border):
    """What the oracle above and ``crop_morphology.iterated`` rely on where SciPy's several passes cannot be run:
    on arrays at least the element's size (where they are sound), SciPy's ``iterations=n`` is its one pass n times,
    for dilation and for erosion with either border value."""
    el = ELEMENTS[name]
    full = ndi.generate_binary_structure(3, 1) if el is None else el
    mask = _mask(seed, tuple(e + x for e, x in zip(full.shape, extra)), fraction, False)
    once_d, once_e = mask, mask
    for _ in range(iterations):
        once_d = ndi.binary_dilation(once_d, el, 1)
        once_e = ndi.binary_erosion(once_e, el, 1, border_value=border)
    np.testing.assert_array_equal(once_d, ndi.binary_dilation(mask, el, iterations))
    np.testing.assert_array_equal(once_e, ndi.binary_erosion(mask, el, iterations, border_value=border))


def test_scipys_several_passes_never_run_on_an_array_smaller_than_the_element(monkeypatch):
    """Every SciPy call ``dilated``, ``eroded`` and ``hu.cortical_shell`` make, recorded: none runs several passes
    on an array smaller than its element (the heap corruption above).  The cases are the labelling's own: a slab
    one voxel thick eroded by the 3 x 3 x 3 faces element (the crop to its box is 1 voxel thick), a 2-voxel-thick
    plate eroded with the border as bone, dilated by a 7 x 7 disc in a 5-voxel-wide array, and a bone box two
    slices thick for the cortical shell.  The answers are still SciPy's (one pass at a time, the oracle)."""
    from trainer.core.anatomy import crop_morphology, hu
    from trainer.core.anatomy.labels import Label

    calls = []
    real_d, real_e = ndi.binary_dilation, ndi.binary_erosion

    def spy(real):
        def call(a, structure=None, iterations=1, **kwargs):
            el = ndi.generate_binary_structure(np.ndim(a), 1) if structure is None else np.asarray(structure)
            calls.append((np.shape(a), el.shape, iterations))
            return real(a, structure=structure, iterations=iterations, **kwargs)
        return call

    monkeypatch.setattr(crop_morphology.ndi, "binary_dilation", spy(real_d))
    monkeypatch.setattr(crop_morphology.ndi, "binary_erosion", spy(real_e))
    slab = np.zeros((6, 12, 12), bool)
    slab[2, 2:10, 3:9] = True
    plate = np.zeros((6, 12, 12), bool)
    plate[0:2, :, :] = True
    narrow = np.zeros((3, 5, 12), bool)
    narrow[1, 2, 4] = True
    got = [eroded(slab, None, 2), eroded(plate, None, 3, 1), dilated(narrow, ELEMENTS["disc2.9"], 2)]
    labels = np.full((2, 9, 9), int(Label.SOFT_TISSUE), np.int16)
    labels[:, 2:7, 2:7] = int(Label.CANCELLOUS)
    shell = hu.cortical_shell(labels, spacing_mm=0.5, cortex_mm=1.0)
    assert calls and all(it == 1 or all(a >= e for a, e in zip(shape, el)) for shape, el, it in calls), calls
    monkeypatch.undo()
    np.testing.assert_array_equal(got[0], _scipy(ndi.binary_erosion, slab, None, 2))
    np.testing.assert_array_equal(got[1], _scipy(ndi.binary_erosion, plate, None, 3, border_value=1))
    np.testing.assert_array_equal(got[2], _scipy(ndi.binary_dilation, narrow, ELEMENTS["disc2.9"], 2))
    assert not got[0].any()                       # one voxel thick: nothing survives two passes of the faces element
    bone = labels == int(Label.CANCELLOUS)
    # the bone box is 2 slices thick and its border counts as bone: two passes of the faces element from the
    # sides leave the inner 1 x 1 column, so the shell is the 5 x 5 square less its centre in both slices
    assert shell.sum() == 2 * (25 - 1) and (shell <= bone).all()


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
