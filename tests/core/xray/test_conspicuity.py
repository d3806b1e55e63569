"""The model reader's d' on hand-built pictures whose answer is known (trainer/core/xray/conspicuity.py).

Oracles: Rose's formula for a uniform disc in quantum noise (d' = C sqrt(n N)); the matched filter's
d' in white noise (a sqrt(n) / sigma); the eye filter's published peak (4 cycles/deg, Burgess, Li &
Abbey 1997) and its zero at DC, which makes a linear ramp invisible to it; the visual angle of a
millimetre at 50 cm by trigonometry.
"""

import math

import numpy as np
import pytest

from trainer.core.xray import conspicuity as cs

N = 128


def _disc(radius_px: float, amp: float, centre=(64, 64)) -> np.ndarray:
    yy, xx = np.mgrid[:N, :N]
    return amp * (((yy - centre[0]) ** 2 + (xx - centre[1]) ** 2) <= radius_px ** 2)


def test_a_millimetre_at_half_a_metre_subtends_0_115_degrees():
    assert cs.pixel_deg(1.0, 500.0) == pytest.approx(0.114592, rel=1e-5)


def test_the_eye_filter_peaks_at_4_cycles_per_degree_and_is_blind_to_dc():
    px_deg = 1.0 / 32.0                       # 64 samples: frequency steps of 0.5 cycles/deg
    e = cs.eye_filter((64, 64), px_deg)
    assert e[0, 0] == 0.0
    row = e[0, :32]
    assert int(np.argmax(row)) == 8            # 8 x 0.5 = 4 cycles/deg
    assert row[8] == pytest.approx(1.0)


def test_a_disc_in_quantum_noise_alone_follows_rose():
    s = _disc(4, 0.05)
    n = int((s > 0).sum())
    quanta = np.full((N, N), 1000.0)
    d = cs.detectability(s, np.full((N, N), 2.0), None, quanta)
    assert d == pytest.approx(0.05 * math.sqrt(n * 1000.0), rel=1e-9)


def test_a_disc_in_white_noise_has_the_matched_filters_snr():
    s = _disc(3, 0.05)
    n = int((s > 0).sum())
    rng = np.random.default_rng(7)
    ds = [cs.detectability(s, rng.normal(0.0, 0.01, (N, N)), None) for _ in range(40)]
    # median over backgrounds: the shifts of one picture give a noisy variance, their median does not
    assert float(np.median(ds)) == pytest.approx(0.05 * math.sqrt(n) / 0.01, rel=0.12)


def test_the_eye_filtered_reader_ignores_a_linear_ramp_that_hides_the_disc_from_a_plain_matched_filter():
    s = _disc(3, 0.05)
    yy, xx = np.mgrid[:N, :N]
    ramp = 0.01 * xx + 0.02 * yy
    px_deg = cs.pixel_deg(0.586)
    assert cs.detectability(s, ramp, None) < 1.0            # the plain matched filter sums the slope
    assert cs.detectability(s, ramp, px_deg) > 1e6          # E(0) = 0: the ramp's response is constant


def test_an_edge_next_to_the_detail_masks_it():
    s = _disc(3, 0.05)
    px_deg = cs.pixel_deg(0.586)
    rng = np.random.default_rng(3)
    noise = rng.normal(0.0, 0.01, (N, N))
    xx = np.mgrid[:N, :N][1]
    flat = cs.detectability(s, noise, px_deg)
    edged = cs.detectability(s, noise + np.where(xx >= 68, 0.5, 0.0), px_deg)
    assert flat > cs.ROSE_K > edged


def test_no_detail_is_never_seen_and_the_answer_is_deterministic():
    rng = np.random.default_rng(1)
    back = rng.normal(0.0, 0.01, (N, N))
    assert cs.detectability(np.zeros((N, N)), back, 0.07) == 0.0
    s = _disc(2, 0.1, (20, 100))
    assert cs.detectability(s, back, 0.07) == cs.detectability(s.copy(), back.copy(), 0.07)
