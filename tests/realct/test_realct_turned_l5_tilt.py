"""A turned patient's lordotic L5 labelled as the tilted body it is (issue 12; docs/realct-log.md, round 27, warn27).

On the abdominal CT turned about its long axis, the labels' plate tilt of L5 (``ct_plates.plate_tilt_deg``: the
Theil-Sen median of the columns' endplate slopes) read 0.0 deg at -15, -10, -5, +15 and +20 deg where the unturned
L5 reads 26.6 (the turned mask's plates 24-32): most columns behind the centre found both plates half a slice from
their start, the body was labelled as an upright prism while the mask's leans forward, and no warning said so (body
Dice 0.72-0.76).  The labels now take the tilt at which the plates line up sharpest (``focused_tilt_deg``) where
the median reads under ``TILTED_DEG``.  Oracle: the TotalSegmentator mask turned the same way
(``realct_rotate.turned_reference``) and its plates' inclination (principal axis), independent of our code.
"""

from __future__ import annotations

import pytest
from realct_rotate import rotated, turned_labelled
from test_realct_expert_tilt import reference_plate_inclination_deg

from trainer.core.anatomy.ct_plates import TILTED_DEG

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("angle_deg", [-15.0, -5.0, 15.0])
def test_turned_l5_is_labelled_along_its_plates(totalseg_ct, angle_deg):
    """The turned mask's L5 plates tilt past ``TILTED_DEG`` (the oracle); the tilt the labels use (the patient's
    ``plate_tilt_deg``) is past it too and within 10 deg of the mask's principal-axis inclination (b160e72: 0.0 at
    all three; the unturned L5's 26.6 against the mask's 32.1, whose two plates tilt 24 and 32), and at -5 deg our labelled
    body overlaps the mask's with Dice 0.8 or more (b160e72: 0.76, labelled upright; -15 and +15 deg rise from
    0.72 / 0.73 to 0.79 / 0.77: their estimated inferior endplate still lies a slice or two high)."""
    mask_tilt = reference_plate_inclination_deg(rotated(totalseg_ct, angle_deg, "L3"), "L5")
    assert mask_tilt >= TILTED_DEG, f"the oracle: the turned mask's L5 plates at {mask_tilt:.1f} deg"
    patient, dice, text = turned_labelled(totalseg_ct, angle_deg, "L5")
    ours = patient.volume.meta.get("plate_tilt_deg")
    assert ours is not None and ours >= TILTED_DEG and abs(ours - mask_tilt) <= 10.0, (
        f"L5 turned {angle_deg:+.0f} deg: the labels' tilt {ours} deg, the mask's {mask_tilt:.1f} (body Dice "
        f"{dice:.2f}, {text})")
    if angle_deg == -5.0:
        assert dice >= 0.8, f"L5 turned {angle_deg:+.0f} deg, body Dice {dice:.2f} ({text})"


def test_turned_l4_under_the_tilt_stays_upright(totalseg_ct):
    """Guard: L4 turned -15 deg (the mask's plates under ``TILTED_DEG``; the focused tilt reads it 18 deg) keeps
    its labels: body Dice 0.87 on b160e72 and here."""
    mask_tilt = reference_plate_inclination_deg(rotated(totalseg_ct, -15.0, "L3"), "L4")
    assert abs(mask_tilt) < TILTED_DEG, f"the oracle: the turned mask's L4 plates at {mask_tilt:.1f} deg"
    _, dice, text = turned_labelled(totalseg_ct, -15.0, "L4")
    assert dice >= 0.85, f"L4 turned -15 deg, body Dice {dice:.2f} ({text})"
