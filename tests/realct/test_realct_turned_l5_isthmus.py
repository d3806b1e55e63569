"""The abdominal L5 turned +10 deg about its long axis: its left pedicle estimated on the pedicle, and labelled with a
body of its own size (realct-log pass 146, round 29, l5turn2).

``import-ct --level L5`` on the abdominal CT (3 mm) turned +10 deg put the left pedicle centre 17.8 mm from the turned
mask's, in the canal: the isthmus search took the row just behind the lower slices' posterior wall, whose piece was
the body's back in every slice (``ct_pedicle.pedicle_tube``: such a row is no isthmus candidate now).  On the
pedicle, the labels' first threshold step then passed with a body of 15 mL, its centre section 27 mm wide between
pedicle centres 36 mm apart (body Dice 0.36; ``ct_patient._section_passes``: a section narrower than the pedicle
centres lie apart fails the step).  Oracle: the TotalSegmentator mask turned the same way
(``realct_rotate.turned_reference``).
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources
from realct_rotate import turned_import, turned_reference

from trainer.core.anatomy.ct_patient import _section_passes, patient_from_ct
from trainer.core.anatomy.grid import Grid
from trainer.core.anatomy.labels import Label, body_mask

pytestmark = pytest.mark.slow


def test_turned_l5_left_pedicle_estimated_on_the_turned_mask_pedicle(totalseg_ct):
    turned, vol, col, lm = turned_import(totalseg_ct, 10.0, "L5")
    ref = turned_reference(totalseg_ct, 10.0, "L3", "L5")
    off = float(np.linalg.norm(np.asarray(lm["pedicle_left_centre_mm"]) - ref.pedicle_left_centre_mm))
    assert off <= 3.0, f"L5 turned +10 deg: left pedicle centre {off:.1f} mm from the turned mask's"
    patient = patient_from_ct(vol, lm, "L5", column=col)
    k, j, i = np.nonzero(turned.labels == sources.VERTEBRA_LABELS["L5"])
    box = tuple(slice(max(0, a.min() - 3), min(n, a.max() + 4)) for a, n in zip((k, j, i), turned.labels.shape))
    ours = reference.labels_on_ct(patient, lm["body_centre_mm"], turned.grid, box)
    body = reference.dice(body_mask(ours), ref.body[box])
    left = reference.dice(ours == Label.PEDICLE_LEFT, ref.pedicle_left[box])
    assert body >= 0.8 and left >= 0.3, f"L5 turned +10 deg: body Dice {body:.2f}, left pedicle Dice {left:.2f}"


def _section(width_vox: int) -> tuple[np.ndarray, Grid]:
    """A recentred volume of 1 mm voxels whose centre slice holds a 20 mm deep body ``width_vox`` mm wide."""
    g = Grid((3, 41, 61), (1.0, 1.0, 1.0), (-30.0, -20.0, -1.0))
    labels = np.zeros(g.shape, np.uint8)
    labels[1, 10:30, 30 - width_vox // 2:30 - width_vox // 2 + width_vox] = Label.CANCELLOUS
    return labels, g


def test_section_narrower_than_the_pedicle_centres_apart_fails():
    labels, g = _section(30)                     # 30 mm wide, solid
    assert _section_passes(labels, g)
    assert _section_passes(labels, g, pedicle_gap_mm=30.0)
    assert not _section_passes(labels, g, pedicle_gap_mm=31.0)
