"""The window's expert (``GuiDriver.expert_run``, the test walk and the screenshots' driver) plays the
headless expert's plan on a real CT: its trocar length and its cement stop (issue 12).

Round 24 (realct-log pass 103) fixed the screenshot tool's plan but left the driver forcing the 120 mm
trocar with no stop.  Oracle: the clean expert's own actions (``expert_actions``), applied to a session
with the window's seed and scored by the core, against the debrief the window shows.
"""

from __future__ import annotations

import pytest

from trainer.core.procedure.expert_plan import expert_actions
from trainer.core.procedure.machine import Procedure
from trainer.core.procedure.trocar import DEFAULT_LENGTH_MM
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring import score
from trainer.core.session.reader import read_session
from trainer.ui.app import create_window, startup
from trainer.ui.demo import GuiDriver
from trainer.ui.settings import settings_from_path

pytestmark = pytest.mark.slow


def test_the_window_expert_on_the_abdominal_l4_is_the_headless_expert(qapp, totalseg_series, tmp_path):
    """Abdominal L4: the expert's trocar is 140 mm (base_plans); the driver forced 120 mm and injected on."""
    from trainer.cli import main

    root, folder = totalseg_series
    toml = root / f"l4_{tmp_path.name}.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", "L4", "--out", str(toml), "--force"]) == 0
    sc = load_scenario(toml)
    patient = patient_for(sc)
    actions = expert_actions(sc, patient)
    lengths = [a.get("length_mm") or DEFAULT_LENGTH_MM for a in actions if a["type"] == "place"]
    assert lengths == [140.0], "the expert's trocar on this level (base_plans) changed: re-read pass 99"

    w = create_window(tmp_path / "sessions", settings_from_path(str(tmp_path / "settings.ini")))
    w.pixels_override = 160
    try:
        drv = GuiDriver(w, timeout_s=180)
        picker = startup(w, str(toml))
        answers = {k: g["expected"] for k, g in sc.decisions.gates.items()}
        drv.expert_run(picker, answers)
        shown = w.debrief.report_json
        record = read_session(w.controller.path)
    finally:
        w.close()
    assert [a.get("length_mm") or DEFAULT_LENGTH_MM for a in record.actions if a["type"] == "place"] == lengths
    proc = Procedure(sc, seed=record.header["seed"], patient=patient, render=False)
    for a in actions:
        assert proc.apply(a).accepted, a
    headless = score(proc)
    window = {m["id"]: m["value"] for m in shown["metrics"]}
    expected = {m.id: m.value for m in headless.metrics}
    assert (shown["passed"], window["stop_rule"]) == (True, 0), (shown["score"], shown.get("failed_rules"))
    # the window lays the trocar with the arrow keys (to an eighth of a degree) and its key presses take
    # simulated time: the line and the times differ a little, the outcome must not
    assert (shown["score"], shown["passed"], sorted(f["rule"] for f in shown["failed_rules"])) == \
        (headless.score, headless.passed, sorted(f["rule"] for f in headless.failed_rules))
    for key, tol in (("stop_rule", 0.0), ("cement_volume", 1e-3), ("tip_depth", 0.01), ("fill_fraction", 0.05),
                     ("tip_endplates", 0.5), ("tip_midline", 0.5), ("entry_point", 0.05),
                     ("instrument_movements", 0)):      # the arrow presses laying the line: one re-aim
        assert window[key] == pytest.approx(expected[key], abs=tol), (key, window[key], expected[key])
