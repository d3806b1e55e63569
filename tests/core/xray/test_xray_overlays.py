"""Trocar and cement on top of the anatomy, and the PNG writer."""

import struct
import zlib

import numpy as np
import pytest

from trainer.core.errors import ParameterError
from trainer.core.xray import materials, spectrum
from trainer.core.xray.beam import Beam
from trainer.core.xray.geometry import AP, LATERAL, CArmGeometry, frame_for, project
from trainer.core.xray.overlays import add_cement, trocar_chords_mm
from trainer.core.xray.png import encode_png
from trainer.core.xray.shapes import CementDeposit, TrocarShape

GEOM = CArmGeometry(pixels=256)


def test_trocar_chord_closed_form():
    frame = frame_for(GEOM, AP)
    c = (GEOM.pixels - 1) / 2
    # across the beam through the isocentre: the chord at the centre is the diameter
    t = TrocarShape(tip_mm=(40, 0, 0), axis=(-1, 0, 0), length_mm=80, outer_diameter_mm=4.0)
    assert trocar_chords_mm(frame, t, np.array([c]), np.array([c]))[0] == pytest.approx(4.0, rel=1e-3)
    # a ray that misses it by more than a radius
    off = c + 3.0 * GEOM.sid_mm / GEOM.sod_mm / GEOM.pixel_mm
    assert trocar_chords_mm(frame, t, np.array([c]), np.array([off]))[0] == 0.0
    # along the central ray (down the barrel): the chord is the length
    t2 = TrocarShape(tip_mm=(0, 30, 0), axis=(0, 1, 0), length_mm=60, outer_diameter_mm=3.0)
    assert trocar_chords_mm(frame, t2, np.array([c]), np.array([c]))[0] == pytest.approx(60.0, rel=1e-6)
    # half-way through the cylinder's edge: chord = 2 sqrt(r^2 - d^2)
    d_mm = 1.0
    row = c + d_mm * GEOM.sid_mm / GEOM.sod_mm / GEOM.pixel_mm
    got = trocar_chords_mm(frame, t, np.array([c]), np.array([row]))[0]
    assert got == pytest.approx(2 * np.sqrt(4 - d_mm ** 2), rel=2e-3)


def test_trocar_validation():
    with pytest.raises(ParameterError, match="axis"):
        TrocarShape((0, 0, 0), (0, 0, 0))
    with pytest.raises(ParameterError, match="outer_diameter_mm"):
        TrocarShape((0, 0, 0), (0, 1, 0), 100, 0)
    t = TrocarShape((0, 0, 0), (0, 3, 4), 10)
    assert np.allclose(t.axis, (0, 0.6, 0.8))
    assert np.allclose(t.handle_mm, (0, -6, -8))


def test_cement_validation():
    with pytest.raises(ParameterError, match="ijk"):
        CementDeposit(np.zeros((4, 2), int), np.ones(4))
    with pytest.raises(ParameterError, match="fraction"):
        CementDeposit(np.zeros((4, 3), int), np.full(4, 1.5))
    assert CementDeposit(np.zeros((0, 3), int), np.zeros(0)).voxels == 0


def test_cement_splat_conserves_attenuation_volume(phantom):
    grid = phantom.volume.grid
    ijk = np.argwhere(np.ones((16, 16, 16), bool)) + np.array(grid.shape) // 2 - 8
    dep = CementDeposit(ijk, np.full(len(ijk), 0.5))
    for pose in (AP, LATERAL):
        frame = frame_for(GEOM, pose)
        img = np.zeros((GEOM.pixels,) * 2, np.float32)
        add_cement(img, frame, grid, dep, np.float32(0.3))
        # integral of mean chord over the detector, scaled back to the cement's depth
        depth = float((grid.index_to_mm(ijk).mean(axis=0) - frame.source_mm) @ frame.beam)
        vol = img.sum() * (GEOM.pixel_mm * depth / GEOM.sid_mm) ** 2
        assert vol == pytest.approx(0.3 * dep.volume_ml(grid.voxel_volume_mm3) * 1000, rel=0.02)
        centre = project(frame, grid.index_to_mm(ijk).mean(axis=0))
        rows, cols = np.indices(img.shape)
        assert (img * cols).sum() / img.sum() == pytest.approx(centre[0], abs=0.5)
        assert (img * rows).sum() / img.sum() == pytest.approx(centre[1], abs=0.5)


def test_render_adds_trocar_and_cement_without_touching_the_cache(phantom):
    from trainer.core.xray.renderer import FluoroRenderer

    r = FluoroRenderer(phantom, GEOM)
    base = r.line_integrals(LATERAL, 90).copy()
    ijk = np.argwhere(np.ones((10, 10, 10), bool)) + np.array(phantom.volume.grid.shape) // 2
    trocar = TrocarShape((8, 10, 0), (-0.25, -0.96, 0.0), 100, 3.0)
    img = r.render(LATERAL, 90, trocar=trocar, cement=CementDeposit(ijk, np.ones(len(ijk))))
    assert np.array_equal(r.line_integrals(LATERAL, 90), base)
    extra = img - base
    assert extra.min() >= -1e-5
    frame = r.frame(LATERAL)
    tip = project(frame, trocar.tip_mm)
    mid = project(frame, np.asarray(trocar.tip_mm) - np.asarray(trocar.axis) * 40)
    # lateral: the trocar crosses the beam, so the chord at its middle is about the diameter;
    # the steel's extra -ln T, summed by hand over the spectrum behind the anatomy there
    row, col = int(round(mid[1])), int(round(mid[0]))
    water, bone = (b[row, col] for b in r.basis_integrals(LATERAL))
    phot = spectrum.tube_spectrum(90, 0.1)
    w = phot * spectrum.KEV * (1 - np.exp(-spectrum.linear_mu_per_mm("csi") * 0.6))
    mw, mb = spectrum.linear_mu_per_mm("water"), spectrum.linear_mu_per_mm("cortical_bone")
    behind = w * np.exp(-mw * water - (mb - mw) * bone)
    want = -np.log((behind * np.exp(-spectrum.linear_mu_per_mm("stainless_steel") * 3.0)).sum() / behind.sum())
    assert extra[row, col] == pytest.approx(want, rel=0.1)
    # beam hardening: less than the mono-energetic figure at the mean energy
    assert extra[row, col] < 0.8 * materials.steel_mu_per_mm(Beam(90).effective_kev) * 3.0
    cem = project(frame, phantom.volume.grid.index_to_mm(ijk).mean(axis=0))
    assert extra[int(round(cem[1])), int(round(cem[0]))] > 0.5          # 5 mm of cement
    assert extra[int(round(tip[1])), int(round(tip[0])) + 3] > 0.5      # steel just behind the tip
    assert r.render(LATERAL, 90).tobytes() == base.tobytes()
    outside = CementDeposit(np.array([[0, 0, 10_000]]), np.ones(1))
    with pytest.raises(ParameterError, match="cement.ijk"):
        r.render(LATERAL, 90, cement=outside)


def test_repeat_render_reuses_the_sum_only_when_nothing_moved(phantom):
    """The last overlay sum is reused for an identical shot (equal trocar, cement with the same
    content), recomputed as soon as anything differs, and never shared with the caller."""
    from trainer.core.xray.renderer import FluoroRenderer

    r = FluoroRenderer(phantom, GEOM)
    ijk = np.argwhere(np.ones((6, 6, 6), bool)) + np.array(phantom.volume.grid.shape) // 2
    trocar = TrocarShape((8, 10, 0), (-0.25, -0.96, 0.0), 100, 3.0)
    first = r.render(LATERAL, 90, trocar=trocar, cement=CementDeposit(ijk, np.full(len(ijk), 0.5)))
    first[...] = 0.0                                      # the caller's copy: must not reach the cache
    again = r.render(LATERAL, 90, trocar=TrocarShape((8, 10, 0), (-0.25, -0.96, 0.0), 100, 3.0),
                     cement=CementDeposit(ijk.copy(), np.full(len(ijk), 0.5)))
    fresh = FluoroRenderer(phantom, GEOM).render(LATERAL, 90, trocar=trocar,
                                                 cement=CementDeposit(ijk, np.full(len(ijk), 0.5)))
    assert again.tobytes() == fresh.tobytes()
    fuller = r.render(LATERAL, 90, trocar=trocar, cement=CementDeposit(ijk, np.full(len(ijk), 0.9)))
    assert fuller.sum() > again.sum()                      # more cement in the same voxels: not the cached sum
    deeper = r.render(LATERAL, 90, trocar=TrocarShape((8, 5, 0), (-0.25, -0.96, 0.0), 100, 3.0),
                      cement=CementDeposit(ijk, np.full(len(ijk), 0.9)))
    assert not np.array_equal(deeper, fuller)
    assert r.render(LATERAL, 80, trocar=trocar, cement=CementDeposit(ijk, np.full(len(ijk), 0.9))).sum() != fuller.sum()


def test_png_round_trip():
    img = (np.arange(64 * 48) % 251).astype(np.uint8).reshape(48, 64)
    data = encode_png(img, {"Software": "vptrainer"})
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    assert (w, h) == (64, 48)
    i = data.index(b"IDAT")
    n = struct.unpack(">I", data[i - 4:i])[0]
    raw = np.frombuffer(zlib.decompress(data[i + 4:i + 4 + n]), np.uint8).reshape(48, 65)
    assert np.all(raw[:, 0] == 0) and np.array_equal(raw[:, 1:], img)
    assert b"tEXtSoftware\x00vptrainer" in data
