"""The turned abdomen's estimated endplates: within one slice and 1 mm of the mask's (issue 12; realct-log pass 104
of round 24, endplate).

Turned about the long axis, a lumbar body's 4 x 4 mm marrow patch can graze a trabecular band as bright as a faint
osteoporotic endplate; the estimate's search out from the body's middle then stopped there (turned -15 deg, L2: both
endplates on the 141 HU slice, 3 mm apart, the mask's 27 mm).  ``import-ct --level`` now finds the plates from the
column's discs inward when the estimate's span is under 0.6 of the segment between them.  Oracle: the TotalSegmentator
mask turned the same way (``realct_rotate.turned_reference``): its body's top and bottom along the long axis.
"""

from __future__ import annotations

import pytest
from realct_rotate import turned_import, turned_reference

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("angle_deg", "level"), [(-15.0, "L2"), (-10.0, "L2"), (-5.0, "L1"), (10.0, "L5")])
def test_turned_lumbar_endplates_are_the_masks(totalseg_ct, angle_deg, level):
    ct, _, _, lm = turned_import(totalseg_ct, angle_deg, level)
    ref = turned_reference(totalseg_ct, angle_deg, "L3", level)
    tol_mm = ct.grid.spacing_xyz_mm[2] + 1.0
    got = (lm["superior_endplate_z_mm"], lm["inferior_endplate_z_mm"])
    want = (ref.superior_endplate_z_mm, ref.inferior_endplate_z_mm)
    assert abs(got[0] - want[0]) <= tol_mm and abs(got[1] - want[1]) <= tol_mm, \
        f"{level} turned {angle_deg:+.0f} deg: endplates {got[0]:.1f} / {got[1]:.1f} mm, the mask's {want[0]:.1f} / {want[1]:.1f}"
