"""C-arm geometry: pinhole projection, magnification, inverse rays and display conventions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.errors import ParameterError
from trainer.core.xray.geometry import AP, LATERAL, CArmGeometry, Pose, frame_for, pixel_rays, project

GEOM = CArmGeometry()


def pinhole(frame, p):
    """Independent pinhole model: intersect the source->point line with the detector plane."""
    g = frame.geometry
    rel = np.asarray(p, float) - frame.source_mm
    t = g.sid_mm / (rel @ frame.beam)
    hit = rel * t                                   # on the detector plane, relative to the source
    off = hit - frame.beam * g.sid_mm
    c = (g.pixels - 1) / 2
    return np.array([c + off @ frame.u / g.pixel_mm, c + off @ frame.v / g.pixel_mm])


@pytest.mark.parametrize("pose", [AP, LATERAL, Pose(30, 10), Pose(-20, -15, (5, -10, 20))])
def test_known_points_match_the_pinhole_model(pose):
    frame = frame_for(GEOM, pose)
    rng = np.random.default_rng(0)
    pts = rng.uniform(-80, 80, (50, 3))
    got = project(frame, pts)
    want = np.array([pinhole(frame, p) for p in pts])
    assert np.max(np.abs(got - want)) < 0.1


def test_isocentre_projects_to_the_image_centre_and_magnification_follows_distances():
    frame = frame_for(GEOM, AP)
    c = (GEOM.pixels - 1) / 2
    assert np.allclose(project(frame, [0, 0, 0]), [c, c], atol=1e-9)
    # 10 mm to the patient's right at the isocentre: SID/SOD magnification
    col = project(frame, [-10.0, 0, 0])[0]
    assert col - c == pytest.approx(10 * GEOM.sid_mm / GEOM.sod_mm / GEOM.pixel_mm, abs=0.1)
    # 100 mm closer to the detector: magnification SID / (SOD + 100)
    col = project(frame, [-10.0, 100.0, 0])[0]
    assert col - c == pytest.approx(10 * GEOM.sid_mm / (GEOM.sod_mm + 100) / GEOM.pixel_mm, abs=0.1)
    assert GEOM.magnification == pytest.approx(1020 / 530)


@settings(max_examples=40, deadline=None)
@given(orb=st.floats(-135, 135), tilt=st.floats(-45, 45), col=st.floats(0, 511), row=st.floats(0, 511),
       t=st.floats(200, 900))
def test_pixel_rays_invert_project(orb, tilt, col, row, t):
    frame = frame_for(GEOM, Pose(orb, tilt))
    o, d = pixel_rays(frame, np.array(col), np.array(row))
    assert np.linalg.norm(d) == pytest.approx(1.0)
    assert np.allclose(project(frame, o + t * d), [col, row], atol=1e-6)


def test_display_conventions():
    ap = frame_for(GEOM, AP)
    c = (GEOM.pixels - 1) / 2
    # head (+z) at the top, patient left (+x) on the image left on AP
    assert project(ap, [0, 0, 50])[1] < c
    assert project(ap, [30, 0, 0])[0] < c
    lat = frame_for(GEOM, LATERAL)
    # lateral: posterior (+y) right, anterior left, head up; tube on the patient's right
    assert project(lat, [0, 30, 0])[0] > c
    assert project(lat, [0, 0, 50])[1] < c
    assert lat.source_mm[0] < 0
    # AP: tube under the table (anterior), positive tilt heads the beam cranially
    assert ap.source_mm[1] < 0
    assert frame_for(GEOM, Pose(0, 20)).beam[2] > 0


def test_patient_roll_moves_the_true_ap_to_orbital_equal_roll():
    rolled = frame_for(GEOM, Pose(12.0, 0), patient_roll_deg=12.0)
    true_ap = frame_for(GEOM, AP)
    assert np.allclose(rolled.matrix, true_ap.matrix)
    assert not np.allclose(frame_for(GEOM, AP, patient_roll_deg=12.0).matrix, true_ap.matrix)


@pytest.mark.parametrize("kwargs, name", [({"pixels": 32}, "pixels"), ({"sod_mm": 1100}, "sod_mm"),
                                          ({"detector_mm": 20}, "detector_mm")])
def test_bad_geometry_names_the_field(kwargs, name):
    with pytest.raises(ParameterError, match=name):
        CArmGeometry(**kwargs)


def test_bad_pose_names_the_field():
    with pytest.raises(ParameterError, match="tilt_deg"):
        Pose(0, 60)
    with pytest.raises(ParameterError, match="orbital_deg"):
        Pose(200, 0)
