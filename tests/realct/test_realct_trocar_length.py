"""A deep back through the GUI: the resident chooses a longer trocar in the trocar panel.

On the abdominal CT the L3 target lies more than 120 mm below the skin along the expert line
(benchmarks/realct_plans.py: 122-135 mm), beyond the default 120 mm trocar.  Before round 20 the
window offered no other length: a resident's trocar stopped at 120 mm with the tip at 0.40 of the
body ("Refused: ... the trocar's working length is 120 mm") and the debrief failed the attempt for
a tip outside the target zone.  The core takes any length of its range in the ``place`` action;
the panel now offers them.

Oracles: the trocar's depth below the skin, which the 120 mm trocar cannot exceed (the core
refuses the advance), and the score policy's tip-depth rule.
"""

from __future__ import annotations

import pytest
from realct_gui import imported_ct_window

from trainer.core.procedure.expert_plan import ExpertPlan
from trainer.core.procedure.trocar import DEFAULT_LENGTH_MM, LENGTH_RANGE_MM
from trainer.core.session.reader import read_session

pytestmark = pytest.mark.slow


def test_the_abdominal_l3_target_is_reached_with_a_longer_trocar(qtbot, totalseg_series, tmp_path):
    w, d = imported_ct_window(qtbot, totalseg_series, "L3", tmp_path)
    panel = w.trocar
    lengths = [panel.length.itemData(i) for i in range(panel.length.count())]
    assert lengths[0] == LENGTH_RANGE_MM[0] and lengths[-1] == LENGTH_RANGE_MM[1]
    assert panel.length_mm == DEFAULT_LENGTH_MM            # the default until the resident chooses
    answers = {k: g["expected"] for k, g in w.scenario.decisions.gates.items()}
    # the expert plan picks the next 10 mm that reaches 10 mm past the target; the driver chooses it in
    # the panel's drop-down (a click, arrow keys, Return) before the pick on the AP image and P
    d.play(ExpertPlan(answers=answers, length_mm=None, withdraw_at_end=False))
    tr = w.view.trocars["left"]
    assert tr.length_mm > DEFAULT_LENGTH_MM
    assert tr.depth_mm > DEFAULT_LENGTH_MM, tr.depth_mm      # deeper than the default trocar can go
    places = [e for e in read_session(w.controller.path).entries if e.get("action", {}).get("type") == "place"]
    assert places and places[0]["action"]["length_mm"] == tr.length_mm      # recorded: a replay uses it
    rules = [r["rule"] for r in w.debrief.report_json.get("failed_rules") or []]
    assert "tip_not_in_target" not in rules, w.debrief.report_json.get("failed_rules")
    assert w.debrief.report_json["passed"], w.debrief.report_json.get("failed_rules")
    w.close()
