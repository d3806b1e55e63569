"""Tip-zone words (issue 13): the panel names the zone without alarming colour at a correct target.

Oracle: the synthetic L1 landmarks of scoring_streams (posterior wall y = 16.5, anterior wall
y = -16.5, depth 33 mm, midline x = 0): depth fraction (16.5 - y) / 33 by hand.
"""

import pytest
import scoring_streams as S

from trainer.core.scoring.tip_zone import tip_zone


@pytest.fixture(scope="module")
def lm():
    return S.landmarks()


def test_the_expert_target_near_the_midline_in_the_basivertebral_region_is_the_target(lm):
    z = tip_zone(lm, (2.0, -8.25, 0.0), "basivertebral_vein")       # (16.5 + 8.25) / 33 = 0.75
    assert z.level == "target" and z.third == "anterior third" and z.depth_fraction == pytest.approx(0.75)
    assert z.near_midline and z.basivertebral
    assert z.text == "anterior third of the body (0.75), near the midline, in the basivertebral venous region"


@pytest.mark.parametrize("y,third,level", [(12.0, "posterior third", "on the way"),    # 0.136
                                           (4.0, "middle third", "on the way"),        # 0.379
                                           (-1.0, "middle third", "near"),             # 0.530
                                           (-15.0, "anterior third", "near")])         # 0.955
def test_thirds_and_levels_by_depth(lm, y, third, level):
    z = tip_zone(lm, (7.0, y, 0.0), "cancellous")
    assert (z.third, z.level) == (third, level)
    assert "7 mm from the midline" in z.text and "basivertebral" not in z.text


@pytest.mark.parametrize("tissue,text,level", [("canal", "in the spinal canal", "danger"),
                                               ("foramen_left", "in a neural foramen", "danger"),
                                               ("disc", "in the disc", "caution"),
                                               # "in the pedicle left" until round 39 (the label's own name)
                                               ("pedicle_left", "in the left pedicle", "on the way"),
                                               ("pedicle_right", "in the right pedicle", "on the way"),
                                               ("muscle", "in the muscle", "on the way")])
def test_outside_the_body(lm, tissue, text, level):
    z = tip_zone(lm, (14.0, 24.0, 0.0), tissue)
    assert (z.text, z.level) == (text, level)


def test_through_the_anterior_cortex_is_danger(lm):
    assert tip_zone(lm, (0.0, -18.0, 0.0), "soft_tissue").level == "danger"


@pytest.mark.parametrize("y,shown,third,level", [
    # round 42's first-use walk: "middle third of the body (0.67)" beside the hint "bring it to 0.67-0.90"
    (-5.445, "0.66", "middle third", "near"),          # (16.5 + 5.445) / 33 = 0.665: under the target band
    (-5.643, "0.67", "anterior third", "target"),      # 0.671: inside
    (-13.5, "0.91", "anterior third", "near"),         # 0.9091 -> 0.91 as before
    (-13.2495, "0.91", "anterior third", "near"),      # 0.90150: past the band, read 0.90 before
    (-13.167, "0.90", "anterior third", "target"),     # 0.899: inside
    (0.165, "0.49", "middle third", "on the way")])    # 0.495: under the near band's 0.50
def test_the_fraction_shown_never_rounds_across_a_band_edge(lm, y, shown, third, level):
    z = tip_zone(lm, (0.0, y, 0.0), "cancellous")
    assert z.depth_fraction == pytest.approx((16.5 - y) / 33.0)
    assert (z.third, z.level) == (third, level)
    assert z.text == f"{third} of the body ({shown}), near the midline", z.text


@pytest.mark.parametrize("tissue", ["body_cortex", "cortex"])
def test_a_tip_in_the_body_cortex_at_the_target_depth_is_not_the_target(lm, tissue):
    """Round 44's walk on the abdominal L3: the tip at 0.75 of the depth lay in the body's cortex (21 mm left of the midline, by
    the inferior disc) and the panel read green "anterior third of the body (0.75)"; 9 pushes put 0.03 mL in, all
    to the disc.  The user guide colours cortex amber ("on the way"); the same point in cancellous bone is the target.
    Depth by hand: (16.5 + 8.25) / 33 = 0.75."""
    z = tip_zone(lm, (7.0, -8.25, 0.0), tissue)
    assert z.level == "on the way" and z.third == "anterior third"
    assert z.text == "anterior third of the body (0.75), in its cortex (a wall or an endplate), 7 mm from the midline"
    assert tip_zone(lm, (7.0, -8.25, 0.0), "cancellous").level == "target"


def test_the_posterior_wall_s_cortex_on_the_way_in_is_not_called_a_wall(lm):
    """Passing the posterior wall the tip is in the body's cortex too: that is the way in, said as before."""
    z = tip_zone(lm, (7.0, 15.5, 0.0), "body_cortex")                # (16.5 - 15.5) / 33 = 0.03
    assert z.text == "posterior third of the body (0.03), 7 mm from the midline" and z.level == "on the way"
