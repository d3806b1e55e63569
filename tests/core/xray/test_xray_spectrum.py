"""The polyenergetic beam: spectra and attenuation against SpekPy, xraydb, FACTS.md and hand sums."""

import numpy as np
import pytest

from trainer.core.xray import spectrum

#: FACTS.md 5.2 (SpekPy 2.5.4, tungsten, 12 deg): kVp, Cu mm, mean keV, HVL1 mm Al
FACTS_BEAMS = [(70, 0.0, 40.3, 2.66), (80, 0.0, 43.8, 3.03), (90, 0.0, 47.1, 3.42),
               (80, 0.1, 48.4, 4.58), (90, 0.1, 51.9, 5.14)]


@pytest.mark.parametrize("kvp,cu,mean,hvl", FACTS_BEAMS)
def test_mean_energy_and_hvl_match_the_published_spekpy_table(kvp, cu, mean, hvl):
    assert spectrum.mean_kev(kvp, cu) == pytest.approx(mean, abs=0.2)
    assert spectrum.hvl_mm_al(kvp, cu) == pytest.approx(hvl, rel=0.02)


def test_interpolated_kvp_lies_between_its_neighbours():
    assert spectrum.mean_kev(80, 0.1) < spectrum.mean_kev(83, 0.1) < spectrum.mean_kev(85, 0.1)
    s = spectrum.tube_spectrum(83, 0.1)
    assert s[spectrum.KEV > 83].sum() == 0 and s[spectrum.KEV < 82].min() >= 0


def test_stored_spectrum_equals_spekpy_run_now():
    import spekpy
    s = spekpy.Spek(kvp=80, th=12, dk=1.0)
    s.filter("Al", 3.0)
    s.filter("Cu", 0.1)
    k, f = s.get_spectrum()
    ours = spectrum.tube_spectrum(80, 0.1)
    theirs = np.interp(spectrum.KEV, k, f, right=0.0)
    assert np.abs(ours - theirs).max() <= 0.01 * theirs.max()


#: FACTS.md 5.3 (NIST XCOM spot checks): material, keV, mu/rho cm2/g
NIST = [("water", 60, 0.2059), ("cortical_bone", 40, 0.6655), ("cortical_bone", 60, 0.3148),
        ("stainless_steel", 60, 1.19), ("baso4", 40, 14.66), ("pmma", 50, 0.207)]


@pytest.mark.parametrize("material,kev,mu_rho", NIST)
def test_mass_attenuation_matches_nist_spot_values(material, kev, mu_rho):
    mu = np.interp(np.log(kev), np.log(spectrum.KEV), np.log(spectrum.mass_mu_cm2_g(material)))
    assert np.exp(mu) == pytest.approx(mu_rho, rel=0.03)


def test_stored_attenuation_equals_xraydb_run_now():
    import xraydb
    water = 0.111894 * np.asarray(xraydb.mu_elam("H", spectrum.KEV * 1e3)) + \
        0.888106 * np.asarray(xraydb.mu_elam("O", spectrum.KEV * 1e3))
    assert spectrum.mass_mu_cm2_g("water") == pytest.approx(water, rel=1e-4)
    assert pytest.approx(1560, rel=0.02) == spectrum.HU_BONE         # FACTS.md 1.5 estimate


def test_thin_layer_attenuates_with_the_detector_weighted_mean_mu():
    # d(-ln T)/dt at t = 0 is sum w mu / sum w (Beer-Lambert, differentiated by hand)
    w = spectrum.tube_spectrum(80, 0.1) * spectrum.KEV * (1 - np.exp(-spectrum.linear_mu_per_mm("csi") * 0.6))
    mean_mu = (w * spectrum.linear_mu_per_mm("water")).sum() / w.sum()
    assert spectrum.effective_line_integral(80, 0.1, 0.01, 0.0) / 0.01 == pytest.approx(mean_mu, rel=1e-3)


def test_beam_hardening_lowers_the_effective_attenuation_of_thick_patients():
    t = np.array([50.0, 150.0, 250.0, 350.0])
    per_mm = spectrum.effective_line_integral(90, 0.1, t, 0.0) / t
    assert np.all(np.diff(per_mm) < 0)
    assert per_mm[-1] < 0.95 * per_mm[0]     # 0.1 mm Cu pre-hardens: about 7 % from 5 to 35 cm


def test_lookup_matches_the_direct_spectral_sum():
    rng = np.random.default_rng(3)
    lw = rng.uniform(0, 600, 500)
    lb = rng.uniform(0, 80, 500)
    lut = spectrum.poly_lookup(85, 0.1)
    direct = spectrum.effective_line_integral(85, 0.1, lw, lb)
    assert np.abs(lut(lw, lb) - direct).max() < 2e-3 * direct.max()


def test_bad_kvp_is_refused():
    from trainer.core.errors import ParameterError

    with pytest.raises(ParameterError, match="kvp"):
        spectrum.tube_spectrum(140)
