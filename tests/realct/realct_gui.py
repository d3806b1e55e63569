"""The trainer's window on a real patient's CT, for the GUI tests of tests/realct.

Each test's window gets its own settings file and session folder (never the user's), 160-pixel
detector images (recorded in the session header, so replays match) and a driver that waits as
long as CT work may take on a loaded CI machine (:data:`qt_input.CT_WORK_WAIT_MS`).
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication
from qt_input import CT_WORK_WAIT_MS, show_active

from trainer.cli import main
from trainer.core.scenario.loader import load_scenario
from trainer.core.session.reader import read_session
from trainer.ui.app import apply_theme, create_window, startup
from trainer.ui.ct_landmarks import CTLandmarkDialog
from trainer.ui.demo import GuiDriver
from trainer.ui.settings import settings_from_path

#: detector pixels of the test windows' images
TEST_PIXELS = 160


def ct_window(qtbot, sessions, ini):
    """``(window, driver)``: a trainer window saving sessions into ``sessions`` with settings in ``ini``
    (an INI file path; two windows given the same one share what the first remembered)."""
    w = create_window(sessions, settings_from_path(str(ini)))
    w.pixels_override = TEST_PIXELS
    qtbot.addWidget(w)
    return w, GuiDriver(w, timeout_s=CT_WORK_WAIT_MS / 1000)


def start_ct(w, d, scenario) -> None:
    """Start ``scenario`` (a patient-CT scenario) in window ``w`` as Open in trainer does, and wait for its
    patient to be built."""
    w.start_scenario(scenario)
    d.wait_until(lambda: w.view is not None, "the CT patient to be built")


def imported_ct_window(qtbot, series, level: str, tmp_path):
    """``(window, driver)`` with the CT of ``series`` (a ``(root, folder)`` fixture: the folder of a DICOM
    series and a folder to write beside it) imported by ``vptrainer scenarios import-ct --level level``
    and started in a fresh window, as an instructor's Open in trainer does."""
    root, folder = series
    out = root / f"{level.lower()}_{tmp_path.name}.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", level, "--out", str(out), "--force"]) == 0
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    w, d = ct_window(qtbot, sessions, tmp_path / "settings.ini")
    start_ct(w, d, load_scenario(out))
    return w, d


def proceed_and_align(w, d) -> None:
    """Answer the checklist as expected (proceed), take the AP and lateral shots (1, S, 2, S) and swing
    back to AP (1), as a resident does before picking the entry."""
    from PySide6.QtCore import Qt

    d.answer_checklist({k: g["expected"] for k, g in w.scenario.decisions.gates.items()})
    d.align()
    d.key(Qt.Key.Key_1)
    d.idle()


def review_final_moment(w, d):
    """Click the debrief's review button and wait for the review's final moment: ``(review, moment)``."""
    shown = []
    d.click(w.debrief.review_button)
    review = w.review
    review.momentShown.connect(shown.append)
    d.wait_until(lambda: shown or "Error" in review.busy.text(), "the review's final moment")
    assert "Error" not in review.busy.text(), review.busy.text()
    return review, shown[-1]


def open_editor(qtbot, folder, level: str = "L1", size=(1400, 900)) -> CTLandmarkDialog:
    """The landmark editor shown active at ``size`` (px) with ``level`` in its level box (L1 is the menu's
    default), ``folder`` read, its column numbered and its level estimated.  The application wears the product's
    theme, as the trainer's menu opens the editor in it (its 10.5 pt style sheet reaches a widget only when it is
    polished: round 28's coverage line held two lines of the unthemed 9 pt font and the views moved under the
    pointer, seen only when an earlier test in the same worker had themed the application)."""
    apply_theme(QApplication.instance())
    dlg = CTLandmarkDialog(level=level)
    qtbot.addWidget(dlg)
    dlg.resize(*size)
    show_active(qtbot, dlg)
    with qtbot.waitSignal(dlg.loaded, timeout=CT_WORK_WAIT_MS):
        dlg.load(folder)
    return dlg


def assert_window_scores_as_headless(shown: dict, headless, tolerances) -> None:
    """The debrief the window showed (``shown``: its report JSON) against the same plan played headless
    (``headless``: the core's ScoreReport): passed with no stop-rule violation, the same score and broken
    rules, and each ``(metric id, absolute tolerance)`` of ``tolerances`` within it.  The window lays each
    trocar with the arrow keys (to an eighth of a degree) and its key presses take simulated time: the lines and
    the times differ a little, the outcome must not."""
    window = {m["id"]: m["value"] for m in shown["metrics"]}
    expected = {m.id: m.value for m in headless.metrics}
    assert (shown["passed"], window["stop_rule"]) == (True, 0), (shown["score"], shown.get("failed_rules"))
    assert (shown["score"], shown["passed"], sorted(f["rule"] for f in shown["failed_rules"])) == \
        (headless.score, headless.passed, sorted(f["rule"] for f in headless.failed_rules))
    for key, tol in tolerances:
        assert window[key] == pytest.approx(expected[key], abs=tol), (key, window[key], expected[key])


def play_in_window(tmp_path, toml, scenario, run) -> tuple[dict, object, dict]:
    """Open the scenario file ``toml`` in a test window (sessions and settings under ``tmp_path``), call
    ``run(driver, picker, answers)`` (the chart's expected answers) and close the window; returns the debrief's
    report JSON, the recorded session and the mL pushed through each side's cannula."""
    w = create_window(tmp_path / "sessions", settings_from_path(str(tmp_path / "settings.ini")))
    w.pixels_override = TEST_PIXELS
    try:
        drv = GuiDriver(w, timeout_s=240)
        picker = startup(w, str(toml))
        run(drv, picker, {k: g["expected"] for k, g in scenario.decisions.gates.items()})
        return w.debrief.report_json, read_session(w.controller.path), dict(w.view.side_cement_ml)
    finally:
        w.close()
