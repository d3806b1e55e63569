"""Detector, dose and display: noise scaling, determinism, collimation, dose figures, grey levels."""

import numpy as np
import pytest

from trainer.core.errors import ParameterError
from trainer.core.xray.detector import SHUTTER_VALUE, expose
from trainer.core.xray.display import auto_window, enhance, to_display
from trainer.core.xray.dose import PULSE_RATE_HZ, DoseTotals, shot_dose
from trainer.core.xray.geometry import CArmGeometry

GEOM = CArmGeometry(pixels=128)
FLAT = np.full((128, 128), 5.0, np.float32)


def _noise_std(dose_scale, pulses=1, seed=0):
    img = expose(FLAT, pulses, GEOM, np.random.default_rng(seed), dose_scale=dose_scale, abc=False).image
    return float(np.std(img[16:-16, 16:-16]))


def test_noise_std_scales_as_one_over_sqrt_dose():
    s1, s4 = _noise_std(1.0), _noise_std(4.0)
    assert s1 / s4 == pytest.approx(2.0, rel=0.06)
    # more pulses is more dose too
    assert _noise_std(1.0, pulses=4) == pytest.approx(s4, rel=0.06)


def test_same_seed_same_image_bit_for_bit():
    rng_a, rng_b = np.random.default_rng(42), np.random.default_rng(42)
    li = np.linspace(2, 8, 128 * 128, dtype=np.float32).reshape(128, 128)
    a = expose(li, 1, GEOM, rng_a).image
    b = expose(li, 1, GEOM, rng_b).image
    assert a.tobytes() == b.tobytes()
    c = expose(li, 1, GEOM, np.random.default_rng(43)).image
    assert a.tobytes() != c.tobytes()


@pytest.mark.parametrize("focal_spot_mm", [0.6, 3.0])        # the 3-tap and the Gaussian penumbra
def test_reused_noise_free_signal_gives_the_same_image_as_a_fresh_exposure(focal_spot_mm):
    """The per-thread cache of the last shot's transmission (unchanged pose; a moved trocar
    recomputes only its box) must give bit for bit the image a cold exposure gives."""
    from trainer.core.xray import detector

    g = CArmGeometry(pixels=256)
    li = np.random.default_rng(3).uniform(2, 8, (256, 256)).astype(np.float32)
    moved = li.copy()
    moved[100:140, 30:45] += 4.0                        # a "trocar" moved into a small box
    edge = li.copy()
    edge[0:12, 240:256] += 3.0                          # a change touching the image's corner

    def shot(img, cold):
        if cold:
            detector._last.shot = None
        return expose(img, 2, g, np.random.default_rng(9), abc=False, focal_spot_mm=focal_spot_mm).image

    for img in (li, moved, edge):
        want = shot(img, cold=True)
        shot(li if img is not li else moved, cold=True)  # warm the cache with a different image
        assert shot(img, cold=False).tobytes() == want.tobytes()    # only the changed box recomputed
        assert shot(img, cold=False).tobytes() == want.tobytes()    # nothing changed: reused whole
    shot(li, cold=False)                                 # same image, now collimated: the scatter is not reused
    field = expose(li, 2, g, np.random.default_rng(9), abc=False, focal_spot_mm=focal_spot_mm, field_mm=(150, 200))
    detector._last.shot = None
    cold = expose(li, 2, g, np.random.default_rng(9), abc=False, focal_spot_mm=focal_spot_mm, field_mm=(150, 200))
    assert field.image.tobytes() == cold.image.tobytes()
    big = li + 0.5                                       # everything changed: a full recomputation
    assert shot(big, cold=False).tobytes() == shot(big, cold=True).tobytes()


def test_image_is_log_processed_dense_is_higher():
    li = np.zeros((128, 128), np.float32)
    li[:, 64:] = 3.0
    img = expose(li, 4, GEOM, np.random.default_rng(0), abc=False, spr=0.0).image
    assert img[:, 70:].mean() - img[:, :58].mean() == pytest.approx(3.0, abs=0.05)


def test_collimation_blanks_outside_the_field_and_cuts_dap():
    full = expose(FLAT, 1, GEOM, np.random.default_rng(0))
    half = expose(FLAT, 1, GEOM, np.random.default_rng(0), field_mm=(150, 150))
    assert np.all(half.image[~half.field_mask] == SHUTTER_VALUE)
    assert half.field_mask.mean() == pytest.approx(0.25, abs=0.02)
    assert half.dose.dap_gycm2 == pytest.approx(full.dose.dap_gycm2 / 4)
    assert half.dose.entrance_kerma_mgy == pytest.approx(full.dose.entrance_kerma_mgy)
    with pytest.raises(ParameterError, match="field_mm"):
        expose(FLAT, 1, GEOM, np.random.default_rng(0), field_mm=(500, 100))


def test_automatic_brightness_raises_dose_for_a_thicker_patient():
    thin = expose(FLAT + 0.5, 1, GEOM, np.random.default_rng(0))
    thick = expose(FLAT + 1.5, 1, GEOM, np.random.default_rng(0))
    assert thick.abc_factor == pytest.approx(np.e * thin.abc_factor, rel=1e-3)
    assert thick.dose.entrance_kerma_mgy > thin.dose.entrance_kerma_mgy


def test_reference_dose_per_pulse_matches_facts():
    d = shot_dose(1)
    assert d.dap_gycm2 == pytest.approx(1.3e-3)                # 1.3 mGy.cm2 per pulse
    assert 0.040 <= d.entrance_kerma_mgy <= 0.135              # 40-135 uGy per pulse
    assert d.fluoro_s == pytest.approx(1 / PULSE_RATE_HZ)
    burst = shot_dose(4, kvp=90)
    assert burst.dap_gycm2 == pytest.approx(4 * 1.3e-3 * (90 / 80) ** 2)
    # about 5 min of 7.5 p/s fluoroscopy gives about 2.9 Gy.cm2 (FACTS.md 5.1)
    assert shot_dose(1).dap_gycm2 * 7.5 * 300 == pytest.approx(2.9, rel=0.05)
    with pytest.raises(ParameterError, match="pulses"):
        shot_dose(0)


def test_dose_totals_accumulate():
    tot = DoseTotals()
    tot.add(shot_dose(1)).add(shot_dose(3))
    assert tot.shots == 2 and tot.pulses == 4
    assert tot.dap_gycm2 == pytest.approx(4 * 1.3e-3)
    assert tot.fluoro_s == pytest.approx(4 / 7.5)
    assert tot.to_json()["pulses"] == 4


def test_display_dense_is_dark_and_invert_flips():
    img = np.linspace(0, 10, 100, dtype=np.float32).reshape(10, 10)
    out = to_display(img, window=10, level=5)
    assert out.dtype == np.uint8
    assert out.ravel()[0] == 255 and out.ravel()[-1] == 0
    assert np.all(np.diff(out.ravel().astype(int)) <= 0)
    inv = to_display(img, window=10, level=5, invert=True)
    assert np.all(inv.astype(int) + out.astype(int) == 255)
    with pytest.raises(ParameterError, match="window"):
        to_display(img, 0, 5)


def test_auto_window_spans_the_field():
    rng = np.random.default_rng(0)
    img = rng.normal(5, 1, (128, 128)).astype(np.float32)
    mask = np.zeros_like(img, bool)
    mask[32:96, 32:96] = True
    img[~mask] = SHUTTER_VALUE
    w, lvl = auto_window(img, mask)
    assert lvl == pytest.approx(5, abs=0.2)
    assert 4 < w < 7
    shown = to_display(img, w, lvl)
    assert 100 < shown[mask].mean() < 155


def test_enhance_keeps_flat_regions_and_sharpens_edges():
    img = np.zeros((64, 64), np.float32)
    img[:, 32:] = 1.0
    out = enhance(img, amount=1.0, sigma_px=4)
    assert out[:, 5].mean() == pytest.approx(0.0, abs=1e-3)
    assert out[:, 33].mean() > 1.1 and out[:, 30].mean() < -0.1


def test_flips_and_their_pixel_mapping():
    from trainer.core.xray.display import flip, flip_pixel

    sq = np.arange(16).reshape(4, 4)
    fs = flip(sq, horizontal=True, vertical=True)
    for col, row in ((0, 0), (3, 1), (2, 2)):
        c, r = flip_pixel(col, row, 4, horizontal=True, vertical=True)
        assert fs[row, col] == sq[int(r), int(c)]
    assert np.array_equal(flip(sq), sq)
    assert np.array_equal(flip(sq, vertical=True), sq[::-1])
    assert np.array_equal(flip(sq, horizontal=True), sq[:, ::-1])


def test_wide_smoothing_matches_a_gaussian_away_from_the_border():
    from scipy import ndimage

    from trainer.core.xray.display import smooth

    x = np.linspace(0, 3, 256, dtype=np.float32)
    img = np.add.outer(np.sin(x * 2), x).astype(np.float32)
    fast = smooth(img, 20.0)
    exact = ndimage.gaussian_filter(img, 20.0, mode="nearest")
    assert np.abs(fast - exact)[32:-32, 32:-32].max() < 0.02


def test_default_look_window_ignores_trocar_and_cement(small_renderer, symmetric_patient):
    from trainer.core.xray.display import present
    from trainer.core.xray.geometry import AP
    from trainer.core.xray.shapes import CementDeposit, TrocarShape

    lm = symmetric_patient.landmarks
    ped = lm.pedicle_left
    trocar = TrocarShape(tuple(np.asarray(ped.body_junction_mm) + 8 * np.asarray(ped.axis)), ped.axis, 120, 3.0)
    centre = symmetric_patient.volume.grid.nearest_index(np.asarray(lm.body_centre_mm))
    ball = np.argwhere(np.ones((20, 20, 20), bool)) - 10
    ijk = centre + ball[(ball ** 2).sum(axis=1) <= 100]
    geom = small_renderer.geometry
    plain = expose(small_renderer.render(AP, 80), 4, geom, np.random.default_rng(0), kvp=80)
    tools = expose(small_renderer.render(AP, 80, trocar, CementDeposit(ijk, np.ones(len(ijk)))), 4, geom,
                   np.random.default_rng(0), kvp=80)
    _, w0, l0 = present(plain.image, pixel_mm=geom.pixel_mm)
    out, w1, l1 = present(tools.image, pixel_mm=geom.pixel_mm)
    assert w1 == pytest.approx(w0, rel=0.1) and l1 == pytest.approx(l0, abs=0.1 * w0)
    c = (geom.pixels - 1) / 2
    assert to_display(out, w1, l1)[int(c), int(c)] < 10               # cement saturates dark
