"""The labels do not hang on the last digits of the landmarks the scenario file holds (issue 12; pass 154).

``import-ct`` writes the landmarks to 0.1 mm.  On the abdominal CT (3 mm voxels) the L3 body centre as written lay
0.002 mm from the midpoint of two slices: the whole landmark set moved up by 0.025 mm labelled a body of 8 mL
(Dice 0.33 against the TotalSegmentator mask) where the file's own landmarks labelled 38 mL (0.96), because the
body's section was taken on whichever slice was nearer.  Each of these labellings is scored against the mask.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources

from trainer.core.anatomy.ct_patient import patient_from_ct
from trainer.core.anatomy.labels import body_mask
from trainer.core.scenario.ct_import import landmarks_as_written
from trainer.core.scenario.ct_import_landmarks import import_landmarks


def _moved(lm: dict, dz_mm: float) -> dict:
    return {k: (tuple(np.add(v, (0.0, 0.0, dz_mm))) if np.ndim(v) else float(v) + dz_mm) for k, v in lm.items()}


@pytest.mark.parametrize("dz_mm", [0.0, -0.025, 0.025])
def test_abdominal_l3_body_whichever_slice_is_nearer(totalseg_ct, dz_mm):
    col = sources.column(totalseg_ct)
    vol = totalseg_ct.volume()
    lm, _ = import_landmarks(vol, col.find("L3").body_centre_mm, col.thresholds.bone_hu, "L3", column=col)
    lm = _moved(landmarks_as_written(dict(lm)), dz_mm)
    patient = patient_from_ct(vol, lm, "L3", column=col)
    ref = reference.measure_ct(totalseg_ct, sources.VERTEBRA_LABELS["L3"])
    k, j, i = np.nonzero(totalseg_ct.labels == sources.VERTEBRA_LABELS["L3"])
    box = tuple(slice(max(0, a.min() - 3), min(n, a.max() + 4)) for a, n in zip((k, j, i), totalseg_ct.labels.shape))
    ours = reference.labels_on_ct(patient, lm["body_centre_mm"], totalseg_ct.grid, box)
    body = body_mask(ours)
    assert reference.dice(body, ref.body[box]) >= 0.85
