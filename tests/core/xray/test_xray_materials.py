"""Beam energies and attenuation: the FACTS.md 5.2/5.3 tables and the HU model."""

import pytest

from trainer.core.errors import ParameterError
from trainer.core.xray import materials as m
from trainer.core.xray.beam import Beam, mean_energy_kev


@pytest.mark.parametrize("kvp, cu, kev", [(70, 0.0, 40.3), (80, 0.0, 43.8), (90, 0.0, 47.1),
                                          (80, 0.1, 48.4), (90, 0.1, 51.9)])
def test_mean_energy_reproduces_the_spekpy_table(kvp, cu, kev):
    assert mean_energy_kev(kvp, cu) == pytest.approx(kev, abs=1e-9)


def test_mean_energy_rises_with_kvp_and_filtration():
    e = [Beam(k).effective_kev for k in (60, 70, 80, 90, 110)]
    assert e == sorted(e) and len(set(e)) == 5
    assert Beam(80, 0.05).effective_kev == pytest.approx((43.8 + 48.4) / 2)
    assert Beam(90, 0.1).hvl_mm_al == pytest.approx(5.14)


def test_bad_beam_settings_name_the_field():
    with pytest.raises(ParameterError, match="kvp"):
        Beam(200)
    with pytest.raises(ParameterError, match="cu_mm"):
        Beam(80, 0.5)


def test_table_values_and_interpolation():
    assert m.mass_attenuation_cm2_g("water", 60) == pytest.approx(0.206)
    assert m.mass_attenuation_cm2_g("cortical_bone", 40) == pytest.approx(0.666)
    mid = m.mass_attenuation_cm2_g("water", 55)
    assert 0.206 < mid < 0.227
    with pytest.raises(ParameterError, match="energy_kev"):
        m.mass_attenuation_cm2_g("water", 150)
    with pytest.raises(ParameterError, match="material"):
        m.mass_attenuation_cm2_g("unobtainium", 50)


@pytest.mark.parametrize("wt, row", [(0.1, "pmma_baso4_10"), (0.2, "pmma_baso4_20"), (0.3, "pmma_baso4_30")])
@pytest.mark.parametrize("kev", [40, 50, 60, 80])
def test_cement_mixture_rule_reproduces_the_tabulated_mixtures(wt, row, kev):
    rho = 1 / (wt / 4.5 + (1 - wt) / 1.19)
    assert m.cement_mu_per_mm(kev, wt) * 10 / rho == pytest.approx(m.mass_attenuation_cm2_g(row, kev), rel=5e-3)


def test_hu_model_is_consistent_with_ct_numbers():
    ct = m.hu_model(m.CT_EFFECTIVE_KEV)
    w = ct.mu(0)
    for hu in (-1000, -500, 0, 95, 230, 1200):
        assert 1000 * (float(ct.mu(hu)) - w) / w == pytest.approx(hu, abs=1e-3)
    # cortical bone HU at the CT energy is about 1560 (FACTS.md 1.5)
    hu_bone = 1000 * (m.mu_per_mm("cortical_bone", 70) - m.mu_per_mm("water", 70)) / m.mu_per_mm("water", 70)
    assert hu_bone == pytest.approx(1557, abs=10)
    assert float(ct.mu(-1000)) == 0.0


def test_material_ordering_at_the_beam_energy():
    kev = Beam(80).effective_kev
    model = m.hu_model(kev)
    soft, bone = float(model.mu(40)), float(model.mu(1200))
    cement, steel = m.cement_mu_per_mm(kev), m.steel_mu_per_mm(kev)
    assert soft < bone < cement < steel
    # bone contrast grows at lower energy: healthy vs osteoporotic trabecular bone
    lo, hi = m.hu_model(Beam(70).effective_kev), m.hu_model(Beam(90).effective_kev)
    assert (lo.mu(230) - lo.mu(95)) / lo.mu(0) > (hi.mu(230) - hi.mu(95)) / hi.mu(0)
