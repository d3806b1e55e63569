"""The intra-osseous veins from the central body to the segmental nutrient channels (docs/cement.md, round 11).

Oracles: a hand-built class array whose opened voxels are counted by hand, and the built-in L4 case's
label volume (the reference segmentation): what is opened was cancellous bone there, and it joins the
painted basivertebral radicle to the painted nutrient channel on each side.
"""

import copy

import numpy as np
import pytest
from scipy import ndimage

from trainer.core.anatomy.labels import Label
from trainer.core.procedure.cement.domain import (
    BVEIN,
    CANC,
    SVEIN,
    WALL,
    CementDomain,
    communicating_veins,
    crop_to_body,
)
from trainer.core.scenario.rheology import load_config


def test_hand_built_body_opens_the_straight_cancellous_segment_on_each_side():
    cls = np.full((11, 11, 21), CANC, np.uint8)         # (z, y, x), midline at x = 10
    env = np.ones(cls.shape, bool)
    cls[5, 5, 8:13] = BVEIN                              # the radicles: ends at x = 8 and x = 12
    cls[5, 5, 17:19] = SVEIN                             # left nutrient channel, nearest voxel x = 17
    cls[5, 5, 2:4] = SVEIN                               # right nutrient channel, nearest voxel x = 3
    cls[6, 5, 14] = WALL                                 # a wall voxel beside the left segment stays wall
    env[4, 5, 15] = False                                # and nothing outside the body opens
    got = communicating_veins(cls, env, 10.0)
    # left: centre line x 13-16 (4 voxels; x 12 and 17 are veins already) + the four face neighbours
    # (z +/- 1, y +/- 1) of x 12-17 (24) - the wall voxel - the voxel outside the envelope = 26;
    # right: x 4-7 (4) + the four neighbours of x 3-8 (24) = 28
    assert int(got.sum()) == 26 + 28
    assert not got[6, 5, 14] and not got[4, 5, 15] and got[5, 5, 13:17].all() and got[5, 5, 4:8].all()
    assert not got[:, :, 9:12].any()                     # nothing opened across the midline hub
    assert np.array_equal(cls == SVEIN, np.isin(np.arange(21), [2, 3, 17, 18])[None, None, :]
                          & (np.arange(11) == 5)[:, None, None] & (np.arange(11) == 5)[None, :, None])  # input untouched


def test_no_basivertebral_or_no_segmental_vein_opens_nothing():
    cls = np.full((5, 5, 9), CANC, np.uint8)
    cls[2, 2, 7] = SVEIN
    assert not communicating_veins(cls, np.ones(cls.shape, bool), 4.0).any()
    cls[2, 2, 7] = BVEIN
    assert not communicating_veins(cls, np.ones(cls.shape, bool), 4.0).any()


@pytest.fixture(scope="module")
def l4():
    from trainer.core.procedure.cement.calibration import patient_of
    p = patient_of("l4-wide-pedicles")
    on = CementDomain(p, load_config())
    cfg = copy.deepcopy(load_config())
    cfg["flow"]["communicating_veins"] = 0
    off = CementDomain(p, cfg)
    return p, on, off


def _joined_sides(dom) -> int:
    """How many 6-connected segmental-vein pieces inside the body touch the basivertebral vein."""
    cls = dom.cls.reshape(dom.shape)
    sv = (cls == SVEIN) & dom.envelope.reshape(dom.shape)
    lab, n = ndimage.label(sv)
    near_b = ndimage.binary_dilation(cls == BVEIN)
    return len(set(np.unique(lab[near_b & sv])) - {0})


def test_the_l4_body_drains_its_centre_to_both_segmental_veins(l4):
    p, on, off = l4
    _, sub, _ = crop_to_body(p.volume.labels, p.volume.hu, p.volume.grid.spacing_zyx_mm, 8.0)
    opened = (on.cls != off.cls).reshape(on.shape)
    assert int(opened.sum()) == on.communicating_voxels > 0 and off.communicating_voxels == 0
    # only cancellous bone of the reference segmentation is opened, and only to segmental vein
    assert (sub[opened] == int(Label.CANCELLOUS)).all()
    assert (on.cls.reshape(on.shape)[opened] == SVEIN).all()
    # without it the nutrient channels end under the lateral cortex, apart from the radicles; with it
    # the central body is joined to the channel on both sides
    assert _joined_sides(off) == 0
    assert _joined_sides(on) == 2
    x = on.x_mm[np.nonzero(opened)[2]] - float(p.landmarks.body_centre_mm[0])
    assert (x > 0).any() and (x < 0).any()
