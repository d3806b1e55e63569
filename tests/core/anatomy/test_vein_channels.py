"""Where the intra-osseous venous channels end (issue 14, round 8), measured on the label volume.

The segmental (intercostal, lumbar) veins take the body's blood through small foramina on its
anterolateral surface, so the segmental vein's nutrient channel only crosses the cortex and the
bone just under it; the basivertebral radicles converge on the central body, not on the middle of
each hemi-body where a bipedicular tip sits (FACTS.md 2). Oracles: the depth of every segmental-vein
voxel under the body's outline, from a Euclidean distance transform of the labels, and the distance from
the expert plan's tips (plans.expert_target_mm, untouched by this change) to the nearest vein voxel.
Before round 8 the channel reached 6.5-8.5 mm under the outline and the T12 tip lay 0.6 mm from a
basivertebral arm and 2.4 mm from the segmental channel.
"""

from __future__ import annotations

import numpy as np
import pytest
from anatomy_measure import adjacent_pairs
from anatomy_support import cached
from scipy import ndimage

from trainer.core.anatomy.labels import Label, body_mask
from trainer.core.procedure.plans import expert_target_mm

_INSIDE = (Label.BODY_CORTEX, Label.CANCELLOUS, Label.BASIVERTEBRAL_VEIN, Label.CLEFT, Label.SEGMENTAL_VEIN)
LEVELS = ["T11", "T12", "L1", "L4"]


def _xyz_mm(grid, idx_zyx: np.ndarray) -> np.ndarray:
    return np.asarray(grid.origin_mm) + idx_zyx[:, ::-1] * np.asarray(grid.spacing_xyz_mm)


@pytest.fixture(scope="module", params=LEVELS)
def patient(request):
    return cached(level=request.param, fracture_grade=0.0, seed=5)


def test_segmental_channel_ends_just_under_the_cortex(patient):
    v = patient.volume
    lab = v.labels
    depth_mm = ndimage.distance_transform_edt(np.isin(lab, _INSIDE), sampling=v.grid.spacing_zyx_mm)
    sv = lab == Label.SEGMENTAL_VEIN
    deepest = float(depth_mm[sv].max())
    # through the 1 mm cortex into the bone under it (it still drains the cancellous bone) ...
    assert deepest >= 1.5
    assert adjacent_pairs(lab, Label.SEGMENTAL_VEIN, Label.CANCELLOUS) > 0
    # ... but no deeper than 3 mm plus the channel's radius (0.8 mm) and half a voxel
    assert deepest <= 3.0 + 0.8 + 0.25


def test_expert_tips_are_not_on_a_vein(patient):
    v = patient.volume
    lab = v.labels
    s_xyz = _xyz_mm(v.grid, np.argwhere(lab == Label.SEGMENTAL_VEIN))
    b_xyz = _xyz_mm(v.grid, np.argwhere(lab == Label.BASIVERTEBRAL_VEIN))
    for side in ("left", "right"):
        tip = expert_target_mm(patient, side)
        assert np.linalg.norm(s_xyz - tip, axis=1).min() >= 4.0
        assert np.linalg.norm(b_xyz - tip, axis=1).min() >= 3.0


def test_basivertebral_radicles_stay_in_the_central_body(patient):
    v = patient.volume
    lab = v.labels
    lm = patient.landmarks
    b_xyz = _xyz_mm(v.grid, np.argwhere(lab == Label.BASIVERTEBRAL_VEIN))
    body_xyz = _xyz_mm(v.grid, np.argwhere(body_mask(lab)))
    half_width_mm = 0.5 * (body_xyz[:, 0].max() - body_xyz[:, 0].min())
    # the vein still reaches its foramen in the posterior wall
    assert b_xyz[:, 1].max() >= lm.posterior_wall_y_mm - 0.5
    # every branch stays within the central third of the body's width (the hemi-bodies' middles are free)
    assert np.abs(b_xyz[:, 0]).max() <= half_width_mm / 3.0
