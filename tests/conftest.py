"""Test-wide settings: headless Qt unless the caller chose a platform; a private patient cache."""

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True, scope="session")
def _private_patient_cache(tmp_path_factory):
    """Tests (and the commands they run) never touch the user's patient cache (trainer.core.anatomy.cache)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("VPTRAINER_CACHE_DIR", str(tmp_path_factory.mktemp("vptrainer-cache")))
    # finished GUI sessions record attempts: never in the user's trainee store
    mp.setenv("VPTRAINER_STORE", str(tmp_path_factory.mktemp("vptrainer-store") / "records.sqlite3"))
    yield
    mp.undo()
