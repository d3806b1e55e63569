"""GUI test fixtures: temporary settings and session folders, windows that close after the test.

Tests use 160-pixel detector images (recorded in the session header, so replays match)
and never block on a dialog: every dialog in the trainer is opened non-modally.
"""

from __future__ import annotations

import pytest

from trainer.ui.app import create_window
from trainer.ui.demo import GuiDriver
from trainer.ui.settings import settings_from_path

TEST_PIXELS = 160


@pytest.fixture
def ui_settings(tmp_path):
    return settings_from_path(str(tmp_path / "settings.ini"))


@pytest.fixture
def session_dir(tmp_path):
    d = tmp_path / "sessions"
    d.mkdir()
    return d


@pytest.fixture
def make_window(qtbot, ui_settings, session_dir):
    """``make_window()`` -> (window, driver); every window is closed at teardown."""
    made = []

    def factory(settings=None, folder=None):
        w = create_window(folder or session_dir, settings or ui_settings)
        w.pixels_override = TEST_PIXELS
        made.append(w)
        return w, GuiDriver(w, timeout_s=90)

    yield factory
    for w in made:
        if w.isVisible():
            w.close()
