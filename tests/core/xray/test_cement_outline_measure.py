"""The cement outline measure (benchmarks/cement_shape.py) against shapes whose answer is known by hand.

Perimeter over convex-hull perimeter: exactly 1 for a convex outline (a block, a disc), and for the
star ``r = 40 + 8 cos(8 t)`` px the perimeter is the integral of ``sqrt(r^2 + r'^2)``, 371.9 px.
"""

import numpy as np
import pytest
from bench_loader import load_benchmark
from scipy import ndimage


@pytest.fixture(scope="module")
def cs():
    return load_benchmark("cement_shape")


def _polar(r_of_t, level=3.0, n=200):
    yy, xx = np.mgrid[0:n, 0:n].astype(float)
    t = np.arctan2(yy - n / 2, xx - n / 2)
    return level * np.clip(r_of_t(t) - np.hypot(yy - n / 2, xx - n / 2) + 0.5, 0.0, 1.0)


def test_block_and_disc_are_convex(cs):
    yy, xx = np.mgrid[0:200, 0:200].astype(float)
    block = ndimage.gaussian_filter(3.0 * ((abs(yy - 100) <= 30) & (abs(xx - 90) <= 45)), 1.0)
    r = cs.outline_ratio(block)
    assert r["ratio"] == pytest.approx(1.0, abs=0.005)
    assert r["perimeter_px"] == pytest.approx(2 * (61 + 91), rel=0.02)      # 61 x 91 px block, hand count
    d = cs.outline_ratio(_polar(lambda t: 40.0 + 0 * t))
    assert d["ratio"] == pytest.approx(1.0, abs=0.01)
    assert d["perimeter_px"] == pytest.approx(2 * np.pi * 40, rel=0.02)


def test_star_perimeter_matches_the_integral(cs):
    r = cs.outline_ratio(_polar(lambda t: 40.0 + 8.0 * np.cos(8 * t)))
    t = np.linspace(0, 2 * np.pi, 100001)
    length = np.trapezoid(np.hypot(40 + 8 * np.cos(8 * t), 64 * np.sin(8 * t)), t)   # 371.9 px
    assert r["perimeter_px"] == pytest.approx(length, rel=0.04)
    # the hull of the star touches its 8 tips (r = 48): at most the circle through them, at least the octagon
    assert 16 * 48 * np.sin(np.pi / 8) * 0.98 <= r["hull_px"] <= 2 * np.pi * 48
    assert r["ratio"] > 1.2


def test_only_the_largest_piece_and_not_its_holes(cs):
    yy, xx = np.mgrid[0:200, 0:200].astype(float)
    f = 3.0 * ((abs(yy - 100) <= 30) & (abs(xx - 90) <= 45)).astype(float)
    f[95:105, 85:95] = 0.0                      # a hole: bone showing through inside the mass
    f[10:14, 10:14] = 3.0                       # a far fleck
    r = cs.outline_ratio(f)
    assert r["ratio"] == pytest.approx(1.0, abs=0.005)
    assert r["area_px"] == 61 * 91
    assert np.isnan(cs.outline_ratio(np.zeros((20, 20)))["ratio"])
