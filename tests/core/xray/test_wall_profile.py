"""benchmarks/wall_profile.py against a hand-built wall (docs/imaging.md, "The posterior wall line")."""

import numpy as np
import pytest
from bench_loader import load_benchmark


@pytest.fixture(scope="module")
def wp():
    return load_benchmark("wall_profile")


def _phantom(thick_mm, wall_hu=1441.0, body_hu=100.0, canal_hu=15.0, sp=0.1):
    """A body (y < 0) ending in a wall of ``thick_mm`` against a canal (y > 0), on a fine grid of
    ``sp`` mm so the wall's thickness is resolved; bumpy surface per column to test the alignment."""
    x = np.arange(-8.0, 8.0 + 1e-9, 0.5)
    y = np.arange(-20.0, 10.0, sp)
    z = np.arange(-5.0, 5.0 + 1e-9, 0.5)
    shift = 0.8 * np.sin(x / 2.0)                                 # surface y per column (mm)
    yy = y[None, :, None] - shift[None, None, :]
    hu = np.where(yy < -thick_mm, body_hu, np.where(yy < 0.0, wall_hu, canal_hu))
    hu = np.broadcast_to(hu, (z.size, y.size, x.size)).astype(np.float32)
    body = np.broadcast_to(yy < 0.0, hu.shape)
    return hu, body, (x, y, z), (sp, sp, 0.5)


def test_excess_is_the_walls_mineral_and_survives_a_ct_blur(wp):
    """Oracle: a wall of thickness t and CT number H on a body of B holds t (H - B) HU mm (the
    published-shell figure of docs/imaging.md: 0.30 mm x (1441 - 100) = 402 HU mm)."""
    for t in (0.30, 1.0):
        hu, body, axes, sp = _phantom(t)
        fine = wp.wall_figures(wp.aligned_profile(hu, body, axes, (0.0, -10.0, 0.0), (-2.5, 2.5)))
        assert fine["excess_hu_mm"] == pytest.approx(t * (1441.0 - 100.0), rel=0.08)
        assert fine["body_hu"] == pytest.approx(100.0, abs=1)
        blurred = wp.wall_figures(wp.aligned_profile(wp.ct_like(hu, sp), body, axes, (0.0, -10.0, 0.0), (-2.5, 2.5)))
        # the 1 mm FWHM spreads the wall into the canal (15 HU, below the body): a little is lost
        assert blurred["excess_hu_mm"] == pytest.approx(t * (1441.0 - 100.0), rel=0.15)
        assert blurred["peak_over_body_hu"] < fine["peak_over_body_hu"]
