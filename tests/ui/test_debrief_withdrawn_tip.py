"""The debrief's tip line for a trocar pulled back after the first injection (round 25, pass 109's "Left").

The validity catalogue's ``past_posterior_quarter`` resident injects at 0.75 of the body depth, pulls the cannula
back to 0.2 and injects again, then takes the trocar out.  The debrief read "Final tip: 0.75 of the body depth":
the tip the metrics grade (the first injection's), not where the trocar ended.  Oracle: the recorded attempt's own
events (the last ``trocar_moved`` tip before the trocar came out), turned into a depth fraction by hand from the
landmarks' posterior wall and body depth (0 posterior wall, 1 anterior wall).
"""

from __future__ import annotations

import pytest

from trainer.core.procedure.cement.calibration import patient_of
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring.outcome import score
from trainer.core.scoring.validity import play, variant_by_id


@pytest.fixture(scope="module")
def withdrawn():
    sc = load_scenario("l1-wedge-default")
    patient = patient_of("l1-wedge-default")
    proc = play(sc, patient, 0, variant_by_id("past_posterior_quarter"))
    return proc, patient, score(proc)


def _hand_depth(patient, y_mm: float) -> float:
    lm = patient.landmarks
    return (lm.posterior_wall_y_mm - y_mm) / lm.body_depth_mm


def test_the_report_names_the_last_tip_in_the_patient_apart_from_the_graded_one(withdrawn):
    proc, patient, report = withdrawn
    moves = [e.data for e in proc.events if e.kind == "trocar_moved"]
    assert moves[-1]["removed"] and moves[-1]["tip_mm"] is None          # the trocar is out at the end
    last_in = next(m["tip_mm"] for m in reversed(moves) if m["tip_mm"] is not None)
    first_injection = next(e.data["tip_mm"] for e in proc.events if e.kind == "cement_injected")
    tip = report.tip
    assert tip["depth_fraction"] == pytest.approx(_hand_depth(patient, first_injection[1]), abs=1e-6)
    assert tip["final_depth_fraction"] == pytest.approx(_hand_depth(patient, last_in[1]), abs=1e-6)
    assert tip["final_depth_fraction"] == pytest.approx(0.2, abs=0.01)   # the variant's withdraw_to_depth
    assert tip["final_tip_mm"] == pytest.approx(last_in, abs=1e-3) and tip["withdrawn"] is True


def test_the_debrief_shows_where_the_withdrawn_tip_last_was(withdrawn, qtbot):
    from trainer.ui.debrief import DebriefWidget

    proc, patient, report = withdrawn
    w = DebriefWidget()
    qtbot.addWidget(w)
    w.show_report(report.to_json())
    text = w.summary.text()
    last_in = next(e.data["tip_mm"] for e in reversed(proc.events)
                   if e.kind == "trocar_moved" and e.data["tip_mm"] is not None)
    first = report.tip["depth_fraction"]
    assert "Final tip" not in text                                       # 0.75 is not where the trocar ended
    assert f"{first:.2f} of the body depth at the first injection" in text
    assert f"last in the patient at {_hand_depth(patient, last_in[1]):.2f}, then withdrawn" in text
