"""The rates' 95 % intervals (docs/cement.md, "Round 12"): ``calibration.wilson_interval`` and
``benchmarks/cement_calibration.py --brief --ci --no-reader``.

Oracles: Wilson intervals worked by hand, the
CT series' cortical rate worked by hand (17 of 139: 7.8-18.7 %), and the calibration protocol's runs
(``run_seed``) for the rates the benchmark prints.
"""

import re
import sys

import pytest
from bench_loader import load_benchmark

from trainer.core.procedure.cement.calibration import CONDITIONS, run_seed, wilson_interval


@pytest.mark.parametrize("k,n,lo,hi", [
    # by hand: centre (p + z^2/2n) / (1 + z^2/n), half z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n), z = 1.95996
    (0, 60, 0.0, 0.0602),        # p = 0: upper z^2/n / (1 + z^2/n) = 0.06402 / 1.06402
    (60, 60, 0.9398, 1.0),       # the mirror image
    (12, 60, 0.1183, 0.3178),    # the table's C 20 %: centre 0.2181, half 0.0998
    (1, 1, 0.2065, 1.0),         # one trial: centre 0.6033, half 0.3967
])
def test_wilson_interval_by_hand(k, n, lo, hi):
    assert wilson_interval(k, n) == pytest.approx((lo, hi), abs=5e-4)


def test_the_ct_series_cortical_rate_by_hand():
    # p = 17/139 = 0.1223, z = 1.96: centre (0.1223 + 3.8415/278) / (1 + 3.8415/139) = 0.1325,
    # half 1.96 sqrt(0.1223 * 0.8777 / 139 + 3.8415 / 77284) / 1.02764 = 0.0546
    lo, hi = wilson_interval(17, 139)
    assert lo == pytest.approx(0.0779, abs=5e-4) and hi == pytest.approx(0.1871, abs=5e-4)


@pytest.mark.parametrize("k,n", [(-1, 10), (11, 10), (0, 0)])
def test_a_count_outside_the_trials_is_refused(k, n):
    with pytest.raises(ValueError, match="wilson_interval"):
        wilson_interval(k, n)


def test_the_benchmark_prints_each_rate_with_its_interval_without_the_reader(monkeypatch, capsys):
    bench = load_benchmark("cement_calibration")
    seeds = range(3)
    monkeypatch.setattr(sys, "argv", ["cement_calibration.py", "--seeds", "3", "--only", "off_midline_7mm",
                                      "--brief", "--ci", "--no-reader"])
    assert bench.main() == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("off_midline_7mm@0.5"))
    assert line.endswith("(no reader)")
    runs = [run_seed(CONDITIONS["off_midline_7mm"], s, reader=False)[0.5]["kinds"] for s in seeds]
    for t in ("S", "B", "C", "D"):
        k = sum(t in kinds for kinds in runs)
        lo, hi = wilson_interval(k, 3)
        assert f" {t} {100 * k / 3:.0f} [{100 * lo:.0f}-{100 * hi:.0f}]" in line, (t, line)
    series = re.search(r"CT series, no cleft .*", out).group(0)
    assert "C 12 [8-19]" in series and "D 6 [3-12]" in series and "any 76 [69-83]" in series
