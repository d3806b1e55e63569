"""Genant grades lower the measured heights by the documented fraction (FACTS.md 1.6)."""

from __future__ import annotations

import numpy as np
import pytest
from anatomy_measure import BODY, adjacent_pairs, longest_z_run_mm
from anatomy_support import cached

from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.params import GRADE_BANDS, default_height_loss

SEED = 11


def heights(p):
    lm = p.landmarks
    v = p.volume
    return {
        "anterior": longest_z_run_mm(v, 0.0, lm.anterior_wall_y_mm + 1.0, BODY),
        "middle": longest_z_run_mm(v, 0.0, 0.0, BODY),
        "posterior": longest_z_run_mm(v, 0.0, lm.posterior_wall_y_mm - 1.0, BODY),
    }


@pytest.fixture(scope="module")
def intact():
    return heights(cached(level="L1", fracture_grade=0.0, seed=SEED))


@pytest.mark.parametrize("grade", [1.0, 2.0, 3.0])
def test_wedge_lowers_the_anterior_height_by_the_grade_fraction(intact, grade):
    h = heights(cached(level="L1", fracture_grade=grade, morphology="wedge", seed=SEED))
    f = default_height_loss(grade)
    loss = 1.0 - h["anterior"] / intact["anterior"]
    assert loss == pytest.approx(f, abs=0.035)
    lo, hi = GRADE_BANDS[grade]
    assert lo - 0.01 <= loss <= hi + 0.01
    assert h["posterior"] == pytest.approx(intact["posterior"], abs=0.6)


@pytest.mark.parametrize("grade", [2.0, 3.0])
def test_biconcave_lowers_the_middle_height(intact, grade):
    h = heights(cached(level="L1", fracture_grade=grade, morphology="biconcave", seed=SEED))
    f = default_height_loss(grade)
    assert 1.0 - h["middle"] / intact["middle"] == pytest.approx(f, abs=0.035)
    assert h["anterior"] == pytest.approx(intact["anterior"], abs=0.6)
    assert h["posterior"] == pytest.approx(intact["posterior"], abs=0.6)


def test_biconcave_keeps_the_epiphyseal_rim():
    # FACTS.md 1.2 (Wang 2012): the central endplate spans about 70 % of the endplate, the
    # epiphyseal rim round it is 3-7 mm wide; an endplate-type fracture depresses the central
    # endplate, so 2.5 mm inside the side walls the body keeps its intact height
    base = cached(level="L1", fracture_grade=0.0, seed=SEED)
    p = cached(level="L1", fracture_grade=3.0, morphology="biconcave", seed=SEED)
    for side in (-1.0, 1.0):
        x = side * (0.5 * p.landmarks.body_width_mm - 2.5)
        assert longest_z_run_mm(p.volume, x, 0.0, BODY) == pytest.approx(
            longest_z_run_mm(base.volume, x, 0.0, BODY), abs=0.6)


def test_crush_lowers_every_height(intact):
    h = heights(cached(level="L1", fracture_grade=3.0, morphology="crush", seed=SEED))
    for k in ("anterior", "middle", "posterior"):
        assert 1.0 - h[k] / intact[k] == pytest.approx(0.45, abs=0.04), k


def test_explicit_height_loss_is_used():
    p = cached(level="L1", fracture_grade=2.0, morphology="wedge", height_loss_fraction=0.38, seed=SEED)
    base = cached(level="L1", fracture_grade=0.0, seed=SEED)
    assert p.landmarks.anterior_height_mm / base.landmarks.anterior_height_mm == pytest.approx(0.62, abs=0.02)


def test_landmarks_report_heights_after_fracture(intact):
    p = cached(level="L1", fracture_grade=2.0, morphology="wedge", seed=SEED)
    lm = p.landmarks
    assert lm.anterior_height_mm < 0.8 * lm.posterior_height_mm
    assert lm.body_centre_mm[2] == pytest.approx(0.0, abs=1e-6)
    assert lm.superior_endplate_z_mm > 0 > lm.inferior_endplate_z_mm


@pytest.fixture(scope="module")
def featured():
    return cached(level="L1", fracture_grade=2.0, morphology="wedge", seed=SEED, cleft=True,
                  endplate_crack=True, posterior_wall_defect=True)


def test_intact_cortex_separates_cancellous_bone_from_disc_and_canal():
    lab = cached(level="L1", fracture_grade=2.0, morphology="wedge", seed=SEED).volume.labels
    assert adjacent_pairs(lab, Label.CANCELLOUS, Label.DISC) == 0
    assert adjacent_pairs(lab, Label.CANCELLOUS, Label.CANAL) == 0
    for soft in (Label.MUSCLE, Label.FAT, Label.SOFT_TISSUE):
        assert adjacent_pairs(lab, Label.CANCELLOUS, soft) == 0


def test_endplate_crack_opens_cancellous_bone_to_the_disc(featured):
    assert adjacent_pairs(featured.volume.labels, Label.CANCELLOUS, Label.DISC) > 20
    assert "endplate_crack" in featured.volume.meta["features"]


def test_posterior_wall_defect_opens_cancellous_bone_to_the_canal(featured):
    assert adjacent_pairs(featured.volume.labels, Label.CANCELLOUS, Label.CANAL) > 10
    c = featured.volume.meta["features"]["posterior_wall_defect"]["centre_mm"]
    assert c[1] == pytest.approx(featured.landmarks.posterior_wall_y_mm)


def test_cleft_is_a_labelled_cavity_with_gas_or_fluid(featured):
    v = featured.volume
    m = v.labels == Label.CLEFT
    assert m.sum() * v.grid.voxel_volume_mm3 > 50.0
    hu = v.hu[m]
    content = v.meta["features"]["cleft"]["content"]
    assert (hu.max() < -500) if content == "gas" else (abs(hu.mean()) < 40)


def test_veins_reach_their_exits(default_patient):
    lab = default_patient.volume.labels
    # basivertebral vein through its foramen into the canal; segmental veins joined to cancellous bone
    assert adjacent_pairs(lab, Label.BASIVERTEBRAL_VEIN, Label.CANAL) > 0
    assert adjacent_pairs(lab, Label.BASIVERTEBRAL_VEIN, Label.CANCELLOUS) > 50
    assert adjacent_pairs(lab, Label.SEGMENTAL_VEIN, Label.CANCELLOUS) > 0
    assert adjacent_pairs(lab, Label.SEGMENTAL_VEIN, Label.FORAMEN_LEFT) > 0
    fx = np.asarray(default_patient.landmarks.basivertebral_foramen_mm)
    assert default_patient.volume.label_at(fx) == Label.BASIVERTEBRAL_VEIN
