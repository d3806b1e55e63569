"""CUSUM and LC-CUSUM against hand computations of the published formulas (FACTS.md 8)."""

import math

import pytest
from core.records.records_helpers import attempt

from trainer.core.errors import ParameterError
from trainer.core.records.cusum import (
    PRESETS,
    CusumParams,
    lc_cusum,
    lc_false_signal_probability,
    standard_cusum,
)
from trainer.core.records.progress import (
    cohort_csv,
    cohort_rows,
    slope_per_attempt,
    trainee_progress,
)


def test_limits_by_hand_for_the_two_presets():
    # 10 %/20 %, alpha = beta = 0.1:
    #   P = ln(0.2/0.1) = 0.693147, Q = ln(0.9/0.8) = 0.117783, P+Q = 0.810930
    #   s = 0.117783/0.810930 = 0.1452443;  h1 = ln(0.9/0.1)/0.810930 = 2.197225/0.810930 = 2.709512 = -h0
    p = PRESETS["10/20 %"]
    assert p.s == pytest.approx(0.1452443, abs=1e-6)
    assert p.h1 == pytest.approx(2.709512, abs=1e-6)
    assert p.h0 == pytest.approx(-2.709512, abs=1e-6)
    # 5 %/10 %: P = 0.693147, Q = ln(0.95/0.90) = 0.054067, P+Q = 0.747214
    #   s = 0.072358, h1 = 2.197225/0.747214 = 2.940554
    q = PRESETS["5/10 %"]
    assert q.s == pytest.approx(0.072358, abs=1e-6)
    assert q.h1 == pytest.approx(2.940554, abs=1e-5)
    # alpha != beta: h0 uses b = ln((1-alpha)/beta), h1 uses a = ln((1-beta)/alpha)
    r = CusumParams(0.10, 0.20, alpha=0.05, beta=0.20)
    assert r.h1 == pytest.approx(math.log(0.80 / 0.05) / 0.810930, abs=1e-5)      # 3.419
    assert r.h0 == pytest.approx(-math.log(0.95 / 0.20) / 0.810930, abs=1e-5)     # -1.921


def test_standard_cusum_values_crossing_and_relapse_by_hand():
    p = PRESETS["10/20 %"]
    s = 0.1452443
    seq = [False, False] + [True] * 30 + [False] * 4
    chart = standard_cusum(seq, p)
    # hand: two failures -> 2(1-s) = 1.709510; then each success -s
    assert chart.values[0] == pytest.approx(1 - s, abs=1e-5)
    assert chart.values[1] == pytest.approx(2 * (1 - s), abs=1e-5)
    assert chart.values[31] == pytest.approx(2 * (1 - s) - 30 * s, abs=1e-4)      # -2.647840
    # the competence limit h0 = -2.7095 below 0 is first reached after k successes with
    # 1.709510 - k s <= -2.709512  ->  k >= 4.419022/0.145245 = 30.42 -> never within 30 successes
    assert chart.competent_at is None and chart.state == "not yet competent"
    seq2 = [True] * 19 + [False] * 4
    c2 = standard_cusum(seq2, p)
    # 18 successes: -2.614 > h0; 19: -2.7597 <= -2.7095 -> competent at attempt 19
    assert c2.competent_at == 19
    # limits redrawn from -2.7597: failures add 0.854755; 3 -> +2.564 < h1, 4 -> +3.419 >= h1 = 2.7095
    assert c2.events == [(18, "competent"), (22, "relapse")]
    assert c2.state == "relapsed"


def test_four_early_failures_signal_unacceptable():
    c = standard_cusum([False] * 4, PRESETS["10/20 %"])
    # 3 x 0.854755 = 2.564 < 2.7095 <= 4 x 0.854755 = 3.419
    assert c.events == [(3, "unacceptable")] and c.state == "unacceptable"


def test_lc_cusum_by_hand():
    p = PRESETS["10/20 %"]
    s = 0.1452443
    seq = [True] * 4 + [False] + [True] * 19 + [False] * 4
    chart = lc_cusum(seq, p)
    # 4 successes: 4s = 0.580980; a failure: max(0, 0.580980 - 0.854755) = 0
    assert chart.values[3] == pytest.approx(4 * s, abs=1e-5)
    assert chart.values[4] == 0.0
    # then 19 successes reach 19 s = 2.759655 >= h = 2.709512 (18 s = 2.614410 does not)
    assert chart.values[22] == pytest.approx(18 * s, abs=1e-5)
    assert chart.competent_at == 24
    # the watching CUSUM after competence: 4 failures x 0.854755 = 3.419 >= 2.7095 (3 do not)
    assert chart.events == [(23, "competent"), (27, "relapse")]
    assert chart.values[-1] == pytest.approx(-4 * (1 - s), abs=1e-5)


def test_lc_false_signal_probability_by_enumeration():
    # with h = 3 s the chart needs 3 successes in a row from 0 (a failure from s or 2s drops to 0):
    # P(signal within 3 attempts | failure rate 0.2) = 0.8^3 = 0.512; within 4: + P(F S S S) = 0.2 * 0.512
    p = PRESETS["10/20 %"]
    h = 3 * p.s
    assert lc_false_signal_probability(p, h, 3) == pytest.approx(0.512, abs=1e-9)
    assert lc_false_signal_probability(p, h, 4) == pytest.approx(0.512 + 0.2 * 0.512, abs=1e-9)


def test_bad_parameters_are_refused():
    with pytest.raises(ParameterError, match="p1"):
        CusumParams(0.2, 0.1)
    with pytest.raises(ParameterError, match="alpha"):
        CusumParams(0.1, 0.2, alpha=1.5)
    with pytest.raises(ParameterError, match="outcome"):
        standard_cusum([True, "x"])


def test_trends_and_cohort_rows_by_hand():
    assert slope_per_attempt([1.0, 2.0, 4.0]) == pytest.approx(1.5)     # x = 1,2,3: sum dx dy / sum dx^2 = 3/2
    assert slope_per_attempt([None, 5.0]) is None
    atts = [attempt("b", f"b{i}", passed=i != 1, score=60.0 + 10 * i, dap=0.5 - 0.1 * i,
                    started=f"2026-01-0{i + 1}T00:00:00+00:00") for i in range(3)]
    prog = trainee_progress(atts)
    assert prog["pass_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert prog["metrics"]["dap"]["slope_per_attempt"] == pytest.approx(-0.1)
    assert prog["metrics"]["candidacy"]["slope_per_attempt"] is None
    rows = cohort_rows(atts + [attempt("a", "a0")])
    assert [r["trainee"] for r in rows] == ["a", "b"]
    assert rows[1]["score_trend_per_attempt"] == pytest.approx(10.0)
    text = cohort_csv(rows)
    head, a_row, b_row = text.strip().splitlines()
    assert head.startswith("trainee,attempts,passed,pass_rate") and "trend_dap" in head
    assert b_row.split(",")[:3] == ["b", "3", "2"]
