"""Long work (building a patient, reading a CT) runs off the GUI thread with progress and cancel."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from trainer.cli import main as cli_main

CT_SCENARIO = """
[scenario]
title = "Patient CT rehearsal (synthetic phantom series)"
difficulty = "advanced"
objectives = ["Rehearse on a patient CT"]
seed = 3

[ct]
folder = "series"
level = "L1"

[ct.landmarks]
body_centre_mm = [0.0, 0.0, 0.0]
pedicle_left_centre_mm = [12.0, 20.0, 4.0]
pedicle_right_centre_mm = [-12.0, 20.0, 4.0]
superior_endplate_z_mm = 10.0
inferior_endplate_z_mm = -11.0
"""


@pytest.fixture(scope="module")
def ct_scenario(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ct")
    assert cli_main(["phantom", "--out", str(folder / "series"), "--voxel-mm", "1.0"]) == 0
    path = folder / "ct.toml"
    path.write_text(CT_SCENARIO)
    return path


def test_ct_scenario_loads_with_slice_progress(make_window, ct_scenario):
    w, d = make_window()
    picker = w.show_picker()
    picker.add_scenario_file(ct_scenario)
    assert picker.current_scenario().ct is not None
    seen = []
    w.controller.progress.connect(lambda f, text: seen.append((f, text)))
    d.wait_until(picker.start_button.isEnabled, "Start, once the picker has read the series")
    d.click(picker.start_button)
    assert w.progress is not None and w.progress.isVisible()       # shown at once, not modal-blocking
    d.wait_until(lambda: w.view is not None, "the CT patient")
    assert w.progress is None
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("slice" in text for _, text in seen)
    d.answer_checklist({"candidacy": "proceed"})       # the C-arm waits for the checklist decision
    d.key(Qt.Key.Key_S)
    d.idle()
    assert w.monitors["ap"].has_image


def test_cancelled_build_never_opens_a_session(make_window, session_dir):
    w, d = make_window()
    picker = w.show_picker()
    d.click(picker.start_button)
    from PySide6.QtWidgets import QPushButton

    cancel = [b for b in w.progress.findChildren(QPushButton) if b.text() == "Cancel"][0]
    d.click(cancel)
    d.wait_until(lambda: not w.controller.busy, "the cancelled build to stop")
    d.pump(0.1)
    assert w.view is None and not w.controller.ready
    assert w.status.log[-1] == "Cancelled."
    assert list(session_dir.glob("*.jsonl")) == []
    assert not w.carm.isEnabled()
