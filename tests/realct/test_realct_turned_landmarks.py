"""The turned abdomen's estimated landmarks: import-ct says when they label no vertebra (issue 12; realct-log pass 102
of round 24, turnedlm).

Since pass 97 (round 24) the abdominal CT (3 mm) turned about the long axis is numbered T12-L5 as the mask, so
``import-ct --level`` estimates the landmarks from the column's point, and at many turns that estimate labels no
vertebra (turned -15 deg, L2's body 0.2 mL between endplates 3 mm apart; body Dice 0.01 against the mask).  Until
then a thin series was not labelled at import and nothing was said.  Oracle: the TotalSegmentator mask turned the
same way (``realct_rotate.turned_reference``): the body labelled from the written landmarks, sampled on the CT grid,
against the mask's body (Dice).  The warning itself reads the labels only (``ct_plausible.estimated_labels_note``).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources
from realct_rotate import rotated, turned_reference

from trainer.cli import main
from trainer.core.anatomy.ct_patient import patient_from_ct
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.anatomy.labels import body_mask
from trainer.core.scenario.loader import load_scenario

pytestmark = pytest.mark.slow


def _import(ct, level, tmp_path, capsys):
    """(stderr of import-ct --level on ``ct`` written as DICOM, body Dice of its landmarks against the mask)."""
    folder = tmp_path / "series"
    if not folder.exists():
        sources.write_dicom(ct, folder)
    out = tmp_path / f"{level}.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", level, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    sc = load_scenario(out)
    lm = dict(sc.ct.landmarks)
    patient = patient_from_ct(read_ct_series(folder), lm, level)
    k, j, i = np.nonzero(ct.labels == sources.VERTEBRA_LABELS[level])
    box = tuple(slice(max(0, a.min() - 3), min(n, a.max() + 4)) for a, n in zip((k, j, i), ct.labels.shape))
    lab = reference.labels_on_ct(patient, lm["body_centre_mm"], ct.grid, box)
    return err, lab, box


# -10 deg L3 (body Dice 0.39 until round 25) is labelled on the mask's body since pass 108 (0.75, no warning):
# test_turned_l3_at_minus_10_deg_is_labelled_on_its_body below.  -15 deg L1 labelled no vertebra until round 39
# (body Dice 0.33, "the estimated landmarks do not label the L1 vertebra"); since pass 193 it is labelled 20 HU under
# the series' threshold, its body on the mask's and its pedicles still off it, and that is said
@pytest.mark.parametrize(("angle_deg", "level"), [(-15.0, "L1")])
def test_turned_estimate_labelled_under_the_threshold_is_said(totalseg_ct, tmp_path, capsys, angle_deg, level):
    ct = rotated(totalseg_ct, angle_deg, "L3")
    err, lab, box = _import(ct, level, tmp_path, capsys)
    ref = turned_reference(totalseg_ct, angle_deg, "L3", level)
    body, left, right = reference.label_dices(lab, ref, box)
    assert body >= 0.8, body                      # the oracle: the body is the mask's (0.33 before pass 193) ...
    assert min(left, right) < 0.3, (left, right)  # ... its pedicle labels are not: what the warning asks to check
    assert f"warning: the {level} vertebra is labelled at " in err and "check the pedicles" in err, err


def test_turned_estimate_that_labels_the_vertebra_is_not_flagged(totalseg_ct, tmp_path, capsys):
    ct = rotated(totalseg_ct, -10.0, "L3")
    err, lab, box = _import(ct, "L4", tmp_path, capsys)
    ref = turned_reference(totalseg_ct, -10.0, "L3", "L4")
    assert reference.dice(body_mask(lab), ref.body[box]) >= 0.8
    assert "warning" not in err, err


def test_turned_l3_at_minus_10_deg_is_labelled_on_its_body(totalseg_ct, tmp_path, capsys):
    """-10 deg L3: until round 25 its estimate labelled no vertebra (body Dice 0.39, warned); since pass 108 the
    labelling keeps only a body-shaped threshold step and the body lies on the mask's (measured 0.75, still under
    0.8 and not warned: one of the six poor unwarned turned levels of the round's note).  A guard that it stays on
    the body (the turned mask as oracle)."""
    ct = rotated(totalseg_ct, -10.0, "L3")
    _, lab, box = _import(ct, "L3", tmp_path, capsys)
    ref = turned_reference(totalseg_ct, -10.0, "L3", "L3")
    assert reference.dice(body_mask(lab), ref.body[box]) >= 0.7


def test_show_repeats_the_import_warning_until_the_landmarks_are_checked(totalseg_ct, tmp_path, capsys):
    """The scenario file says to check its estimated landmarks with ``scenarios show``; until round 35 ``show`` printed
    them without the import's warning, so a colleague given the file (or the instructor the next day) was not told
    that they label no vertebra (since pass 193: that a pedicle is labelled off the bone).  Oracle: the turned mask (a
    pedicle label is not its pedicle, as in the test above);
    once the instructor has checked the landmarks (``[ct] estimated`` emptied) the warning is no longer repeated."""
    ct = rotated(totalseg_ct, -15.0, "L3")
    err, lab, box = _import(ct, "L1", tmp_path, capsys)
    ref = turned_reference(totalseg_ct, -15.0, "L3", "L1")
    assert min(reference.label_dices(lab, ref, box)[1:]) < 0.3       # a pedicle labelled off the mask's
    warned = [ln.split("warning: ", 1)[1] for ln in err.splitlines() if "warning: " in ln]
    assert warned, err
    out_file = tmp_path / "L1.toml"
    assert main(["scenarios", "show", str(out_file)]) == 0
    shown = capsys.readouterr().out
    for w in warned:
        assert f"  warning: {w}" in shown, shown
    assert "still as estimated (not yet checked; [ct] estimated): body_centre_mm," in shown, shown
    assert main(["scenarios", "show", str(out_file), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ct"]["warnings"] == warned
    assert len(data["ct"]["estimated"]) == 5
    text = out_file.read_text(encoding="utf-8")
    checked = re.sub(r"(?m)^estimated = \[.*\]$", "estimated = []", text)
    assert checked != text
    out_file.write_text(checked, encoding="utf-8")
    assert main(["scenarios", "show", str(out_file)]) == 0
    assert "warning" not in capsys.readouterr().out
