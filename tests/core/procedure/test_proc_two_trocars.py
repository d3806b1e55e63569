"""Two trocars at once (bipedicular approach): placement, the active trocar, drawing, replay, per-side scoring.

Oracles: the phantom's hand geometry (procedure_phantom.py: pedicle axes 12 deg medial, skin at
y = 70 mm), additivity of line integrals, the recorded session replayed by a fresh procedure,
and hemi-body fractions computed by hand from the synthetic landmarks (body width 41 mm).
"""

import math

import numpy as np
import pytest
from procedure_phantom import MEDIAL_DEG, SKIN_Y

from trainer.core.procedure.machine import Procedure
from trainer.core.scenario.loader import load_scenario
from trainer.core.xray.geometry import Pose, project


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("t11-bipedicular")


@pytest.fixture
def proc(scenario, phantom):
    return Procedure(scenario, patient=phantom, render=False, pixels=64)


def _hand_line(side):
    """The pedicle axis by hand: centre (+-13, 25, 0) mm, 12 deg medial, pointing forward."""
    s = 1.0 if side == "left" else -1.0
    a = math.radians(MEDIAL_DEG)
    axis = np.array([-s * math.sin(a), -math.cos(a), 0.0])
    return np.array([s * 13.0, 25.0, 0.0]), axis


def _place(proc, side):
    c, a = _hand_line(side)
    return proc.apply({"type": "place", "side": side, "entry_mm": list(c - 50 * a), "target_mm": list(c + 30 * a)})


def _on_line(p, side):
    c, a = _hand_line(side)
    d = np.asarray(p) - c
    return float(np.linalg.norm(d - (d @ a) * a))


def test_second_trocar_goes_where_placed_and_the_first_stays(proc):
    assert _place(proc, "left").accepted
    assert proc.apply({"type": "advance", "mm": 40}).accepted
    left_tip = np.array(proc.trocars["left"].tip_mm)
    left_dir = np.array(proc.trocars["left"].direction)
    # by hand: the skin is where the left axis crosses y = 70 (to a voxel); 40 mm further along the axis
    c, a = _hand_line("left")
    skin_hand = c + a * ((SKIN_Y - c[1]) / a[1])
    assert np.linalg.norm(left_tip - (skin_hand + 40 * a)) < 0.6
    assert _on_line(left_tip, "left") < 1e-4

    res = _place(proc, "right")
    assert res.accepted and proc.active_side == "right" and proc.trocar.side == "right"
    assert sorted(proc.trocars) == ["left", "right"]
    c, a = _hand_line("right")
    skin_hand = c + a * ((SKIN_Y - c[1]) / a[1])
    assert np.linalg.norm(np.array(proc.trocar.tip_mm) - skin_hand) < 0.6      # at the right skin point
    assert proc.apply({"type": "advance", "mm": 35}).accepted
    right_tip = np.array(proc.trocars["right"].tip_mm)
    assert np.linalg.norm(right_tip - (skin_hand + 35 * a)) < 0.6 and _on_line(right_tip, "right") < 1e-4

    # aiming and advancing the right trocar leaves the left one exactly where it was
    turned = a + np.array([0.05, 0.0, 0.03])
    r = proc.apply({"type": "aim", "direction": list(turned)})
    assert r.accepted
    assert np.dot(proc.trocar.direction, turned / np.linalg.norm(turned)) == pytest.approx(1.0, abs=1e-9)
    assert proc.apply({"type": "advance", "mm": 3}).accepted
    assert np.array_equal(proc.trocars["left"].tip_mm, left_tip)
    assert np.array_equal(proc.trocars["left"].direction, left_dir)

    # select the left one: advance moves it along its own axis, the right one stays
    right_now = np.array(proc.trocars["right"].tip_mm)
    sel = proc.apply({"type": "select", "side": "left"})
    assert sel.accepted and sel.duration_s == 2.0 and proc.events[-1].kind == "trocar_selected"
    assert proc.events[-1].data["side"] == "left" and proc.trocar.side == "left"
    assert proc.apply({"type": "advance", "mm": 5}).accepted
    assert np.linalg.norm(np.array(proc.trocars["left"].tip_mm) - (left_tip + 5 * left_dir)) < 1e-6
    assert np.array_equal(proc.trocars["right"].tip_mm, right_now)
    snap = proc.snapshot()
    assert snap["active_side"] == "left" and set(snap["trocars"]) == {"left", "right"}


def test_select_and_place_refusals_name_the_side(proc):
    before = proc.snapshot()
    r = proc.apply({"type": "select", "side": "left"})
    assert not r.accepted and "no trocar is in the left pedicle" in r.reason
    r = proc.apply({"type": "select", "side": "middle"})
    assert not r.accepted and "select.side = 'middle'" in r.reason and "'left' or 'right'" in r.reason
    r = proc.apply({"type": "select", "side": "left", "mm": 3})
    assert not r.accepted and "unknown field 'mm'" in r.reason
    assert proc.snapshot() == before
    assert _place(proc, "left").accepted
    r = _place(proc, "left")
    assert not r.accepted and "left trocar is already in the patient" in r.reason
    # withdrawing the active trocar leaves no active one; the other must be selected
    assert _place(proc, "right").accepted
    assert proc.apply({"type": "advance", "mm": 10}).accepted
    assert proc.apply({"type": "advance", "mm": -50}).summary["removed"]
    assert proc.trocar is None and sorted(proc.trocars) == ["left"]
    assert not proc.apply({"type": "advance", "mm": 5}).accepted
    assert proc.apply({"type": "select", "side": "left"}).accepted and proc.trocar.side == "left"


def test_both_trocars_are_drawn(scenario, phantom):
    proc = Procedure(scenario, patient=phantom, render=True, pixels=64)
    _place(proc, "left")
    proc.apply({"type": "advance", "mm": 40})
    _place(proc, "right")
    proc.apply({"type": "advance", "mm": 40})
    pose = Pose(0.0, 0.0)
    ren, im = proc.imager.renderer, proc.imager
    kvp = im.kvp_for(pose)
    anatomy = ren.render(pose, kvp)
    left = ren.render(pose, kvp, trocar=im.trocar_shape(proc.trocars["left"])) - anatomy
    right = ren.render(pose, kvp, trocar=im.trocar_shape(proc.trocars["right"])) - anatomy
    both = ren.render(pose, kvp, trocar=im.trocar_shape([proc.trocars["left"], proc.trocars["right"]])) - anatomy
    # each pixel sees only its own rays: where one trocar adds nothing, the pair looks like the other alone
    np.testing.assert_allclose(both[right == 0], left[right == 0], atol=1e-5)
    np.testing.assert_allclose(both[left == 0], right[left == 0], atol=1e-5)
    frame = ren.frame(pose)
    for side, own, other in (("left", left, right), ("right", right, left)):
        mid = np.array(proc.trocars[side].tip_mm) - 15.0 * np.array(proc.trocars[side].direction)
        col, row = np.round(project(frame, mid)).astype(int)
        assert own[row, col] > 0.5 and both[row, col] > 0.5 and other[row, col] == 0.0
    # the shot action draws both (its image differs from one with only the active trocar)
    shot = proc.apply({"type": "shot"})
    assert shot.accepted and shot.image is not None


def test_single_trocar_snapshot_has_no_two_trocar_keys(proc):
    _place(proc, "left")
    proc.apply({"type": "advance", "mm": 20})
    snap = proc.snapshot()
    assert "trocars" not in snap and "active_side" not in snap and snap["trocar"]["side"] == "left"


def test_bipedicular_session_replays_exactly(tmp_path, scenario):
    from trainer.core.procedure.expert_plan import bipedicular_expert_actions
    from trainer.core.scoring import score
    from trainer.core.session.live import LiveSession
    from trainer.core.session.reader import read_session
    from trainer.core.session.replay import replay

    path = tmp_path / "bip.jsonl"
    images = []
    with LiveSession(scenario, path, seed=5, trainee="t", pixels=64, started_at="2026-01-01T00:00:00+00:00") as live:
        acts = bipedicular_expert_actions(scenario, live.procedure.patient, 4.0)
        for a in acts:
            r = live.apply(a)
            assert r.accepted, (a, r.reason)
            if r.image is not None:
                images.append(r.image.sha256)
        proc = live.procedure
        snap, rep = proc.snapshot(), score(proc)
    # the cannulas take turns push by push (right first, the last placed), then the right is taken to withdraw it
    assert [a["side"] for a in acts if a["type"] == "select"] == ["left", "right"] * 4
    assert snap["side_cement"]["left"]["injected_ml"] == pytest.approx(2.0)
    assert snap["side_cement"]["right"]["injected_ml"] == pytest.approx(2.0)
    again_results = []
    again = replay(read_session(path), results=again_results, patient=proc.patient)
    assert again.snapshot() == snap
    assert [r.image.sha256 for r in again_results if r.image is not None] == images
    assert score(again).to_json() == rep.to_json()
    share = rep.metric("cement_share")
    assert share.status == "pass" and share.value == pytest.approx(0.5)
    assert rep.metric("tip_midline").status == "n/a"

