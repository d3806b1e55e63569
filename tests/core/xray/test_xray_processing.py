"""The C-arm chain around the detector: dose-rate control, scatter, blur, harmonisation, markers."""

import numpy as np
import pytest

from trainer.core.xray import detector, display
from trainer.core.xray.detector import GRID_PRIMARY, GRID_SCATTER, adrc, expose, scatter_to_primary
from trainer.core.xray.geometry import CArmGeometry

GEOM = CArmGeometry(pixels=128)


def test_adrc_keeps_the_nominal_kvp_for_a_thin_patient_and_climbs_for_a_thick_one():
    mu = 0.021                      # a water slab: effective -ln T falls a little with kVp (hardening)

    def slab(t_mm):
        return lambda kvp: np.full(16, mu * t_mm * (80.0 / kvp) ** 0.3)

    kvp, f = adrc(slab(250), 80)
    assert kvp == 80
    # hand: N0 T matches the reference: exp(li - ref) (80 / kVp)^2
    assert f == pytest.approx(np.exp(mu * 250 - detector.ABC_REFERENCE_LOG), rel=1e-6)
    kvp, f = adrc(slab(380), 90)
    assert 90 < kvp <= detector.ADRC_KVP_MAX and f <= detector.ABC_RANGE[1]
    want = np.exp(mu * 380 * (80 / kvp) ** 0.3 - detector.ABC_REFERENCE_LOG) * (80 / kvp) ** 2
    assert f == pytest.approx(min(want, detector.ABC_RANGE[1]), rel=1e-6)


def test_scatter_grows_with_thickness_and_field_and_the_grid_removes_most_of_it():
    assert scatter_to_primary(300, 900, grid=False) == pytest.approx(1.5 * scatter_to_primary(200, 900, grid=False))
    assert scatter_to_primary(200, 225, grid=False) == pytest.approx(0.5 * scatter_to_primary(200, 900, grid=False))
    assert scatter_to_primary(200, 900) == pytest.approx(scatter_to_primary(200, 900, grid=False)
                                                         * GRID_SCATTER / GRID_PRIMARY)
    assert 3 < scatter_to_primary(200, 900, grid=False) < 7      # order of published SPRs, 20 cm water


def test_scatter_lowers_the_contrast_of_a_detail():
    li = np.full((128, 128), 5.0, np.float32)
    li[62:66, 62:66] += 0.2                 # a 9 mm detail, small against the 19 mm scatter blur
    kw = {"abc": False, "dose_scale": 10, "mtf_sigma_mm": 0.0, "focal_spot_mm": 0.0}
    none = expose(li, 75, GEOM, np.random.default_rng(0), spr=0.0, **kw).image
    some = expose(li, 75, GEOM, np.random.default_rng(0), spr=1.0, **kw).image
    c0 = none[62:66, 62:66].mean() - none[10:20, 10:20].mean()
    c1 = some[62:66, 62:66].mean() - some[10:20, 10:20].mean()
    # hand: with SPR s the log contrast of a small detail is about -ln((e^-d + s) / (1 + s))
    assert c0 == pytest.approx(0.2, abs=0.01)
    assert c1 == pytest.approx(-np.log((np.exp(-0.2) + 1.0) / 2.0), abs=0.01)


def test_focal_spot_penumbra_widens_an_edge_as_geometry_predicts():
    g = CArmGeometry(pixels=256)
    li = np.zeros((256, 256), np.float32)
    li[:, 128:] = 3.0

    def width_px(fs):
        img = expose(li, 75, g, np.random.default_rng(0), abc=False, dose_scale=10, spr=0.0, mtf_sigma_mm=0.0,
                     focal_spot_mm=fs).image
        t = np.exp(-img[100:156].mean(axis=0).astype(float))
        d = -np.diff(t)[110:146]               # the edge spread's derivative: the blur kernel
        d = d / d.sum()
        x = np.arange(d.size)
        mean = (d * x).sum()
        return float(np.sqrt(max((d * (x - mean) ** 2).sum(), 0.0)))

    sigma_mm = width_px(2.0) * g.pixel_mm
    want = 2.0 / 2.355 * (g.sid_mm - g.sod_mm) / g.sod_mm
    assert sigma_mm == pytest.approx(want, rel=0.15)
    assert width_px(0.0) < 0.5 * width_px(2.0)


def test_harmonisation_flattens_a_thickness_gradient_but_keeps_a_small_detail():
    n = 256
    ramp = np.tile(np.linspace(4.0, 8.0, n, dtype=np.float32), (n, 1))    # 4 log units across the field
    img = ramp.copy()
    yy, xx = np.indices((n, n))
    img[(yy - 128) ** 2 + (xx - 128) ** 2 < 8 ** 2] += 0.3                 # a 16 px detail
    out, w, lvl = display.present(img, pixel_mm=300 / n, sharpen=0.0)
    grad_in = ramp[128, 200] - ramp[128, 56]
    grad_out = out[60, 200] - out[60, 56]
    assert grad_out < 0.45 * grad_in
    detail = out[128, 128] - 0.5 * (out[128, 104] + out[128, 152])
    assert detail > 0.2


def test_edge_enhancement_leaves_no_halo_around_metal():
    n = 256
    img = np.full((n, n), 5.0, np.float32) + np.random.default_rng(0).normal(0, 0.01, (n, n)).astype(np.float32)
    img[:, 126:131] += 4.0                                                 # a steel bar, 4 log units
    out, w, lvl = display.present(img, pixel_mm=300 / n)
    halo = abs(out[:, 118:124].mean() - out[:, 20:60].mean())            # a band beside the bar vs far away
    # a plain unsharp mask of the same strength rings by a sizeable fraction of the bar's step
    plain = display.enhance(img, 0.7, 20.0 / (300 / n))
    plain_halo = abs(plain[:, 118:124].mean() - plain[:, 20:60].mean())
    assert plain_halo > 0.1
    assert halo < 0.01 * 4.0 and halo < 0.2 * plain_halo
    shown = np.clip((out - (lvl - w / 2)) / w, 0, 1)
    assert shown[:, 127:130].mean() > 0.95   # the bar saturates black


def test_noise_reduction_keeps_a_marked_steel_edge_sharp():
    """With the renderer's metal mask the noise reduction does not spread a saturating bar: its
    displayed half-black width is its true width (hand: 10 px), the plain blur's is wider;
    anatomy a kernel away from the bar is filtered as before."""
    n = 256
    rng = np.random.default_rng(1)
    img = np.linspace(5.0, 5.3, n, dtype=np.float32)[None, :] + rng.normal(0, 0.03, (n, n)).astype(np.float32)
    img[:, 120:130] += 0.9                                  # a scatter-limited steel step, 10 px wide
    metal = np.zeros((n, n), bool)
    metal[:, 120:130] = True
    px = 300 / n
    plain = display.carm_image(img, None, px, denoise_mm=3 * px)        # a 3 px blur: a clear effect
    kept = display.carm_image(img, None, px, metal=metal, denoise_mm=3 * px)

    def width(shown):
        prof = shown[40:200].mean(axis=0)
        bg = 0.5 * (prof[90:105].mean() + prof[145:160].mean())
        return int(np.sum(prof[100:150] >= bg + 0.5 * (prof[120:130].mean() - bg)))

    assert width(kept) == 10
    assert width(plain) >= 12
    # away from the bar the processed values (before the window) agree: well under the noise (0.03)
    out_plain, w_plain, _ = display.present(img, None, px, denoise_mm=3 * px)
    out_kept, w_kept, _ = display.present(img, None, px, metal=metal, denoise_mm=3 * px)
    assert np.abs(out_kept[:, :80] - out_plain[:, :80]).max() < 0.003
    # the metal stays out of the window statistics: no stretch of the window by the bar
    assert w_kept <= w_plain * 1.01


def test_side_marker_names_the_side_the_image_shows():
    assert display.side_letter(0) == "L" and display.side_letter(90) == "L" and display.side_letter(-90) == "R"
    img = np.full((128, 128), 0.5, np.float32)
    display.burn_marker(img, "R", 0.0)
    ink = np.argwhere(img == 0.0)
    rim = np.argwhere(img == 1.0)                                           # the dark outline
    assert ink.size and ink[:, 0].max() < 20 and ink[:, 1].max() < 20      # upper-left corner only
    assert rim.size and rim[:, 0].max() < 24 and rim[:, 1].max() < 24
    with pytest.raises(Exception, match="letter"):
        display.burn_marker(img, "X", 0.0)


def test_carm_image_is_normalised_and_marked():
    li = np.full((128, 128), 5.0, np.float32)
    ex = expose(li, 4, GEOM, np.random.default_rng(0))
    img = display.carm_image(ex.image, ex.field_mask, GEOM.pixel_mm, orbital_deg=0.0)
    assert img.dtype == np.float32 and img.min() >= 0.0 and img.max() <= 1.0
    assert (img[:20, :20] == 0.0).sum() > 10


def test_scatter_source_follows_the_single_scatter_depth_integral():
    # oracle: a pencil beam through a uniform absorber scatters I0 exp(-mu x) mu_s dx at depth x, and the
    # forward scatter is attenuated like the primary over the rest, exp(-mu (L - x)); integrate by depth
    mu, mu_s = 0.02, 0.004                               # 1/mm: water-like total, its scattering part

    def single_scatter(length_mm):
        x = np.linspace(0.0, length_mm, 4001)
        return np.trapezoid(np.exp(-mu * x) * mu_s * np.exp(-mu * (length_mm - x)), x)

    lengths = np.array([10.0, 50.0, 100.0, 200.0, 300.0])
    got = detector.scatter_source(mu * lengths, 2.0)
    want = np.array([single_scatter(t) for t in lengths])
    assert got / got[2] == pytest.approx(want / want[2], rel=1e-4)
    assert detector.scatter_source(np.zeros(3), 2.0) == pytest.approx(np.zeros(3))      # air scatters nothing
    li = np.linspace(0.0, 6.0, 601)
    assert li[np.argmax(detector.scatter_source(li, 2.0))] == pytest.approx(1.0, abs=0.01)   # d/dL (L e^-L) = 0
    assert detector.scatter_source(np.array([2.0]), 2.0)[0] == pytest.approx(np.exp(-2.0))    # SPR at the median


def test_air_beside_the_patient_gets_no_scatter_of_its_own():
    li = np.zeros((128, 128), np.float32)
    li[:, :96] = 3.0                                     # a slab over three quarters of the field, air beside
    img = expose(li, 75, GEOM, np.random.default_rng(0), abc=False, dose_scale=10, spr=1.0, mtf_sigma_mm=0.0,
                 focal_spot_mm=0.0).image
    # hand: inside a field of the median thickness the scatter-to-primary ratio is the nominal one,
    # N = N0 T (1 + SPR), -ln(N / N0) = 3 - ln 2; far from the slab the air sees its primary only (0; a
    # scatter field blurred from T alone gave the air -ln 2)
    assert img[:, 10:40].mean() == pytest.approx(3.0 - np.log(2.0), abs=0.01)
    assert img[:, 124:].mean() == pytest.approx(0.0, abs=0.01)
