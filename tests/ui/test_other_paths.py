"""Other paths through the window: declining a contraindicated patient, and a biplane room."""

from __future__ import annotations

from PySide6.QtCore import Qt

from trainer.ui.app import startup


def test_declining_a_contraindicated_patient_goes_straight_to_the_debrief(make_window):
    w, d = make_window()
    picker = startup(w)
    assert picker.select("l1-pmma-allergy")
    answers = {k: g["expected"] for k, g in picker.current_scenario().decisions.gates.items()}
    assert answers["candidacy"] == "decline"
    d.start(picker)
    d.answer_checklist(answers)
    assert w.tabs.currentIndex() == 0                      # no procedure tab for a declined patient
    assert "Finish the session" in w.status.log[-1]
    d.finish()
    metrics = {m["id"]: m for m in w.debrief.report_json["metrics"]}
    candidacy = [m for mid, m in metrics.items() if "candidacy" in mid]
    assert candidacy and candidacy[0]["status"] == "pass"
    assert w.debrief.report_json["radiation"]["shots"] == 0
    assert not w.carm.isEnabled()                          # nothing more can be done after finish


def test_biplane_room_switches_planes_quickly_and_fills_both_monitors(make_window):
    w, d = make_window()
    picker = startup(w)
    assert picker.select("t11-bipedicular")
    d.start(picker)
    d.answer_checklist({"candidacy": "proceed"})
    assert w.view.biplane and "biplane" in w.carm.pose_label.text()
    for k in (Qt.Key.Key_1, Qt.Key.Key_S, Qt.Key.Key_2):
        d.key(k)
        d.idle()
    t_before = w.view.t_s
    d.key(Qt.Key.Key_S)
    d.idle()
    assert w.monitors["ap"].has_image and w.monitors["lateral"].has_image
    assert w.view.view == "lateral" and w.monitors["lateral"].title_label.text().startswith("LATERAL")
    d.key(Qt.Key.Key_V)                                    # back to the AP plane: a switch, not a swing
    d.idle()
    assert w.view.view == "ap" and w.view.t_s - t_before < 5.0
