"""Test-wide settings: headless Qt unless the caller chose a platform; a private patient cache shared by the
run's workers; tools/test.sh's workers take the longest test files first (xdist_order) and leave a trail a crash
cannot lose (crash_trail)."""

import os
import sys

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = ["crash_trail"]      # each worker's last steps and Qt messages in out/ (tools/test.sh prints them)


def _run_temp(tmp_path_factory):
    """The run's temporary folder: under pytest-xdist every worker's own folder (``popen-gwN``) lies in the
    controller's, so a folder made there is one for the whole run."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(autouse=True, scope="session")
def _private_patient_cache(tmp_path_factory):
    """Tests (and the commands they run) never touch the user's patient cache (trainer.core.anatomy.cache).

    The workers of one run share it: a CT patient one worker labelled (import-ct, a scenario opened) is read by
    the other instead of labelled again.  The cache is made for concurrent processes (an entry is written to a
    temporary file renamed into place, the secret is linked, never replaced) and is keyed by everything that
    shapes the patient, so a worker reads only the patient it would have built.
    """
    mp = pytest.MonkeyPatch()
    cache = _run_temp(tmp_path_factory) / "vptrainer-cache"
    cache.mkdir(exist_ok=True)
    mp.setenv("VPTRAINER_CACHE_DIR", str(cache))
    # what several real-CT files build from the same CT (a turned CT, a reference, a column), once per run
    # (tests/realct/realct_memo.py; the folder is made there on first use by either worker)
    memo = _run_temp(tmp_path_factory) / "realct-memo"
    memo.mkdir(exist_ok=True)
    mp.setenv("VPTRAINER_TEST_MEMO_DIR", str(memo))
    # finished GUI sessions record attempts: never in the user's trainee store
    mp.setenv("VPTRAINER_STORE", str(tmp_path_factory.mktemp("vptrainer-store") / "records.sqlite3"))
    yield
    mp.undo()


@pytest.hookimpl(optionalhook=True)                 # a run without pytest-xdist (-p no:xdist) has no such hook
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` (tools/test.sh) hands out the longest test file first (tests/xdist_order.py)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist_order import LongestFileFirst

    return LongestFileFirst(config, log)


@pytest.fixture(autouse=True)
def _no_modal_dialog_left_open():
    """A modal dialog a test leaves open (the scenario picker opened over a main window the test's teardown only
    hid) is closed after the test.  Left open, it blocks every other window of the process from input: a later
    test's real mouse moves never reached its widgets (the CT editor's marker-hover test saw 0 moves under an
    earlier test's window-modal picker and timed out in CI, round 36; alone it passed).  Measured on tests/ui: 22
    tests leave one open (message boxes over a closed editor, the picker of test_ct_landmarks'
    test_open_scenario_file_starts_in_the_folder_the_editor_saved_to)."""
    yield
    if "PySide6.QtWidgets" not in sys.modules:      # a test without Qt: nothing to close
        return
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for w in app.topLevelWidgets():
        if w.isVisible() and w.windowModality() != Qt.WindowModality.NonModal:
            w.close()


@pytest.fixture
def estimates_run():
    """The landmark editor's memo of its last estimates (trainer.ui.ct_estimate_memo) emptied before and after the
    test: a test that watches an estimate run (its progress steps, a Cancel at one of them) sees it run, not the
    answer kept from an earlier load of the same series at the same level."""
    from trainer.ui.ct_estimate_memo import ESTIMATES

    ESTIMATES.clear()
    yield
    ESTIMATES.clear()
