"""A CT patient read from the patient cache keeps its blood pool (the enhanced lumens the renderer draws as
unenhanced blood, trainer.core.anatomy.ct_blood_pool).

Found in round 28 (docs/realct-log.md, pass 137): ``vptrainer render`` of the same chest T12 scenario gave two AP
pictures (129 / 128 uGy, up to 64 grey levels apart) depending on whether the patient came from the cache that
``import-ct`` fills or was labelled afresh: the cache's format 2 did not store ``Volume.blood_pool``, so the cached
patient drew the contrast-filled aorta enhanced.  Oracle: the hand-made masks put on the patient before it is
cached (a box in the fine volume, a slab in its first context volume, none in the second).
"""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.cache import cached_ct_patient
from trainer.core.anatomy.params import AnatomyParams

META = {"series_sha256": "cd" * 32, "files": 3, "series_uid": "1.2.826.0.1.28", "orientation": "1,0,0,0,1,0"}


def test_the_cached_ct_patient_keeps_each_volumes_blood_pool():
    patient = build_patient(AnatomyParams(level="L1", voxel_mm=1.0, seed=28))
    patient.params = None                               # as a CT patient is
    fine = np.zeros(patient.volume.grid.shape, bool)
    fine[2:5, 3:9, 4:6] = True
    patient.volume.blood_pool = fine
    ctx0 = np.zeros(patient.context[0].grid.shape, bool)
    ctx0[1, :, :2] = True
    patient.context[0].blood_pool = ctx0
    for c in patient.context[1:]:
        c.blood_pool = None
    marks = {"body_centre_mm": (0.0, 0.0, 0.0)}
    built = []

    def label():
        built.append(1)
        return patient

    cached_ct_patient(META, patient.volume.grid, marks, "L1", "round 28 blood pool", label)
    again = cached_ct_patient(META, patient.volume.grid, marks, "L1", "round 28 blood pool", label)
    assert built == [1], "the second call labelled again instead of reading the cache"
    assert again is not patient
    assert again.volume.blood_pool is not None and np.array_equal(again.volume.blood_pool, fine)
    assert np.array_equal(again.context[0].blood_pool, ctx0)
    assert all(c.blood_pool is None for c in again.context[1:])
