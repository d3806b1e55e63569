"""The too-medial line on the abdominal L4 against the TotalSegmentator mask (round 25, pass 112).

Pass 109 left the abdominal L4's 12 deg too-medial attempt passing (98.0) where the angiogram T12's failed.
``benchmarks/realct_medial_sweep.py`` measures each line against the reference mask's pedicle; this file
checks that oracle on a hand-built mask (its answer computed by hand), then guards the L4 finding with it: the
scoring passes or fails a too-medial line as the mask's Gertzbein-Robbins grade says (2 mm tolerance, FACTS.md 2).
Until round 28 the left line turned 12 deg medially stayed within the tolerance and passed; since the arch's
marrow is bone (pass 136) the expert's left line, and with it that line, moved and it leaves the mask by 2.2 mm and
fails, as the 15 deg one on the right does.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_sources as sources
from bench_loader import load_benchmark
from realct_cases import scenario_from_series

sweep = load_benchmark("realct_medial_sweep")


class _Grid:
    """1 mm voxels, x and y from -20 to 20 mm, z from 0 to 4 mm."""

    spacing_xyz_mm = (1.0, 1.0, 1.0)

    def axis_mm(self, axis: str) -> np.ndarray:
        return np.arange(0.0, 5.0) if axis == "z" else np.arange(-20.0, 21.0)


class _Ref:
    def __init__(self, pedicle_left):
        self.pedicle_left = pedicle_left
        self.canal_xy_mm = np.array([0.0, 5.0])


def test_the_mask_oracle_measures_a_hand_built_pedicle():
    g = _Grid()
    x, y = g.axis_mm("x"), g.axis_mm("y")
    X, Y = np.meshgrid(x, y)
    ring = ((Y < 0) & (np.abs(X) <= 10)) | ((Y >= 0) & (Y <= 10) & (np.abs(X) >= 5) & (np.abs(X) <= 10)) \
        | ((Y > 10) & (Y <= 14) & (np.abs(X) <= 10))
    labels = np.repeat(ring[None], 5, axis=0).astype(np.uint8)
    ped = np.repeat(((Y >= 0) & (Y <= 5) & (X >= 5) & (X <= 10))[None], 5, axis=0)
    # a line at x = 3 mm: the left pedicle's most medial voxel is centred at 5, its edge at 4.5 -> 1.5 mm medial
    pts = np.array([[3.0, yy, 2.0] for yy in np.arange(8.0, -3.0, -0.25)])
    got = sweep.mask_oracle(labels, g, 1, _Ref(ped), "left", pts)
    assert got["axis_mm"] == pytest.approx(1.5) and got["canal"]
    # at x = 7 mm the line runs inside the pedicle, 2.5 mm lateral of that edge, and never in the hole
    got = sweep.mask_oracle(labels, g, 1, _Ref(ped), "left", pts + [4.0, 0.0, 0.0])
    assert got["axis_mm"] == pytest.approx(-2.5) and not got["canal"]
    assert [sweep.gr_grade(v) for v in (-0.1, 0.5, 2.0, 4.0, 4.1)] == [0, 1, 2, 2, 3]


@pytest.mark.slow
def test_the_l4_left_12_and_right_15_deg_lines_fail_as_the_mask_grades_them(totalseg_ct, totalseg_series):
    sc, patient, ref = scenario_from_series(totalseg_ct, totalseg_series, "L4", "medial-sweep-L4.toml")
    label = sources.VERTEBRA_LABELS["L4"]
    left = sweep.play(sc, patient, "left", 12.0, totalseg_ct.labels, totalseg_ct.grid, label, ref)
    # round 28 (realct-log pass 136): the arch's marrow labelled bone moved the left expert line (128 -> 135 mm
    # from the skin), and with it this line, to 2.2 mm past the mask's medial edge (it was inside the 2 mm
    # tolerance and passed): the scoring follows the mask either way
    assert left["outer_mm"] > 2.0 and left["mask_grade"] >= 2, left
    assert not left["passed"] and "medial_wall" in left["rules"], left
    right = sweep.play(sc, patient, "right", 15.0, totalseg_ct.labels, totalseg_ct.grid, label, ref)
    assert right["outer_mm"] > 2.0 and right["mask_grade"] >= 2, right
    assert not right["passed"] and "medial_wall" in right["rules"], right


@pytest.mark.slow
def test_the_l4_right_12_deg_line_past_the_mask_at_the_concave_corner_fails_the_medial_wall_rule(totalseg_ct,
                                                                                                totalseg_series):
    """Pass 112's finding (3): this line leaves the mask's pedicle by 3.2 mm (outer surface) in the corner where
    the pedicle meets the body's concave back wall, 1.9 mm in front of the flat published wall; the rule now
    stops at the body's dense back wall in that column and fails it (it passed, 86.0, with a grazing warning)."""
    sc, patient, ref = scenario_from_series(totalseg_ct, totalseg_series, "L4", "medial-sweep-L4.toml")
    label = sources.VERTEBRA_LABELS["L4"]
    right = sweep.play(sc, patient, "right", 12.0, totalseg_ct.labels, totalseg_ct.grid, label, ref)
    assert right["outer_mm"] > 2.0 and right["mask_grade"] >= 2, right       # the oracle: grade 2 on the mask
    assert not right["passed"] and "medial_wall" in right["rules"], right


@pytest.mark.slow
def test_the_l3_right_12_deg_line_breaks_the_pedicle_in_3d_and_fails_canal_breach_not_medial_wall(totalseg_ct,
                                                                                                   totalseg_series):
    """Round 26 (docs/scoring.md, "A 3-D medial breach ..."): this line leaves the mask's pedicle by 2.8 mm (outer
    surface, Gertzbein-Robbins grade 2 by hand from FACTS.md 2) while on AP its tip reaches the posterior body wall
    only grazing the medial wall line: the attempt fails for the canal (a grade-2 medial wall breach graded by the
    product too), and the AP-only medial-wall rule is not what broke.  Guards behaviour already right."""
    sc, patient, ref = scenario_from_series(totalseg_ct, totalseg_series, "L3", "medial-sweep-L3.toml")
    right = sweep.play(sc, patient, "right", 12.0, totalseg_ct.labels, totalseg_ct.grid, sources.VERTEBRA_LABELS["L3"],
                       ref)
    assert 2.0 <= right["outer_mm"] <= 4.0 and right["mask_grade"] == 2, right    # the oracle: grade 2 on the mask
    assert right["rules"] == ["canal_breach"] and not right["passed"], right
    assert right["worst"][:2] == (2, "pedicle_medial"), right                     # the product grades it the same
