"""The turned abdomen's levels whose body's back was labelled as pedicle are said at import (issue 12; realct-log pass
121 of round 26, turned26).

After pass 108 six turned lumbar levels had body Dice under 0.8 against the mask and no import warning.  At three of
them the labelling's threshold step read the posterior wall forward (L3 turned -5 and -10 deg: 12.5 and 14.0 mm
behind the centre, the step above read 22.5): the back of the body was labelled as two pedicles holding 0.48 and 0.36
of the body's volume (at L1 turned +20 deg 0.24, the left half of the body missing: under the 0.3 bound, which the
synthetic phantom's right labels reach, 0.25, tests/core/scenario/test_ct_plausible_phantom.py).  Oracle: the mask
turned the same way (``realct_rotate.turned_reference``): the labelled body's Dice against the mask's body, under 0.8
where the import must warn, 0.8 or more where it must not (L4 turned +15 deg, the good level whose pedicles hold the
most of its body, 0.18).  Since pass 146 (round 29) L3 turned -5 deg is no longer labelled so: the threshold step whose
body section was narrower than its pedicle centres lie apart is refused (``ct_patient._section_passes``),
and the step kept labels a body of 33.0 mL (the mask's 39.9, Dice 0.60 -> 0.77) with pedicles of 0.47 / 0.56 mL, no warning.
"""

from __future__ import annotations

import pytest
from realct_rotate import turned_labelled

from trainer.core.scenario.ct_plausible import estimated_labels_note

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("angle_deg", "level"), [(-10.0, "L3")])
def test_turned_body_labelled_as_pedicle_at_its_back_is_said(totalseg_ct, angle_deg, level):
    patient, dice, text = turned_labelled(totalseg_ct, angle_deg, level)
    turn = f"{level} turned {angle_deg:+.0f} deg"
    assert dice < 0.8, f"the oracle: {turn} is labelled off the mask (Dice {dice:.2f}, {text})"
    note = estimated_labels_note(patient.volume.labels, patient.volume.grid, level)
    assert "its pedicles hold" in note, f"{turn}, body Dice {dice:.2f} ({text}): {note!r}"


def test_turned_level_labelled_on_its_body_is_not_warned_for_its_pedicles(totalseg_ct):
    """Guard: L4 turned +15 deg (body Dice 0.83; its pedicles hold 0.18 of its body; since pass 156 labelled in its
    own frame, body Dice 0.88, pedicle Dice 0.67 / 0.56) warns nothing."""
    patient, dice, text = turned_labelled(totalseg_ct, 15.0, "L4")
    assert dice >= 0.8, f"the oracle: L4 turned +15 deg is labelled on the mask (Dice {dice:.2f}, {text})"
    assert estimated_labels_note(patient.volume.labels, patient.volume.grid, "L4") == ""
