"""The calibration bands (the full table: benchmarks/cement_calibration.py, docs/cement.md).

Each row runs the protocol of trainer/core/procedure/cement/calibration.py on a built-in
case; the oracles are the published series (FACTS.md 3.3, 3.5 and 4).  The three rows the
viscosity contrasts and the leak mix are read from, and the other-level rows, run on the
table's 60 seeds (on 20 seeds a binomial rate near 0.8 has a standard error of about 0.09, as
wide as the contrasts); the others on 20 seeds, with bands widened for that.
"""

import os

import numpy as np
import pytest

from trainer.core.procedure.cement.calibration import odds_ratio, run_conditions

SEEDS = range(20)
TABLE_SEEDS = range(60)              # the docs table's seeds
FULL = ("expert", "high_viscosity", "runny_2min", "l4_fill_15pct", "l3_crush", "cleft", "t11_bipedicular",
        "t12_bipedicular")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rows():
    names = ("expert", "high_viscosity", "low_viscosity", "runny_2min", "off_midline_7mm", "endplate_crack",
             "posterior_wall_defect", "withdraw_posterior_quarter", "large_bv_vein", "cleft", "l4_fill_15pct",
             "l3_crush", "t11_bipedicular", "t12_bipedicular")
    # the runs are independent and seeded each by its own number: two worker processes give the same
    # rates as one (tests/core/cement/test_calibration_jobs.py); only the expert row's reader at 3 mL is read
    # here, so it is measured there only (the same figures as with it measured at every mL: the jobs test)
    return run_conditions({n: TABLE_SEEDS if n in FULL else SEEDS for n in names}, jobs=min(2, os.cpu_count() or 1),
                          reader_rows={"expert"}, reader_ml=(3.0,))


def test_expert_leaks_like_the_ct_series_without_canal_or_foramen(rows):
    at3 = rows["expert"]["at_ml"][3.0]
    assert 0.547 <= at3["any"] <= 0.85                  # CT series, no cleft: 76.3 %; pooled PVP 54.7 %
    assert at3["S"] > at3["B"] > at3["C"] > at3["D"]    # 52.5 > 31.7 > 12.2 > 6.5 %
    assert at3["canal"] == 0.0 and at3["foramen"] == 0.0
    assert rows["expert"]["conservation_max_ml"] < 1e-6


def test_a_radiograph_shows_fewer_leaks_than_ct_like_the_radiograph_series(rows):
    at3 = rows["expert"]["at_ml"][3.0]
    # radiograph series 32.5-35.5 %; CT found 1.5 times as many leaks as radiographs (Yeom 2003)
    assert 0.15 <= at3["visible"] <= 0.55
    assert at3["visible"] < at3["any"]


def test_the_model_reader_shows_radiographs_missing_leaks_as_in_yeoms_series(rows):
    """The reader measured on the rendered shots (docs/cement.md, "A measured reader") against Yeom 2003
    (FACTS.md 4): CT found 74 leaks where the radiographs showed 49 (1.51 times as many); a lateral missed
    or underestimated 93 % of B and 86 % of S leaks.  60 seeds: about 70 CT-counted leak types."""
    at3 = rows["expert"]["at_ml"][3.0]
    assert 1.2 <= at3["ct_per_radiograph_leak"] <= 2.0
    assert at3["lateral_seen_share"]["B"] <= 0.25
    assert at3["lateral_seen_share"]["S"] <= 0.45
    assert at3["visible_reader"] < at3["any"]


def test_leaks_rise_with_volume(rows):
    at = rows["expert"]["at_ml"]
    series = [at[v]["any"] for v in (1.0, 2.0, 3.0, 4.0)]
    assert all(b >= a for a, b in zip(series, series[1:])) and series[3] > series[0]


def test_high_viscosity_odds_ratio_and_runny_cement(rows):
    e, h, lo, r = (rows[n]["at_ml"][3.0]["any"] for n in ("expert", "high_viscosity", "low_viscosity", "runny_2min"))
    n = len(TABLE_SEEDS)
    assert 0.14 <= odds_ratio(h, e, n, n) <= 0.39         # meta-analysis OR 0.23 (0.14-0.39)
    assert h < lo
    # runny cement is clearly worse than paste (Zhan 2017: low viscosity OR 3.32) but not certain to leak
    assert odds_ratio(r, e, n, n) >= 2.0 and r < 1.0
    assert rows["runny_2min"]["at_ml"][3.0]["canal"] <= 0.1    # and seldom into the canal (was 93 %)


def test_a_tip_7mm_off_the_midline_does_not_leak_epidurally_in_the_first_half_millilitre(rows):
    at = rows["off_midline_7mm"]["at_ml"][0.5]
    assert at["canal"] == 0.0 and at["foramen"] == 0.0


def test_defects_keep_their_specific_risks(rows):
    e3 = rows["expert"]["at_ml"][3.0]
    assert rows["endplate_crack"]["at_ml"][3.0]["D"] >= max(0.3, 2 * e3["D"])
    # the wall defect puts cement in the canal; the intact body injected the same way does not
    assert rows["posterior_wall_defect"]["at_ml"][4.0]["canal"] > rows["withdraw_posterior_quarter"]["at_ml"][4.0][
        "canal"] == 0.0
    # a cleft: more disc and cortical leaks than the body without one (CT series: D 16.5 vs 6.5 %, C 25.9 vs 12.2 %)
    cleft = rows["cleft"]["at_ml"][3.0]
    assert cleft["D"] > e3["D"] and cleft["C"] + cleft["D"] > e3["C"] + e3["D"]


def test_a_cleft_leaks_like_the_ct_cleft_series(rows):
    # PMC8449924, 139 fractures with a cleft: any 67.6 %; the band is about two binomial standard errors
    # at 60 seeds (0.06) either side.  Was 87 % (the cleft lay on the basivertebral branches, round 8).
    cleft, e3 = rows["cleft"]["at_ml"][3.0], rows["expert"]["at_ml"][3.0]
    assert 0.55 <= cleft["any"] <= 0.80
    # fewer venous leaks than without a cleft (B 20.9 vs 31.7 %, S 24.5 vs 52.5 %)
    assert cleft["S"] < e3["S"] and cleft["B"] <= e3["B"]


def test_a_large_basivertebral_vein_leaks_b_but_the_expert_keeps_cement_out_of_the_canal(rows):
    bv = rows["large_bv_vein"]["at_ml"][3.0]
    assert bv["B"] > rows["expert"]["at_ml"][3.0]["B"]
    assert bv["canal"] == 0.0 and bv["foramen"] == 0.0
    # its B cement lies in the vein at the posterior wall: a few tenths of a mL there do not heat the canal
    # wall past 45 C (FACTS 3.5: goat vertebrae, 0.8 mL reached 44.6 C at the interface); was 47 % of runs
    assert bv["canal_c_over_45"] <= 0.1


def test_canal_wall_heat_matches_the_documented_data(rows):
    at3 = rows["expert"]["at_ml"][3.0]
    assert at3["canal_c_mean"] <= 43.2                   # Int Orthop 2012: <= 43.2 C with correct technique
    assert at3["canal_c_over_45"] <= 0.1
    defect = rows["posterior_wall_defect"]["at_ml"][4.0]
    assert defect["canal_c_mean"] > at3["canal_c_mean"] + 2.0
    assert np.isfinite(defect["canal_c_mean"]) and defect["canal_c_mean"] < 70.0   # ex vivo canal 39-57 C; leak 59 +/- 8
    # 4 mL taken to the posterior quarter of the intact body heats the canal past the 45 C limit
    assert rows["withdraw_posterior_quarter"]["at_ml"][4.0]["canal_c_over_45"] >= 0.5


def test_other_lumbar_levels_leak_within_the_band_of_the_default_case(rows):
    # Zhan 2017 (22 studies): level is not a significant risk factor, so the same technique (tip at 0.75
    # of the depth, 15 % of the body volume) belongs in the L1 band (0.547-0.85) widened by about two
    # binomial standard errors at 60 seeds: 0.45-0.90.  Was 28 % at L4 (the veins it met did not drain).
    # T11 and T12 done as their scenarios are (bipedicular, 1.5 mL a side): 92 and 93 % until round 8, when
    # the venous channels were painted in the middle of each hemi-body, where those tips go.
    for name in ("l4_fill_15pct", "l3_crush", "t11_bipedicular", "t12_bipedicular"):
        at = rows[name]["at_ml"]
        last = at[max(at)]
        assert 0.45 <= last["any"] <= 0.90, (name, last["any"])
        assert last["S"] + last["B"] > 0.2, name          # venous leaks at these levels too (was S 5 %, B 3 % at L4)
        assert last["canal"] == 0.0 and last["foramen"] == 0.0
