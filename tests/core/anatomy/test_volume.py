"""HU per label, determinism, the context volume and the landmarks of the built patient."""

from __future__ import annotations

import numpy as np
import pytest
from anatomy_support import cached

from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.params import AnatomyParams

#: documented ranges of the mean HU per label (docs/anatomy.md; FACTS.md 1.5 for bone)
HU_RANGES = {
    Label.BODY_CORTEX: (1000, 1500),
    Label.SKIN: (0, 60), Label.FAT: (-130, -70), Label.MUSCLE: (30, 70), Label.SOFT_TISSUE: (20, 60),
    Label.CANAL: (0, 30), Label.DISC: (60, 120), Label.BASIVERTEBRAL_VEIN: (30, 60),
    Label.SEGMENTAL_VEIN: (30, 60), Label.FORAMEN_LEFT: (-80, 20), Label.FORAMEN_RIGHT: (-80, 20),
}


def mean_hu(v, label):
    m = v.labels == label
    assert m.any(), f"no {Label(label).name} voxels"
    return float(v.hu[m].mean())


@pytest.mark.parametrize("trab, cortical", [(95.0, 1200.0), (230.0, 1450.0)])
def test_mean_hu_per_label_is_in_its_documented_range(trab, cortical):
    v = cached(level="L1", fracture_grade=2.0, morphology="wedge", seed=7, trabecular_hu=trab,
               cortical_hu=cortical).volume
    assert mean_hu(v, Label.CANCELLOUS) == pytest.approx(trab, abs=5.0)
    assert mean_hu(v, Label.BODY_CORTEX) == pytest.approx(cortical, abs=25.0)
    for lab, (lo, hi) in HU_RANGES.items():
        assert lo <= mean_hu(v, lab) <= hi, Label(lab).name
    for lab in (Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT, Label.POSTERIOR_ELEMENTS, Label.ADJACENT_VERTEBRA):
        assert trab < mean_hu(v, lab) < 1500, Label(lab).name
    # trabecular texture: visible spread, but paler than cortex
    canc = v.hu[v.labels == Label.CANCELLOUS]
    assert 20 < canc.std() < 200
    assert np.percentile(canc, 99) < mean_hu(v, Label.BODY_CORTEX)


def test_lungs_and_ribs_at_thoracic_levels():
    p = cached(level="T10", fracture_grade=0.0, seed=7)
    ctx = p.context[0]
    assert (ctx.labels == Label.LUNG).sum() * ctx.grid.voxel_volume_mm3 > 200e3
    assert (p.volume.labels == Label.RIB).any()
    assert -900 < mean_hu(ctx, Label.LUNG) < -700
    lumbar = cached(level="L4", fracture_grade=0.0, seed=7)
    assert not (lumbar.volume.labels == Label.RIB).any()


def test_same_seed_gives_the_same_patient_bit_for_bit(default_patient):
    again = build_patient(AnatomyParams(level="L1", fracture_grade=2.0, morphology="wedge", seed=7))
    assert np.array_equal(again.volume.hu, default_patient.volume.hu)
    assert np.array_equal(again.volume.labels, default_patient.volume.labels)
    assert np.array_equal(again.context[0].hu, default_patient.context[0].hu)
    assert again.landmarks == default_patient.landmarks


def test_different_seed_gives_a_different_patient(default_patient):
    other = cached(level="L1", fracture_grade=2.0, morphology="wedge", seed=8)
    assert other.landmarks.body_width_mm != default_patient.landmarks.body_width_mm
    if other.volume.hu.shape == default_patient.volume.hu.shape:
        assert not np.array_equal(other.volume.hu, default_patient.volume.hu)


def test_fine_grid_geometry(default_patient):
    v = default_patient.volume
    g = v.grid
    assert v.hu.dtype == np.int16 and v.labels.dtype == np.uint8
    assert g.spacing_xyz_mm == (0.5, 0.5, 0.5)
    lo, hi = np.asarray(g.origin_mm), g.upper_mm
    lm = default_patient.landmarks
    assert lo[0] <= -55 and hi[0] >= 55
    assert lo[1] < lm.anterior_wall_y_mm - 5 and hi[1] > lm.skin_y_mm
    assert lo[2] < lm.inferior_endplate_z_mm - 10 and hi[2] > lm.superior_endplate_z_mm + 10
    # both neighbours and both discs are inside
    for z in (lo[2] + 1, hi[2] - 1):
        assert v.label_at([0.0, 0.0, z]) in (Label.ADJACENT_VERTEBRA, Label.DISC)
    assert (v.labels == Label.DISC).any()
    assert v.label_at([0.0, 0.0, 0.0]) in (Label.CANCELLOUS, Label.BASIVERTEBRAL_VEIN)
    assert v.label_at([0.0, lm.skin_y_mm + 1.0, 0.0]) == Label.AIR


def test_context_is_empty_inside_the_fine_box_and_covers_the_torso(default_patient):
    fine = default_patient.volume.grid
    ctx = default_patient.context[0]
    g = ctx.grid
    assert 1.5 <= g.spacing_xyz_mm[0] <= 2.0
    ext = g.upper_mm - np.asarray(g.origin_mm)
    assert ext[0] >= 330 and ext[1] >= 230 and ext[2] >= 196
    pts = g.index_to_mm(np.argwhere(ctx.labels != Label.AIR))
    half, own = 0.5 * np.asarray(fine.spacing_xyz_mm), 0.5 * np.asarray(g.spacing_xyz_mm)
    # no tissue in a voxel the fine box covers whole (one it covers in part keeps its tissue for the rest:
    # emptied by its centre it was a slab of air round the box, realct-log pass 124)
    inside = np.all((pts - own >= np.asarray(fine.origin_mm) - half) & (pts + own <= fine.upper_mm + half), axis=1)
    assert not inside.any()
    assert np.all(ctx.hu[ctx.labels == Label.AIR] == -1000)
    for lab in (Label.SKIN, Label.FAT, Label.MUSCLE, Label.SOFT_TISSUE, Label.ADJACENT_VERTEBRA, Label.DISC, Label.RIB):
        assert (ctx.labels == lab).any(), Label(lab).name


def test_pedicle_landmarks(default_patient):
    p = default_patient
    lm = p.landmarks
    for side, s in (("left", 1), ("right", -1)):
        ped = lm.pedicle(side)
        axis = np.asarray(ped.axis)
        assert np.linalg.norm(axis) == pytest.approx(1.0)
        assert axis[1] < -0.9 and np.sign(axis[0]) == -s          # anterior and medial
        assert np.degrees(np.arctan2(abs(axis[0]), -axis[1])) == pytest.approx(ped.medial_angle_deg, abs=0.01)
        assert p.volume.label_at(ped.centre_mm) == (Label.PEDICLE_LEFT if s > 0 else Label.PEDICLE_RIGHT)
        # entry posterior to the isthmus, on bone with soft tissue just behind it
        entry = np.asarray(ped.entry_mm)
        assert entry[1] > ped.centre_mm[1] + 5
        assert p.volume.label_at(entry) in (Label.POSTERIOR_ELEMENTS, Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT)
        assert p.volume.label_at(entry - 1.0 * axis) in (Label.MUSCLE, Label.FAT)
        j = np.asarray(ped.body_junction_mm)
        assert abs(j[1] - lm.posterior_wall_y_mm) < 3.0
        assert p.volume.label_at(j) in (Label.BODY_CORTEX, Label.CANCELLOUS)
        assert abs(ped.medial_wall_x_mm) == pytest.approx(lm.canal_width_mm / 2, abs=0.05)
        assert abs(ped.lateral_wall_x_mm) > abs(ped.medial_wall_x_mm) + ped.width_mm * 0.9
    js = lm.to_json()
    assert js["pedicle_left"]["side"] == "left" and js["level"] == "L1"


def test_canal_spinous_and_skin_landmarks(default_patient):
    p = default_patient
    lm = p.landmarks
    v = p.volume
    assert v.label_at(lm.canal_centre_mm) == Label.CANAL
    assert v.label_at(lm.spinous_tip_mm) == Label.POSTERIOR_ELEMENTS
    assert lm.posterior_wall_y_mm < lm.spinous_tip_mm[1] < lm.skin_y_mm
    assert v.label_at([0.0, lm.skin_y_mm - 0.5, lm.body_centre_mm[2]]) == Label.SKIN
    assert lm.depth_fraction(lm.anterior_wall_y_mm) == pytest.approx(1.0)
