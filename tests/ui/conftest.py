"""GUI test fixtures: temporary settings and session folders, windows that close after the test.

Tests use 160-pixel detector images (recorded in the session header, so replays match)
and never block on a dialog: every dialog in the trainer is opened non-modally.
"""

from __future__ import annotations

import os
from pathlib import Path

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
    """``make_window()`` -> (window, driver); every window, and every dialog it opened, is closed at teardown.

    A dialog opened from a window's menu (``w.dialogs``) outlives a window that was never shown: left open
    it stays on screen over the next test's windows, whose real mouse moves then land on it.
    """
    made = []

    def factory(settings=None, folder=None):
        w = create_window(folder or session_dir, settings or ui_settings)
        w.pixels_override = TEST_PIXELS
        made.append(w)
        return w, GuiDriver(w, timeout_s=90)

    yield factory
    for w in made:
        for dlg in list(getattr(w, "dialogs", [])):     # a copy: a picker or CT editor closed leaves the list
            if dlg.isVisible():
                dlg.close()
        if w.isVisible():
            w.close()


@pytest.fixture
def checklist_done(make_window):
    """``checklist_done(size=None)`` -> (window, driver): the default case (l1-wedge-default) started from the
    picker and its checklist answered as expected (at the procedure's first stage); ``size`` (w, h px): the
    window resized to it and shown first, as the walk-throughs' full-size window."""

    def start(size=None):
        w, d = make_window()
        if size is not None:
            w.resize(*size)
            w.show()
        picker = w.show_picker()
        assert picker.select("l1-wedge-default")
        d.start(picker)
        d.answer_checklist({k: g["expected"] for k, g in w.scenario.decisions.gates.items()})
        return w, d

    return start


@pytest.fixture
def placed_at_three_quarters(checklist_done):
    """(window, driver) at 1600 x 1000 with the left trocar placed and advanced to 0.75 of the body, real keys (the
    cement panel's tests start there)."""
    from PySide6.QtCore import Qt

    w, d = checklist_done(size=(1600, 1000))
    d.align()
    d.key(Qt.Key.Key_1)
    d.idle()
    d.pick_entry("left")
    d.place()
    d.advance_to(0.75)
    return w, d


@pytest.fixture
def renames(monkeypatch):
    """Every rename or link of a file into place while the test runs, as the safe writer makes it.

    A list of ``(source, destination, source bytes, destination bytes before or None)``,
    recorded just before the real ``os.replace`` / ``os.link`` runs.
    """
    calls = []
    real_replace, real_link = os.replace, os.link

    def record(src, dst):
        s, d = Path(src), Path(dst)
        if s.is_file():
            calls.append((s, d, s.read_bytes(), d.read_bytes() if d.is_file() else None))

    def replace(src, dst, *a, **k):
        record(src, dst)
        return real_replace(src, dst, *a, **k)

    def link(src, dst, *a, **k):
        record(src, dst)
        return real_link(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "link", link)
    return calls


@pytest.fixture
def save_dialog(monkeypatch):
    """``save_dialog(path)``: the OS save dialog returns ``path`` (as if typed); the returned list
    collects the ``options`` of each call."""
    from PySide6.QtWidgets import QFileDialog

    seen: list = []

    def choose(path):
        def fake(parent, title, start, filters, *a, options=None, **k):
            seen.append(options)
            return str(path), filters

        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))
        return seen

    return choose


@pytest.fixture
def assert_atomic(renames):
    """``assert_atomic(dest, content, old)``: one temporary file in ``dest``'s folder, holding
    ``content`` whole, was renamed onto ``dest`` (which held ``old`` bytes, or did not exist)."""
    return lambda dest, content, old: _assert_atomic(renames, dest, content, old)


def _assert_atomic(renames, dest, content: bytes, old: bytes | None):
    into = [c for c in renames if c[1] == Path(dest)]
    assert len(into) == 1, renames
    src, _dst, src_bytes, before = into[0]
    assert src != Path(dest) and src.parent == Path(dest).parent and src.name.startswith(f".{Path(dest).name}.")
    assert src_bytes == content == Path(dest).read_bytes()
    assert before == old
    assert not src.exists() and not [p for p in Path(dest).parent.iterdir() if p.name.endswith(".part" + Path(dest).suffix)]
