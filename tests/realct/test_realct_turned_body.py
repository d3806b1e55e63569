"""The turned abdomen's L1: its body labelled where the mask has it, not one wall's arc (issue 12; realct-log pass 106
of round 25, turned).

Since pass 104 (round 24) the abdominal CT (3 mm) turned -10 and -5 deg about the long axis gives L1 the mask's
endplates and a body centre within 3.1 mm of the mask's, yet its labelled body was one arc of the open cortical ring
(body Dice 0.11 and 0.39): at the first threshold step the ring is broken and only the right wall was kept (6.3 and
9.9 mL), and at the next one the body's half-width was read on a 3 mm trabecular blob at the centre row (0 mm), so
only the midline column was kept.  Oracle: the TotalSegmentator mask turned the same way
(``realct_rotate.turned_reference``): the body labelled from what ``import-ct --level`` estimates, sampled on the CT
grid, against the mask's body (Dice).
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources
from realct_rotate import rotated, turned_reference

from trainer.core.anatomy.ct_patient import patient_from_ct
from trainer.core.anatomy.ct_spine import detect_column
from trainer.core.anatomy.labels import Label
from trainer.core.scenario.ct_import_landmarks import import_landmarks

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("angle_deg", [-10.0, -5.0])
def test_turned_l1_body_is_labelled_where_the_mask_has_it(totalseg_ct, angle_deg):
    ct = rotated(totalseg_ct, angle_deg, "L3")
    vol = ct.volume()
    col = detect_column(vol)
    v = col.find("L1")
    assert v is not None, col.note
    lm, _, _ = import_landmarks(vol, v.body_centre_mm, col.thresholds.bone_hu, "L1", column=col)
    patient = patient_from_ct(vol, lm, "L1", column=col)
    k, j, i = np.nonzero(ct.labels == sources.VERTEBRA_LABELS["L1"])
    box = tuple(slice(max(0, a.min() - 3), min(n, a.max() + 4)) for a, n in zip((k, j, i), ct.labels.shape))
    lab = reference.labels_on_ct(patient, lm["body_centre_mm"], ct.grid, box)
    body = np.isin(lab, [Label.BODY_CORTEX, Label.CANCELLOUS])
    ref = turned_reference(totalseg_ct, angle_deg, "L3", "L1")
    dice = reference.dice(body, ref.body[box])
    vox_ml = float(np.prod(ct.grid.spacing_xyz_mm)) / 1000.0
    assert dice >= 0.8, (f"L1 turned {angle_deg:+.0f} deg: body Dice {dice:.2f} against the mask "
                         f"({body.sum() * vox_ml:.1f} mL labelled, the mask's {ref.body[box].sum() * vox_ml:.1f})")
