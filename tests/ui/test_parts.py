"""Pieces of the trainer window: runner staleness, settings, monitors, click-to-line, keys, errors."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence

from trainer.core.anatomy.builder import build_patient
from trainer.core.scenario.loader import load_scenario
from trainer.core.xray.geometry import AP, CArmGeometry
from trainer.ui.actions import aim_direction, place_from_pick, project_point
from trainer.ui.fluoro_view import FluoroMonitor
from trainer.ui.scenario_picker import ScenarioPicker
from trainer.ui.settings import DisplayPrefs, Settings, StepPrefs, settings_from_path
from trainer.ui.shortcuts import SHORTCUTS
from trainer.ui.workers import Runner


@pytest.fixture(scope="module")
def patient():
    return build_patient(load_scenario(None).anatomy)


@pytest.fixture(scope="module")
def landmarks(patient):
    return patient.landmarks


# ------------------------------------------------------------------ workers
def test_runner_drops_responses_of_invalidated_requests(qtbot):
    r = Runner(max_threads=1)
    got = []
    r.finished.connect(lambda resp: got.append(resp.value))
    r.submit("action", lambda p, _: p, "old")
    r.invalidate("action")
    r.submit("action", lambda p, _: p, "new")
    qtbot.waitUntil(lambda: not r.busy, timeout=5000)
    assert got == ["new"]


def test_runner_never_starts_jobs_invalidated_while_queued(qtbot):
    import threading

    gate, started = threading.Event(), threading.Event()
    ran = []
    r = Runner(max_threads=1)
    r.submit("action", lambda p, _: (started.set(), gate.wait(5), ran.append(p)), "running")
    r.submit("action", lambda p, _: ran.append(p), "queued")
    assert started.wait(5)
    r.invalidate("action")
    gate.set()
    qtbot.waitUntil(lambda: not r.busy, timeout=5000)
    assert ran == ["running"]


def test_runner_latest_only_channel_delivers_the_newest_only(qtbot):
    import threading

    gate = threading.Event()
    r = Runner(max_threads=2)
    r.channel("view", latest_only=True)
    got = []
    r.finished.connect(lambda resp: got.append(resp.value))
    r.submit("view", lambda p, _: (gate.wait(5), p)[1], 1)
    r.submit("view", lambda p, _: p, 2)
    qtbot.waitUntil(lambda: got == [2], timeout=5000)
    gate.set()
    qtbot.waitUntil(lambda: not r.busy, timeout=5000)
    assert got == [2]


def test_runner_reports_errors_with_traceback_and_cancels_through_progress(qtbot):
    r = Runner()
    got = []
    r.finished.connect(got.append)

    def slow(_p, progress):
        for i in range(200):
            progress(i / 200, "working")
            import time
            time.sleep(0.005)
        return "done"

    r.submit("build", lambda p, _: 1 / 0)
    qtbot.waitUntil(lambda: len(got) == 1, timeout=5000)
    assert isinstance(got[0].error, ZeroDivisionError) and "ZeroDivisionError" in got[0].trace
    r.submit("build", slow)
    qtbot.wait(30)
    r.invalidate("build")
    qtbot.waitUntil(lambda: not r.busy, timeout=5000)
    assert len(got) == 1     # the cancelled job's response (Cancelled error) was dropped as stale


# ------------------------------------------------------------------ settings
def test_settings_round_trip_in_a_temporary_ini(tmp_path):
    s = settings_from_path(str(tmp_path / "a.ini"))
    assert s.display() == DisplayPrefs() and s.steps() == StepPrefs()
    s.set_display(DisplayPrefs(flip_h=True, flip_v=False, invert=True))
    s.set_steps(StepPrefs(advance_coarse_mm=4.0, inject_ml=0.5))
    s.last_scenario_folder = str(tmp_path)
    again = Settings(QSettings(str(tmp_path / "a.ini"), QSettings.Format.IniFormat))
    assert again.display() == DisplayPrefs(True, False, True)
    assert again.steps().advance_coarse_mm == 4.0 and again.steps().inject_ml == 0.5
    assert again.last_scenario_folder == str(tmp_path)


def test_window_uses_and_remembers_settings(make_window, ui_settings):
    ui_settings.set_steps(StepPrefs(advance_coarse_mm=3.0, inject_ml=0.5))
    ui_settings.set_display(DisplayPrefs(invert=True))
    w, _ = make_window()
    assert w.trocar.coarse_mm == 3.0 and w.cement.step.value() == 0.5
    assert w.invert_action.isChecked() and w.monitors["ap"].invert_box.isChecked()
    w.flip_h_action.setChecked(True)
    w.cement.step.setValue(0.3)
    assert ui_settings.display().flip_h and ui_settings.steps().inject_ml == pytest.approx(0.3)


def test_step_sizes_dialog_applies_and_remembers(make_window, ui_settings):
    w, d = make_window()
    dlg = w.show_steps()
    assert not dlg.isModal()
    dlg.spins["advance_coarse_mm"].setValue(7.5)
    dlg.spins["inject_ml"].setValue(0.5)
    from PySide6.QtWidgets import QDialogButtonBox

    d.click(dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok))
    assert w.trocar.coarse_mm == 7.5 and "7.5 mm" in w.trocar.advance_buttons["in_coarse"].text()
    assert w.cement.step.value() == 0.5
    assert ui_settings.steps().advance_coarse_mm == 7.5


# ------------------------------------------------------------------ monitor
def test_monitor_click_maps_back_through_flips(qtbot):
    m = FluoroMonitor("ap")
    qtbot.addWidget(m)
    img = np.arange(128 * 128, dtype=np.float32).reshape(128, 128)
    m.show_image(img, "pose", "#1")
    m.set_pick_enabled(True)
    picks = []
    m.pixelClicked.connect(lambda c, r: picks.append((c, r)))
    m.pick_display_xy(10.5, 20.5)          # centre of display pixel (10, 20)
    m.set_flips(True, False)
    m.pick_display_xy(10.5, 20.5)
    m.set_flips(True, True)
    m.pick_display_xy(10.5, 20.5)
    assert picks == [(10.0, 20.0), (117.0, 20.0), (117.0, 107.0)]
    # the displayed picture is flipped the same way
    shown = m.displayed_pixels()
    m.set_flips(False, False)
    assert np.array_equal(shown, m.displayed_pixels()[::-1, ::-1])


def test_monitor_window_level_and_invert(qtbot):
    m = FluoroMonitor("lateral")
    qtbot.addWidget(m)
    img = np.linspace(0, 1, 64 * 64, dtype=np.float32).reshape(64, 64)
    m.show_image(img, "", "")
    m.set_window_level(0.5, 0.5)
    a = m.displayed_pixels()
    assert a[0, 0] == 255 and a[-1, -1] == 0          # fluoroscopy: dense (high) = dark
    m.set_invert(True)
    b = m.displayed_pixels()
    assert b[0, 0] == 0 and b[-1, -1] == 255
    m.set_window_level(0.1, 0.5)
    c = m.displayed_pixels()
    assert (c == 0).sum() > (b == 0).sum()            # narrower window: more clipped pixels
    assert m.hold_label.text() == "LIH"


# ------------------------------------------------------------------ click -> line, aim
def test_pick_at_the_projected_pedicle_entry_gives_that_entry(landmarks):
    geom = CArmGeometry(pixels=256)
    ped = landmarks.pedicle("left")
    col, row = project_point(geom, AP, 0.0, ped.entry_mm)
    act = place_from_pick(geom, AP, 0.0, col, row, landmarks, "left", 11)
    assert act["type"] == "place" and act["side"] == "left" and act["gauge"] == 11
    assert np.allclose(act["entry_mm"], ped.entry_mm, atol=0.01)
    d = np.subtract(act["target_mm"], act["entry_mm"])
    assert np.allclose(d / np.linalg.norm(d), np.asarray(ped.axis) / np.linalg.norm(ped.axis), atol=1e-4)
    # a pick 10 pixels to the image right lands further towards the patient's right (-x)
    right = place_from_pick(geom, AP, 0.0, col + 10, row, landmarks, "left")
    assert right["entry_mm"][0] < act["entry_mm"][0] - 3


def test_aim_direction_turns_medially_and_cranially():
    d = np.array([-0.2, -0.98, 0.0]) / np.linalg.norm([-0.2, -0.98, 0.0])
    left_medial = aim_direction(d, "left", 5, 0)
    assert left_medial[0] < d[0]                      # left pedicle (+x): medial is -x
    mirrored = d * [-1, 1, 1]                         # right pedicle (-x), axis heading medially (+x)
    right_medial = aim_direction(mirrored, "right", 5, 0)
    assert right_medial[0] > mirrored[0] and right_medial[1] < 0
    change = np.degrees(np.arccos(np.clip(np.dot(right_medial, mirrored), -1, 1)))
    assert change == pytest.approx(5.0, abs=1e-3)
    cranial = aim_direction(d, "left", 0, 3)
    assert np.degrees(np.arcsin(cranial[2])) == pytest.approx(3.0, abs=1e-3)
    assert np.linalg.norm(cranial) == pytest.approx(1.0)


# ------------------------------------------------------------------ window behaviour
def test_every_shortcut_has_an_action_listed_under_help(make_window):
    w, _ = make_window()
    for cid, key, _text in SHORTCUTS:
        if cid == "fluoro":
            continue
        assert w.qactions[cid].shortcut() == QKeySequence(key), cid
    w.show_shortcuts()
    text = w.dialogs[-1].browser.toPlainText()
    assert all(key in text for _cid, key, _t in SHORTCUTS)


def test_refused_action_is_shown_and_changes_nothing(make_window):
    w, d = make_window()
    d.start(w.show_picker())
    d.answer_checklist({"candidacy": "proceed"})       # the procedure's controls wait for the decision
    before = w.view
    d.key(Qt.Key.Key_I)                               # inject before mixing
    d.idle()
    assert w.status.log[-1].startswith("Refused: inject")
    assert w.view.t_s == before.t_s and w.view.cement.injected_ml == 0.0


def test_hold_f_runs_continuous_fluoro_with_dose(make_window):
    w, d = make_window()
    d.start(w.show_picker())
    d.answer_checklist({"candidacy": "proceed"})
    d.key(Qt.Key.Key_1)
    d.idle()
    from PySide6.QtTest import QTest

    pedal_clock = [100.0]                             # the pedal's clock, advanced by hand: no wall time
    w.carm.clock = lambda: pedal_clock[0]
    sim_t0 = w.view.t_s
    QTest.keyPress(w, Qt.Key.Key_F)
    assert w.carm.fluoro_on and w.monitors["ap"].hold_label.text() == "● FLUORO"
    for _ in range(15):                               # held 1.5 s by the pedal's clock, in 0.1 s steps
        pedal_clock[0] += 0.1
        d.pump(0.1)
    QTest.keyRelease(w, Qt.Key.Key_F)
    d.wait_until(lambda: not w.carm.fluoro_on, "the pedal to come up")   # after the auto-repeat grace
    d.idle()
    assert w.view.shots >= 2                          # images keep coming while held
    # dose accrues for the whole time held, even when rendering lags behind: the first pulse at
    # pedal down, then 7.5 pulses/s for 1.5 s = 11.25 more; whole pulses only: 12 pulses = 1.6 s
    assert w.view.fluoro_s == pytest.approx(12 / 7.5, abs=1e-9)
    assert w.view.dap_gycm2 > 0
    assert w.monitors["ap"].hold_label.text() == "LIH"
    # simulated time follows the time held: one footswitch press (1 s), not one per tick
    assert w.view.t_s - sim_t0 == pytest.approx(1.0 + w.view.fluoro_s, abs=0.05)


def test_invalid_scenario_file_is_listed_with_its_error(qtbot, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[anatomy]\nlevel = 'C3'\n")
    picker = ScenarioPicker(preselect=str(bad))
    qtbot.addWidget(picker)
    assert picker.current_scenario() is None
    assert not picker.start_button.isEnabled()
    assert "level" in picker.details.toPlainText()


def test_core_error_goes_to_a_non_modal_dialog(make_window):
    from trainer.core.errors import ScenarioError

    w, _ = make_window()
    w._on_failed(ScenarioError("x.toml", ["x.toml: anatomy.level = 'C3': expected one of T8..L5"]), "")
    box = w.dialogs[-1]
    assert box.objectName() == "errorBox" and box.isVisible()   # open(): shown without a nested loop
    assert "anatomy.level" in box.text()


# ------------------------------------------------------------------ reveal cuts
def test_reveal_cuts_paint_cement_leaks_and_the_path(patient):
    from trainer.service.reveal import CEMENT_RGB, LEAK_RGB, reveal_slices

    grid = patient.volume.grid
    lm = patient.landmarks
    tip = np.array(lm.body_centre_mm, float)
    ped = lm.pedicle("left")
    skin = np.asarray(ped.entry_mm) - 60 * np.asarray(ped.axis)
    centre = grid.nearest_index(tip)
    cube = np.stack(np.meshgrid(*[np.arange(-4, 5)] * 3, indexing="ij"), -1).reshape(-1, 3) + centre
    leak = cube[:20] + [0, 0, 0]
    axial, sag = reveal_slices(patient, skin, np.asarray(ped.axis), tip, cube, leak)
    for cut in (axial, sag):
        rgb = cut.rgb
        cyan = np.all(rgb == CEMENT_RGB, axis=-1).sum()
        red = np.all(rgb == LEAK_RGB, axis=-1).sum()
        assert cyan > 0 and red > 0 and cut.leak_px == red
        h, w = rgb.shape[:2]
        (c0, r0), (c1, r1) = cut.path_px
        assert 0 <= c1 <= w and 0 <= r1 <= h              # the tip is in the picture
    # axial: seen from the feet of the prone patient, posterior up, so the skin entry is above the
    # tip; the patient's left on the picture's left like the AP monitor: the left pedicle's path
    # runs medially (towards -x) as it goes in, so the entry lies left of the tip
    assert axial.path_px[0][1] < axial.path_px[1][1]
    assert axial.path_px[0][0] < axial.path_px[1][0]
    assert axial.labels["left"] == "L" and axial.labels["top"] == "P"
    corner = axial.rgb[:40, :40]
    white = np.all(corner == 255, axis=-1)
    assert white.sum() > 20 and np.all(corner == 0, axis=-1).sum() > 20   # the burned-in L marker
    # the L's vertical bar is on the glyph's left: more ink in the corner's left columns than its right
    cols = np.flatnonzero(white.any(axis=0))
    assert white[:, cols[0]].sum() > white[:, cols[-1]].sum()
    # sagittal: anterior left, so the entry (posterior) is right of the tip
    assert sag.path_px[0][0] > sag.path_px[1][0]
    no_cement = reveal_slices(patient, None, None, None)
    assert no_cement[0].cement_px == 0 and len(no_cement[0].path_px) == 0


def test_real_time_clock_turns_idle_time_into_recorded_waits(make_window):
    from trainer.core.session.reader import read_session

    w, d = make_window()
    d.start(w.show_picker())
    w.idle_wait_s = 0.5
    w._clock.setInterval(100)
    d.pump(1.0)
    assert w.view.t_s == 0.0                           # off by default: the clock stands still
    w.cement.realtime.setChecked(True)
    d.wait_until(lambda: w.view.t_s > 0, "an idle wait")
    d.idle()
    waits = [a for a in read_session(w.controller.path).actions if a["type"] == "wait"]
    assert waits and all(0.5 <= a["s"] <= 2.0 for a in waits)
    assert w.view.t_s == pytest.approx(sum(a["s"] for a in waits))


def test_right_drag_changes_window_and_level(qtbot):
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    m = FluoroMonitor("ap")
    qtbot.addWidget(m)
    m.resize(400, 440)
    m.show()
    m.show_image(np.linspace(0, 1, 128 * 128, dtype=np.float32).reshape(128, 128), "", "")
    w0, l0 = m.window_level
    vp = m.graphics.viewport()
    centre = QPoint(vp.width() // 2, vp.height() // 2)
    QTest.mousePress(vp, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, centre)
    QTest.mouseMove(vp, centre + QPoint(200, 100))
    QTest.mouseRelease(vp, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, centre + QPoint(200, 100))
    w1, l1 = m.window_level
    assert w1 == pytest.approx(2 * w0, rel=0.05)
    assert l1 > l0


def test_arrow_keys_aim_as_seen_on_the_ap_monitor(make_window):
    w, d = make_window()
    d.start(w.show_picker())
    d.answer_checklist({"candidacy": "proceed"})
    d.align()
    d.pick_entry("left")
    d.place()
    x0 = w.view.trocar.direction[0]
    d.click_image("lateral", 10, 10)                   # focus on a monitor must not swallow arrows
    d.key(Qt.Key.Key_Right)                            # image right = patient right (-x): medial for the left pedicle
    d.idle()
    x1 = w.view.trocar.direction[0]
    assert x1 < x0 - 0.01
    w.flip_h_action.setChecked(True)                   # mirrored monitors: image right is now lateral
    d.key(Qt.Key.Key_Right)
    d.idle()
    assert w.view.trocar.direction[0] > x1 + 0.01
    z0 = w.view.trocar.direction[2]
    d.key(Qt.Key.Key_Up)
    d.idle()
    assert w.view.trocar.direction[2] > z0 + 0.01       # up = cranial (+z)


def test_escape_leaves_a_number_box_so_keys_reach_the_procedure(make_window):
    from PySide6.QtTest import QTest

    w, d = make_window()
    d.start(w.show_picker())
    d.answer_checklist({"candidacy": "proceed"})
    w.tabs.setCurrentIndex(1)
    w.carm.tilt.setFocus()
    d.pump(0.05)
    QTest.keyClick(w.carm.tilt, Qt.Key.Key_Escape)
    d.key(Qt.Key.Key_S)
    d.idle()
    assert w.view.shots == 1


def test_chart_shows_when_the_antibiotic_was_given_only_if_it_was():
    from dataclasses import replace

    from trainer.core.scenario.loader import load_scenario
    from trainer.ui.chart_panel import chart_html

    sc = load_scenario()
    assert sc.chart.get("antibiotic_given", "none") == "none"
    assert "min ago" not in chart_html(sc)
    given = replace(sc, chart={**sc.chart, "antibiotic_given": "cefazolin_1g", "antibiotic_given_min_ago": 30})
    assert "min ago" in chart_html(given)


def test_trocar_panel_names_the_tip_zone_in_a_calm_colour_at_the_target(qtbot):
    """Issue 13: at the target near the midline the panel says where the tip is, in green, not the
    red/orange that means 'must not be there'."""
    from trainer.service.view import TrocarView
    from trainer.ui.trocar_panel import ZONE_COLOURS, TrocarPanel

    panel = TrocarPanel()
    qtbot.addWidget(panel)
    text = "anterior third of the body (0.75), near the midline, in the basivertebral venous region"
    panel.show_trocar(TrocarView("left", 11, 80.0, 120.0, "basivertebral_vein", (2.0, -8.0, 0.0),
                                 (0.0, -1.0, 0.0), text, "target"))
    assert panel.tissue_label.text() == f"tip: {text}"
    assert ZONE_COLOURS["target"] in panel.tissue_label.styleSheet()
    assert "#ff5050" not in panel.tissue_label.styleSheet() and "#ff8040" not in panel.tissue_label.styleSheet()


def test_debrief_names_the_failing_rule_first(qtbot):
    """Issue 13: the debrief's first words are the broken rule, before the critical-error list."""
    from trainer.ui.debrief import DebriefWidget

    w = DebriefWidget()
    qtbot.addWidget(w)
    rule = {"rule": "posterior_quarter", "text": "injection went on after the cement reached the posterior quarter",
            "metric": "stop_rule", "detail": "1.00 mL injected after that", "source": "FACTS.md 2"}
    w.show_report({"passed": False, "finished": True, "score": 93.0, "failed_rules": [rule],
                   "critical_errors": ["x: y"], "radiation": {"exposures": 12, "pulses": 30, "fluoro_s": 4.0,
                                                              "dap_gycm2": 0.05},
                   "leaks": [], "metrics": [], "cement_injected_ml": 3.0})
    text = w.summary.text()
    assert text.index("Failed: injection went on after the cement reached the posterior quarter") \
        < text.index("Critical errors")
    assert w.outcome.text() == "FAIL" and "12 exposures" in text


def test_debrief_says_the_headline_rule_once(qtbot):
    """Round 26 (docs/screenshots/21): the headline's broken rule was said again, word for word, as the first
    item under "Critical errors" (the report lists every broken rule there as "text: detail (source: ...)");
    now the list holds only the other critical errors, and the heading goes when none is left."""
    from trainer.ui.debrief import DebriefWidget

    w = DebriefWidget()
    qtbot.addWidget(w)
    rule = {"rule": "no_ap_check", "text": "cement was injected with no AP check at all", "metric": "ap_checks",
            "detail": "0 AP shot(s) during injection", "source": "FACTS.md 4"}
    other = "Canal or foramen entered: 1 events (source: FACTS.md 2)"
    base = {"passed": False, "finished": True, "score": 94.0, "failed_rules": [rule], "radiation": {},
            "leaks": [], "metrics": [], "cement_injected_ml": 1.5}
    headline_line = "cement was injected with no AP check at all: 0 AP shot(s) during injection (source: FACTS.md 4)"
    w.show_report({**base, "critical_errors": [headline_line]})
    text = w.summary.text()
    assert text.count("0 AP shot(s) during injection") == 1 and "Critical errors" not in text
    w.show_report({**base, "critical_errors": [headline_line, other]})
    text = w.summary.text()
    assert text.count("0 AP shot(s) during injection") == 1
    assert "Critical errors" in text and "Canal or foramen entered: 1 events" in text
