"""Launching: `vptrainer gui` end to end in a subprocess, one-line errors, the excepthook, oblique views."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtCore import Qt

from trainer.cli import main as cli_main

SMOKE = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import trainer.ui.app as app

real_startup = app.startup

def startup(window, scenario=None):
    dlg = real_startup(window, scenario)
    print("dialog:", type(dlg).__name__, dlg.current_scenario().id, flush=True)
    QTimer.singleShot(50, QApplication.instance().closeAllWindows)
    return dlg

app.startup = startup
from trainer.cli import main
sys.exit(main(["gui", "l2-endplate-crack", "--session-dir", sys.argv[1]]))
"""


def test_vptrainer_gui_opens_the_picker_and_exits_cleanly(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    r = subprocess.run([sys.executable, "-c", SMOKE, str(tmp_path / "sessions")], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "dialog: ScenarioPicker l2-endplate-crack" in r.stdout     # the scenario given is preselected


def test_unknown_scenario_is_a_one_line_error_before_any_window(capsys):
    assert cli_main(["gui", "no-such-case"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no-such-case" in err and "Traceback" not in err


def test_excepthook_shows_unexpected_errors_in_a_dialog(make_window, monkeypatch):
    from trainer.ui import app

    w, _ = make_window()
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    app._install_excepthook(w)
    try:
        raise KeyError("surprise")
    except KeyError:
        sys.excepthook(*sys.exc_info())
    box = w.dialogs[-1]
    assert box.objectName() == "errorBox" and box.isVisible()
    assert "KeyError" in box.text() and "surprise" in box.detailedText()


def test_oblique_pose_opens_the_third_monitor(make_window):
    w, d = make_window()
    d.start(w.show_picker())
    d.answer_checklist({"candidacy": "proceed"})       # the C-arm waits for the checklist decision
    assert not w.monitors["oblique"].isVisible()
    w.carm.orbital.setValue(45.0)
    d.click(w.carm.move_button)
    d.idle()
    d.key(Qt.Key.Key_S)
    d.idle()
    assert w.view.view == "oblique"
    assert w.monitors["oblique"].isVisible() and w.monitors["oblique"].has_image
    assert "OBLIQUE" in w.monitors["oblique"].title_label.text()
