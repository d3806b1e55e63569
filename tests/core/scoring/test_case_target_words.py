"""A scenario that moves a metric's pass band says its own band in the report's target words.

The round's first-time walk imported the abdominal L3 (its scenario's ``[targets] cement_ml_max = 6.0``, the lumbar
maximum), played the expert plan (5.75 mL) and read the debrief's cement row: "target: 2.5-4 mL for an osteoporotic
fracture; ..." beside a PASS (docs/realct-log.md pass 196).  The words are the table's (assets/scoring_targets.toml),
the band the scenario's.  Oracle: the table read here with tomllib and the scenario files' own numbers.
"""

from __future__ import annotations

import scoring_streams as S
import tomllib

from trainer import ASSETS_DIR, SCENARIOS_DIR
from trainer.core.scenario.loader import load_scenario
from trainer.core.scenario.targets import load_targets
from trainer.core.scoring import build_context, score_events

TABLE = tomllib.loads((ASSETS_DIR / "scoring_targets.toml").read_text(encoding="utf-8"))["metrics"]


def test_a_case_with_its_own_cement_band_names_it_in_the_cement_row():
    scenario = tomllib.loads((SCENARIOS_DIR / "t11-bipedicular.toml").read_text(encoding="utf-8"))
    lo, hi = scenario["targets"]["cement_ml_min"], scenario["targets"]["cement_ml_max"]       # 3 and 5 mL
    ctx = build_context(load_scenario("t11-bipedicular"), landmarks=S.landmarks(), expected=S.EXPECTED)
    row = score_events(S.expert().events, ctx).metric("cement_volume")
    assert row.target == f"{TABLE['cement_volume']['target']} (this case: {lo:g}-{hi:g} mL)", row.target


def test_a_case_with_the_table_s_bands_keeps_the_table_s_words():
    row = score_events(S.expert().events, build_context(landmarks=S.landmarks(), expected=S.EXPECTED)).metric(
        "cement_volume")
    assert row.target == TABLE["cement_volume"]["target"]


def test_an_imported_lumbar_maximum_and_open_bands_read_in_words():
    targets = load_targets().with_overrides({"cement_ml_max": 6.0, "shots_max": 30})
    lo = TABLE["cement_volume"]["pass"][0]                                           # 2.5 mL
    assert targets["cement_volume"].target == f"{TABLE['cement_volume']['target']} (this case: {lo:g}-6 mL)"
    unit = TABLE["exposures"]["unit"]
    assert targets["exposures"].target == f"{TABLE['exposures']['target']} (this case: at most 30 {unit})"
    # a band moved again names the last one only; a spec left alone keeps the table's words
    again = targets.with_overrides({"cement_ml_max": 5.0})
    assert again["cement_volume"].target == f"{TABLE['cement_volume']['target']} (this case: {lo:g}-5 mL)"
    assert again["dap"].target == TABLE["dap"]["target"]
