"""Scenario files: every malformed case is one clear error naming file:line, field, value and
what is allowed (exit status 2, no traceback); no NaN or infinity passes a range (issue 18).

Each case edits one line of the default scenario (or builds a hostile file); the oracle is
the command's exit status and the message: the field named, the line of the field in the
file, and a single line of text.  Listed in docs/bad-input.md ("Scenario files").
"""

import re

import pytest

from trainer import SCENARIOS_DIR
from trainer.cli import main

BASE = (SCENARIOS_DIR / "l1-wedge-default.toml").read_text(encoding="utf-8")


def _edit(old, new):
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def _append(text):
    return BASE + "\n" + text + "\n"


BIG = "9" * 5000
#: (case id, file text, a word the message must contain)
CASES = [
    # non-finite numbers: TOML has nan and inf literals
    ("inr_nan", _edit("inr = 1.0", "inr = nan"), "inr"),
    ("inr_inf", _edit("inr = 1.0", "inr = inf"), "inr"),
    ("inr_minus_inf", _edit("inr = 1.0", "inr = -inf"), "inr"),
    ("fasting_nan", _edit("fasting_hours = 8", "fasting_hours = nan"), "fasting_hours"),
    ("trabecular_nan", _edit("trabecular_hu = 95", "trabecular_hu = nan"), "trabecular_hu"),
    ("trabecular_inf", _edit("trabecular_hu = 95", "trabecular_hu = +inf"), "trabecular_hu"),
    ("roll_nan", _append("patient_roll_deg = nan"), "patient_roll_deg"),
    ("roll_inf", _append("patient_roll_deg = inf"), "patient_roll_deg"),
    ("kvp_ap_nan", _append("kvp_ap = nan"), "kvp_ap"),
    ("sid_nan", _append("sid_mm = nan"), "sid_mm"),
    ("retropulsion_nan", _edit("retropulsion_mm = 0", "retropulsion_mm = nan"), "retropulsion_mm"),
    ("grade_nan", _edit("grade = 2", "grade = nan"), "grade"),
    ("crp_nan", _edit("crp_mg_l = 4", "crp_mg_l = nan"), "crp_mg_l"),
    ("wbc_inf", _edit("wbc_per_nl = 6.8", "wbc_per_nl = inf"), "wbc_per_nl"),
    ("med_days_nan", _edit("last_dose_days_ago = 4", "last_dose_days_ago = nan"), "last_dose_days_ago"),
    ("height_loss_nan", _edit("morphology = \"wedge\"", "morphology = \"wedge\"\nheight_loss = nan"), "height_loss"),
    # the detector's real range: kVp the detector refuses must be refused when the file is read
    ("kvp_ap_below_detector", _append("kvp_ap = 45"), "kvp_ap"),
    ("kvp_lateral_above", _append("kvp_lateral = 200"), "kvp_lateral"),
    # [cement.overrides]: every product parameter range-checked
    ("override_nan", _append("[cement.overrides]\nrunny_until_min = nan"), "cement.overrides"),
    ("override_negative", _append("[cement.overrides]\nrunny_until_min = -5"), "cement.overrides"),
    ("override_huge", _append("[cement.overrides]\npeak_temperature_c = 1e300"), "cement.overrides"),
    ("override_string", _append("[cement.overrides]\nbaso4_powder_wt = \"soft\""), "cement.overrides"),
    ("override_unknown", _append("[cement.overrides]\nmagic = 1"), "magic"),
    # [targets]: NaN bands
    ("target_cement_nan", _append("[targets]\ncement_ml_min = nan"), "cement_ml_min"),
    ("target_depth_inf", _append("[targets]\ntip_depth_max = inf"), "tip_depth_max"),
    ("target_fill_nan", _append("[targets]\nfill_percent_min = nan"), "fill_percent_min"),
    ("target_band_nan", _append("[targets.ap_orbital_error]\npass = [nan, 2.0]"), "ap_orbital_error"),
    ("target_band_reversed_inf", _append("[targets.ap_orbital_error]\npass = [inf, 2.0]"), "ap_orbital_error"),
    ("target_weight_nan", _append("[targets.ap_orbital_error]\nweight = nan"), "weight"),
    ("target_weight_string", _append("[targets.ap_orbital_error]\nweight = \"high\""), "weight"),
    ("target_band_three", _append("[targets.ap_orbital_error]\npass = [1, 2, 3]"), "ap_orbital_error"),
    # huge numbers and integers
    ("seed_5000_digits", _edit("seed = 7", f"seed = {BIG}"), "seed"),
    ("age_5000_digits", _edit("age_years = 74", f"age_years = {BIG}"), "age_years"),
    ("inr_1e400", _edit("inr = 1.0", "inr = 1e400"), "inr"),
    ("seed_huge", _edit("seed = 7", "seed = 99999999999999999999"), "seed"),
    ("seed_float", _edit("seed = 7", "seed = 7.5"), "seed"),
    ("seed_string", _edit("seed = 7", "seed = \"7\""), "seed"),
    ("seed_bool", _edit("seed = 7", "seed = true"), "seed"),
    ("platelets_float", _edit("platelets_per_ul = 245000", "platelets_per_ul = 245000.5"), "platelets_per_ul"),
    ("age_negative", _edit("age_years = 74", "age_years = -74"), "age_years"),
    ("pain_array", _edit("pain_nrs = 8", "pain_nrs = [8]"), "pain_nrs"),
    ("inr_table", _edit("inr = 1.0", "inr = {value = 1.0}"), "inr"),
    ("inr_date", _edit("inr = 1.0", "inr = 1979-05-27"), "inr"),
    # parser limits
    ("deep_arrays", _append("[targets]\nx = " + "[" * 5000 + "]" * 5000), "nest"),
    ("deep_inline_tables", _append("[targets]\nx = " + "{a = " * 3000 + "1" + "}" * 3000), "nest"),
    ("long_line", _edit("description = ", "description = \"" + "a" * 2_000_000 + "\"\nx_description = "), "long"),
    ("many_lines", BASE + "#\n" * 200_001, "lines"),
    ("nul_byte", _edit("inr = 1.0", "inr = 1.0\0"), "TOML"),
    ("not_utf8", None, "UTF-8"),
    ("empty_file", "", "scenario"),
    ("binary_garbage", "\x89PNG\r\n\x1a\n\x00\x00", "TOML"),
    ("duplicate_key", _edit("inr = 1.0", "inr = 1.0\ninr = 1.2"), "TOML"),
    ("duplicate_section", _append("[patient.labs]\ninr = 1.0"), "TOML"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_a_bad_scenario_is_one_clear_error(tmp_path, capsys, case):
    name, text, word = case
    path = tmp_path / f"{name}.toml"
    if text is None:
        path.write_bytes(BASE.encode("utf-8").replace(b"Retired", b"Retir\xe9d\xff"))
    else:
        path.write_text(text, encoding="utf-8")
    rc = main(["scenarios", "validate", str(path)])
    out, err = capsys.readouterr()
    assert rc == 2, out
    assert "Traceback" not in err and len(err) < 2000
    assert str(path) in err and word.lower() in err.lower()
    first = err.splitlines()[0]
    assert re.search(re.escape(str(path)) + r"(:\d+)?:", first)
