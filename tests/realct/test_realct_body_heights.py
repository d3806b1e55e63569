"""A real vertebra's anterior, middle and posterior heights, as the trainer's landmarks give them, against the
reference mask's body read the same documented way (issue 12; docs/realct-log.md pass 204, round 40).

How a height is read (on ours and on the mask alike, here in the test on the mask): at a depth 15 % of the body's
depth inside its anterior or posterior wall (the middle: the body centre's depth), the tallest top-to-bottom extent
of the body among the columns within 4 mm of the body centre's x and 1 mm of that depth.  The walls are each
body's own: ours the labelling's measured walls, the mask's its body's front and back at the centre column and
slice.  Until round 40 ours summed one column at x = 0, 2 mm inside each wall: the abdominal L1 read 6 / 27 / 15 mm,
L2 18 / 27 / 9 mm, L5 18 / 30 / 15 mm (the mask 21 / 24 / 30, 27 / 27 / 30, 21 / 33 / 27), and the cement's leak
faces, which read the posterior height, called lateral leaks more than 4.5 mm above L2's centre endplate leaks.
Oracle: the TotalSegmentator mask (``realct_reference.measure``), not our labels.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources

from trainer.core.anatomy.ct_patient import patient_from_ct

pytestmark = pytest.mark.slow

#: two slices of the 3 mm series
TOLERANCE_MM = 6.0


def _mask_heights(ct, ref) -> tuple[float, float, float]:
    """(anterior, middle, posterior) height of the mask's body, mm, read as the module docstring says."""
    g = ct.grid
    x = g.axis_mm("x") - ref.body_centre_mm[0]
    y = g.axis_mm("y") - ref.body_centre_mm[1]
    z = g.axis_mm("z")
    k = int(np.argmin(np.abs(z - ref.body_centre_mm[2])))
    i = int(np.argmin(np.abs(x)))
    front_back = np.flatnonzero(ref.body[k, :, i])
    aw, pw = float(y[front_back[0]]), float(y[front_back[-1]])
    out = []
    for depth in (aw + 0.15 * (pw - aw), 0.0, pw - 0.15 * (pw - aw)):
        rows = np.flatnonzero(np.abs(y - depth) <= 1.0 + 1e-6)
        rows = rows if rows.size else [int(np.argmin(np.abs(y - depth)))]
        tallest = 0.0
        for j in rows:
            for c in np.flatnonzero(np.abs(x) <= 4.0 + 1e-6):
                ks = np.flatnonzero(ref.body[:, j, c])
                if ks.size:
                    tallest = max(tallest, float((ks[-1] - ks[0] + 1) * g.spacing_xyz_mm[2]))
        out.append(tallest)
    return out[0], out[1], out[2]


@pytest.mark.parametrize("level", ["L1", "L2", "L3", "L4", "L5"])
def test_abdominal_body_heights_follow_the_mask(totalseg_ct, level):
    ref = reference.measure(totalseg_ct.labels, totalseg_ct.grid, sources.VERTEBRA_LABELS[level])
    lm = patient_from_ct(totalseg_ct.volume(), ref.landmarks(), level).landmarks
    ours = (lm.anterior_height_mm, lm.middle_height_mm, lm.posterior_height_mm)
    mask = _mask_heights(totalseg_ct, ref)
    assert all(abs(a - b) <= TOLERANCE_MM for a, b in zip(ours, mask)), (level, ours, mask)
