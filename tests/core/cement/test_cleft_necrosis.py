"""A cleft's necrotic territory has no patent veins (docs/cement.md, "Cleft").

Oracles: a hand-built class array whose answer is counted by hand, and the built-in cleft
case's label volume (the reference segmentation) read column by column.
"""

import numpy as np
import pytest

from trainer.core.anatomy.labels import Label
from trainer.core.procedure.cement import CementModel
from trainer.core.procedure.cement.domain import BVEIN, CANC, CLEFT, SVEIN, WALL, crop_to_body, necrotic_veins


def test_veins_under_and_over_a_cleft_are_necrotic_and_others_are_not():
    cls = np.full((6, 4, 5), CANC, np.uint8)          # (z, y, x)
    cls[3, 1, 1:3] = CLEFT                              # a cleft in columns (y=1, x=1) and (y=1, x=2)
    cls[1, 1, 0:5] = BVEIN                              # a vein below it along x: 2 of its 5 voxels under the cleft
    cls[5, 1, 2] = SVEIN                                # a segmental voxel above the cleft's column
    cls[2, 3, 1] = BVEIN                                # a vein voxel next to the cleft's footprint, not in it
    cls[0, 1, 1] = WALL                                 # walls stay walls
    got = necrotic_veins(cls)
    want = np.zeros(cls.shape, bool)
    want[1, 1, 1] = want[1, 1, 2] = want[5, 1, 2] = True
    assert got.sum() == 3
    np.testing.assert_array_equal(got, want)


def test_no_cleft_no_necrosis():
    cls = np.full((3, 3, 3), BVEIN, np.uint8)
    assert not necrotic_veins(cls).any()


@pytest.fixture(scope="module")
def cleft_case():
    from trainer.core.procedure.cement.calibration import patient_of
    p = patient_of("l1-intravertebral-cleft")
    m = CementModel(p, "default", np.random.default_rng(0))
    m.mix(0.0)
    return p, m.domain


def test_the_cleft_case_keeps_no_vein_in_the_cleft_footprint(cleft_case):
    p, dom = cleft_case
    # the reference: the patient's labels, cropped as the domain crops them, column by column
    _, sub, _ = crop_to_body(p.volume.labels, p.volume.hu, p.volume.grid.spacing_zyx_mm, 8.0)
    assert sub.shape == dom.shape
    footprint = (sub == int(Label.CLEFT)).any(axis=0)
    veins = np.isin(sub, [int(Label.BASIVERTEBRAL_VEIN), int(Label.SEGMENTAL_VEIN)])
    expected = int((veins & footprint[None]).sum())
    assert expected > 100                    # the painted basivertebral branches run under the cleft
    assert dom.necrotic_vein_voxels == expected
    cls = dom.cls.reshape(dom.shape)
    assert not (np.isin(cls, [BVEIN, SVEIN]) & footprint[None]).any()
    # the basivertebral trunk behind the cleft, towards the foramen, is still a vein
    assert ((cls == BVEIN) & ~footprint[None]).sum() > 0


def test_a_body_without_a_cleft_keeps_every_vein(phantom):
    m = CementModel(phantom, "default", np.random.default_rng(0))
    m.mix(0.0)
    assert m.domain.necrotic_vein_voxels == 0
    _, sub, _ = crop_to_body(phantom.volume.labels, phantom.volume.hu, phantom.volume.grid.spacing_zyx_mm, 8.0)
    n_veins = int(np.isin(sub, [int(Label.BASIVERTEBRAL_VEIN), int(Label.SEGMENTAL_VEIN)]).sum())
    # every labelled vein voxel of the crop is still a vein (plus any bridging of nutrient channels and
    # the communicating veins opened in cancellous bone, docs/cement.md round 11)
    assert int(np.isin(m.domain.cls, [BVEIN, SVEIN]).sum()) == (n_veins + m.domain.bridged_voxels
                                                                 + m.domain.communicating_voxels)
