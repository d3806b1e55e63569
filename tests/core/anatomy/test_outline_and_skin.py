"""``ct_voxels.outline_and_skin``: the body's outline and its skin, made once per fine box for all of a labelling's
bone-threshold steps (round 45, docs/realct-log.md pass 230).  Oracle: a slice drawn by hand (body in front of
air behind the back; the skin the outline's outer 2 mm counted voxel by voxel, none along the box's faces)."""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.ct_voxels import outline_and_skin


def _hu_slice() -> np.ndarray:
    """10 rows (y, front to back) x 8 columns (x): soft tissue (40 HU) in rows 0-6, air (-1000) behind."""
    hu = np.full((10, 8), 40.0)
    hu[7:, :] = -1000.0
    hu[3, 3] = -700.0            # a lung voxel inside: in the outline (a hole), not skin
    return hu


def test_the_skin_is_the_outlines_back_rows_at_its_depth_and_never_the_box_faces():
    hu = _hu_slice()
    outline, skin = outline_and_skin(hu[None], voxel_mm=1.0)        # 2 mm of skin: two rows of 1 mm voxels
    assert outline[0, :7].all() and not outline[0, 7:].any()
    expected = np.zeros((10, 8), bool)
    expected[5:7, :] = True                                         # rows 5 and 6 in front of the air
    assert np.array_equal(skin[0], expected)
    _, skin_coarse = outline_and_skin(hu[None], voxel_mm=3.0)       # under a voxel of skin: still one row
    expected_coarse = np.zeros((10, 8), bool)
    expected_coarse[6, :] = True
    assert np.array_equal(skin_coarse[0], expected_coarse)


def test_the_outline_follows_the_hu_given():
    hu = _hu_slice()
    hu[4:7, 6:] = -1000.0                      # air reaching in from the back at the right: outside, its rim skin
    outline, skin = outline_and_skin(hu[None], voxel_mm=1.0)
    assert not outline[0, 4:7, 6:].any()
    assert skin[0, 2:4, 6:].all() and skin[0, 4:7, 4:6].all()
