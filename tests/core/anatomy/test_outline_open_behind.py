"""``ct_voxels.outline_open_behind``: a box's sides and front lie inside the body, only its back beyond the skin
(round 42, pass 219).  Oracle: a slice drawn by hand (a back wall of skin, a lung open to the box's left side, a
hole in the middle, air behind the skin), and SciPy's ``binary_fill_holes`` on the slice with the box's sides and
front padded with body."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy.ct_voxels import outline_open_behind


def _slice() -> np.ndarray:
    """12 rows (y, front to back) x 10 columns (x) of body, a lung cut by the left side, a closed hole, air behind."""
    s = np.ones((12, 10), bool)
    s[9:, :] = False             # air behind the back's skin (rows 9-11)
    s[2:6, 0:3] = False          # a lung open to the box's left side
    s[4:6, 5:7] = False          # a hole inside the body
    return s


def test_a_region_open_to_the_side_is_inside_and_the_air_behind_is_outside():
    s = _slice()
    out = outline_open_behind(s[None])[0]
    assert out[:9].all()                       # the lung and the hole inside the outline (before: the lung outside)
    assert not out[9:].any()                   # the air behind the back stays outside
    padded = np.pad(s, ((1, 0), (1, 1)), constant_values=True)      # the front and sides body, the back open
    assert np.array_equal(out, ndi.binary_fill_holes(padded)[1:, 1:-1])


def test_each_slice_is_filled_on_its_own():
    s = _slice()
    t = np.ones_like(s)
    t[6:8, 4:6] = False          # a pocket behind which air reaches in the next slice: nothing across slices
    t[8:, 4:6] = False
    out = outline_open_behind(np.stack([s, t]))
    assert out[0, :9].all() and not out[1, 6:, 4:6].any()
