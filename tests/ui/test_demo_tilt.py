"""The GUI demo driver takes a tilted AP the way a user does (issue 12, round 9, defect A).

The expert plan squares the C-arm on tilted endplates (a real CT's L5: 20 deg); the driver used
to refuse every C-arm pose with a tilt.  It now types the orbital and tilt into the C-arm panel
and clicks Move C-arm.  Oracle: the pose the procedure reports (the window's ProcedureView) and
the carm actions recorded in the session file, against the poses asked for by hand.
"""

from __future__ import annotations

import pytest

from trainer.core.procedure.expert_plan import PlanStep
from trainer.core.session.reader import read_session
from trainer.ui.app import startup


def _carm(orbital: float, tilt: float) -> PlanStep:
    return PlanStep("align", {"type": "carm", "orbital_deg": orbital, "tilt_deg": tilt})


def _after_the_checklist(make_window):
    """A window past the checklist (the C-arm is locked until the candidacy decision, round 9)."""
    w, drv = make_window()
    picker = startup(w)
    answers = {k: g["expected"] for k, g in picker.current_scenario().decisions.gates.items()}
    drv.start(picker)
    drv.answer_checklist(answers)
    if ("candidacy", "proceed") in w.chart.buttons and "candidacy" not in answers:
        drv.click(w.chart.buttons[("candidacy", "proceed")])
        drv.idle()
    return w, drv


def test_the_driver_moves_to_a_tilted_ap_and_back(make_window):
    w, drv = _after_the_checklist(make_window)
    poses = []
    for orbital, tilt in ((0.0, 12.0), (90.0, 0.0), (0.0, 12.0), (0.0, 0.0), (90.0, 0.0)):
        assert drv.perform(_carm(orbital, tilt))
        p = w.view.pose
        poses.append((p.orbital_deg, p.tilt_deg))
    assert poses == [(0.0, 12.0), (90.0, 0.0), (0.0, 12.0), (0.0, 0.0), (90.0, 0.0)]
    assert drv.perform(PlanStep("align", {"type": "shot"}))
    drv.idle()
    rec = read_session(w.controller.path)
    moves = [a for a in rec.actions if a["type"] == "carm"]
    assert moves and moves[0].get("tilt_deg") == pytest.approx(12.0)


def test_the_driver_refuses_a_pose_it_has_no_control_for(make_window):
    _, drv = _after_the_checklist(make_window)
    with pytest.raises(ValueError, match="no key for the C-arm pose"):
        drv.perform(_carm(35.0, 0.0))


def test_the_driver_lays_the_trocar_on_the_plans_line_to_an_eighth_of_a_degree(make_window):
    """The window's pick and 2 deg aim steps alone left the trocar up to 1 deg off the plan's line (the default
    case: 1.0 deg; the angiogram's T12 expert then failed through the window, realct-log pass 98).  The driver
    now finishes with 0.25 deg steps (View > Step sizes...) and sets the window's 2 deg step back.  Oracle: the
    angle between the placed trocar and the place action's own entry-to-target line, and the target's distance
    from the trocar's axis, computed here."""
    import numpy as np

    from trainer.core.procedure.expert_plan import expert_actions

    w, drv = _after_the_checklist(make_window)
    drv.align()
    place = next(a for a in expert_actions(w.scenario, drv.patient()) if a["type"] == "place")
    assert drv.place_on_line(place)
    e, t = np.asarray(place["entry_mm"]), np.asarray(place["target_mm"])
    want = (t - e) / np.linalg.norm(t - e)
    tr = w.view.trocar
    d = np.asarray(tr.direction) / np.linalg.norm(tr.direction)
    angle_deg = np.degrees(np.arccos(np.clip(np.dot(d, want), -1.0, 1.0)))
    assert angle_deg <= 0.2, f"the trocar is {angle_deg:.2f} deg off the plan's line"
    off = t - np.asarray(tr.tip_mm)
    assert np.linalg.norm(off - np.dot(off, d) * d) <= 0.5          # the target on the trocar's axis (mm)
    assert w.trocar.aim_deg == 2.0
