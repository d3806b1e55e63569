"""The tilted L5 estimated in its own frame (issue 12, round 13, docs/realct-log.md "The tilted
L5, twenty-fifth pass").

The abdominal CT's L5 sits in the lordosis, its endplates about 30 deg to the axial plane; in axial
slices the endplate search's 4 x 4 mm patch blurs them across slices and the body centre came out
4.7 mm below the body's centroid.  ``estimate_near`` now estimates the centre again in the CT turned
so that the plates lie level, where they tilt :data:`~trainer.core.scenario.ct_import._TILTED_DEG`
or more.  Oracles: the reference TotalSegmentator mask (its plates' inclination, its body's centroid,
its body part), independent of the estimate and the labels.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources
from test_realct_expert_tilt import reference_plate_inclination_deg

from trainer.core.anatomy.ct_patient import patient_from_ct
from trainer.core.anatomy.labels import body_mask
from trainer.core.scenario.ct_import import _TILTED_DEG, _estimate_axial, estimate_near, plate_tilt_deg

LEVELS = ("L1", "L2", "L3", "L4", "L5")


@pytest.fixture(scope="module")
def col(totalseg_ct):
    return sources.column(totalseg_ct)


def test_the_own_frame_is_used_where_the_masks_plates_tilt(totalseg_ct, col):
    """The plate tilt, measured as estimate_near does (on its axial estimate, as import-ct makes it
    with no landmark given), is over the threshold at L5 only, as the mask's inclination is (32 deg at
    L5; -9 to 11 deg at L1-L4), and at L5 within 5 deg of the mask's (measured: 30.3 deg)."""
    for level in LEVELS:
        e = _estimate_axial(totalseg_ct.volume(), col.find(level).body_centre_mm, col.thresholds.bone_hu, True)
        ours = plate_tilt_deg(totalseg_ct.volume(), e, col.thresholds.bone_hu)
        mask = reference_plate_inclination_deg(totalseg_ct, level)
        assert (abs(ours) >= _TILTED_DEG) == (abs(mask) >= _TILTED_DEG), (level, ours, mask)
        if level == "L5":
            assert abs(ours - mask) <= 5.0, (ours, mask)


def test_l5_labelled_from_its_own_frames_centre_overlaps_the_mask(totalseg_ct, col):
    """With no landmark given, L5's body centre lies within 3 mm of the mask body's centroid (4.7 mm
    in axial slices) and the body labelled round it overlaps the mask's body part with Dice >= 0.80
    (0.70 from the axial centre; measured 0.84, and 0.86 since the body is labelled as the tilted prism it is,
    test_realct_tilted_body.py; issue 12 asks 0.85)."""
    lm = estimate_near(totalseg_ct.volume(), col.find("L5").body_centre_mm, col.thresholds.bone_hu)
    label = sources.VERTEBRA_LABELS["L5"]
    ref = reference.measure_ct(totalseg_ct, label)
    assert np.linalg.norm(np.subtract(lm["body_centre_mm"], ref.body_centre_mm)) <= 3.0
    patient = patient_from_ct(totalseg_ct.volume(), lm, "L5")
    k, j, i = np.nonzero(totalseg_ct.labels == label)
    box = tuple(slice(max(0, a.min() - 3), a.max() + 4) for a in (k, j, i))
    lab = reference.labels_on_ct(patient, lm["body_centre_mm"], totalseg_ct.grid, box)
    assert reference.dice(body_mask(lab), ref.body[box]) >= 0.80
