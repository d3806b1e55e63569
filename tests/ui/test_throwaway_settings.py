"""Scripted GUI runs (tools/screenshots.py, benchmarks/gui_responsiveness.py) keep out of the user's
records: their settings name a trainee store in their own temporary folder.  Until round 23 the
screenshot tool's expert sessions were recorded in the user's store (pass 84) and showed in the
user's learning curve.  Oracle: platformdirs' per-user data folder (where the user's store is)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from trainer.ui.records_menu import store_path
from trainer.ui.settings import throwaway_settings


def test_a_throwaway_run_records_in_its_own_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("VPTRAINER_STORE", raising=False)
    user_data = Path(platformdirs.user_data_dir("vptrainer", appauthor=False))
    settings = throwaway_settings(tmp_path)
    path = store_path(settings)
    assert path.parent == tmp_path and user_data not in path.parents, path
    assert (tmp_path / "settings.ini").is_file()           # the settings themselves are in the folder too
