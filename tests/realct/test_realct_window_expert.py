"""The window's expert (``GuiDriver.expert_run``, the test walk and the screenshots' driver) plays the
headless expert's plan on a real CT: its trocar length and its cement stop (issue 12).

Round 24 (realct-log pass 103) fixed the screenshot tool's plan but left the driver forcing the 120 mm
trocar with no stop.  Oracle: the clean expert's own actions (``expert_actions``), applied to a session
with the window's seed and scored by the core, against the debrief the window shows.
"""

from __future__ import annotations

import pytest
from realct_gui import assert_window_scores_as_headless, play_in_window

from trainer.core.procedure.expert_plan import expert_actions
from trainer.core.procedure.machine import Procedure
from trainer.core.procedure.trocar import DEFAULT_LENGTH_MM
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring import score

pytestmark = pytest.mark.slow


def test_the_window_expert_on_the_abdominal_l4_is_the_headless_expert(qapp, totalseg_series, tmp_path):
    """Abdominal L4: the expert's trocar is 150 mm (140 until round 28, pass 136); the driver forced 120 mm and injected on."""
    from trainer.cli import main

    root, folder = totalseg_series
    toml = root / f"l4_{tmp_path.name}.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", "L4", "--out", str(toml), "--force"]) == 0
    sc = load_scenario(toml)
    patient = patient_for(sc)
    actions = expert_actions(sc, patient)
    lengths = [a.get("length_mm") or DEFAULT_LENGTH_MM for a in actions if a["type"] == "place"]
    assert lengths == [150.0], "the expert's trocar on this level (base_plans) changed: re-read pass 99"

    shown, record, _ = play_in_window(tmp_path, toml, sc, lambda drv, picker, ans: drv.expert_run(picker, ans))
    assert [a.get("length_mm") or DEFAULT_LENGTH_MM for a in record.actions if a["type"] == "place"] == lengths
    proc = Procedure(sc, seed=record.header["seed"], patient=patient, render=False)
    for a in actions:
        assert proc.apply(a).accepted, a
    assert_window_scores_as_headless(shown, score(proc), (
        ("stop_rule", 0.0), ("cement_volume", 1e-3), ("tip_depth", 0.01), ("fill_fraction", 0.05),
        ("tip_endplates", 0.5), ("tip_midline", 0.5), ("entry_point", 0.05),
        ("instrument_movements", 0)))      # the arrow presses laying the line: one re-aim
