"""A CT patient's cement follows its own bone: the flow's pore resistance and the drawn margin's lobes.

Oracles: hand computations of Parfitt's marrow-space relation, a hand-made skewed HU field whose
sparse sphere is known, and the synthetic patients' calibration (untouched: no resistance field).
"""

import numpy as np
import pytest
from scipy import ndimage

from trainer.core.procedure.cement.domain import CANC, WALL, pore_resistance
from trainer.core.xray import cement_look

FLOW = {"bvtv_at_0hu": 0.03, "bvtv_per_hu": 0.0008, "bvtv_max": 0.45}


def test_pore_resistance_by_hand():
    cls = np.array([CANC, CANC, WALL], np.uint8)
    hu = np.array([95.0, 300.0, 1200.0])
    out = pore_resistance(cls, hu, FLOW, 1.0)
    # BV/TV 0.106 and 0.27: s = 0.106/0.894 = 0.11857, 0.27/0.73 = 0.36986; geometric mean 0.20942
    s1, s2 = 0.106 / 0.894, 0.27 / 0.73
    gm = np.sqrt(s1 * s2)
    assert out[0] == pytest.approx(s1 / gm, rel=1e-9)
    assert out[1] == pytest.approx(s2 / gm, rel=1e-9)
    assert out[2] == 1.0                                    # not cancellous: unchanged
    assert np.all(pore_resistance(cls, hu, FLOW, 0.0) == 1.0)
    # uniform bone (the phantoms): exactly 1, so the flow is bit-for-bit what it was
    assert np.all(pore_resistance(np.full(5, CANC, np.uint8), np.full(5, 95.0), FLOW, 1.0) == 1.0)


def test_synthetic_patients_have_no_resistance_field():
    """The synthetic calibration rows are not moved: only a CT-derived patient's domain gets one."""
    from trainer.core.procedure.cement.calibration import patient_of
    from trainer.core.procedure.cement.domain import CementDomain
    from trainer.core.scenario.rheology import load_config

    p = patient_of("l1-wedge-default")
    assert p.params is not None
    assert CementDomain(p, load_config()).resistance is None


def _skewed_field(seed=0, n=48, sp=0.7):
    """Cancellous HU with a right tail (dense flecks, as a CT's) and a sparse sphere of 5 mm radius."""
    rng = np.random.default_rng(seed)
    hu = 150.0 + 40.0 * ndimage.gaussian_filter(rng.standard_normal((n, n, n)), 0.8)
    hu += np.where(rng.random((n, n, n)) < 0.04, 500.0, 0.0)            # sclerotic flecks: skew
    kk, jj, ii = np.indices((n, n, n))
    sphere = (kk - 24) ** 2 + (jj - 16) ** 2 + (ii - 24) ** 2 <= (5.0 / sp) ** 2
    hu[sphere] -= 60.0
    bone = np.ones(hu.shape, bool)
    return hu.astype(np.float32), bone, sp, sphere


def test_ct_lobes_are_symmetric_and_open_in_sparse_bone():
    hu, bone, sp, sphere = _skewed_field()
    n = hu.shape[0]
    zero_rods = np.zeros(hu.shape, np.float32)
    marrow, lobe = cement_look.ct_marrow_fields(hu, bone, sp, zero_rods)
    # the density part alone (no rods): normal scores x LOBE_SD, so mean 0 and SD LOBE_SD
    assert abs(float(lobe.mean())) < 1e-3
    assert float(lobe.std()) == pytest.approx(cement_look.LOBE_SD, rel=0.01)
    # the sparse sphere's centre reaches further (positive lobe), its surroundings' mean is about 0
    assert float(lobe[sphere].mean()) > 0.8 * cement_look.LOBE_SD
    # the old recipe on the same field (high-pass, clip at +/-2, smooth, x LOBE_GAIN): biased, not symmetric
    fine = hu - ndimage.gaussian_filter(hu, 1.5 / sp, truncate=2.5)
    m = np.clip(-(fine - fine.mean()) / fine.std(), -2, 2)
    old = np.clip(cement_look.LOBE_GAIN * ndimage.gaussian_filter(m, 2.0 / sp, truncate=2.0), -2.4, 2.4)
    assert float(old.mean()) > 0.3                  # every margin grown: the block
    assert n == hu.shape[0]


def test_ct_marrow_follows_the_rods():
    hu, bone, sp, _ = _skewed_field(1)
    rods = np.random.default_rng(3).standard_normal(hu.shape).astype(np.float32)
    marrow, _ = cement_look.ct_marrow_fields(hu, bone, sp, rods)
    assert np.array_equal(marrow, -rods)
    bone[:10] = False
    marrow, lobe = cement_look.ct_marrow_fields(hu, bone, sp, rods)
    assert not marrow[:10].any() and not lobe[:10].any()


def test_normal_scores_are_deterministic_and_symmetric():
    v = np.random.default_rng(2).lognormal(0.0, 1.0, 1001)
    z = cement_look.normal_scores(v)
    assert np.array_equal(np.argsort(z), np.argsort(v))                 # order kept
    assert abs(float(z.mean())) < 1e-6 and float(np.median(z)) == pytest.approx(0.0, abs=1e-6)
    assert np.array_equal(z, cement_look.normal_scores(v))
