"""``scenarios import-ct`` on the CT angiogram (C7 to T12) by a first-time user who does not know its levels yet
(round 24): without ``--level`` argparse said only "--level is required"; with the menu's ``--level L1`` the refusal
listed C7-T12 as the levels numbered, of which only T8-T12 are levels the trainer models.  Both now name T8 to
T12.  Oracles: the package's series (C7 to the T12/L1 disc, test_realct_count_from_t1.py), LEVELS (T8-L5);
nothing written, exit 2, one line, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import realct_sources as sources

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def angiogram_series(tmp_path_factory):
    root = tmp_path_factory.mktemp("angio")
    sources.write_dicom(sources.load("aorta"), root / "series")
    return root


@pytest.mark.parametrize("level, expected", [
    (None, "--level: missing; this series is numbered C7 to T12 by first rib: give one of T8 to T12"),
    ("L1", "--level L1: not in the field of view or not numbered (levels numbered: C7, T1, T2, T3, T4, T5, T6, T7, "
           "T8, T9, T10, T11, T12; of those T8 to T12 can be imported)"),
])
def test_import_ct_names_the_levels_the_series_can_give(angiogram_series, level, expected):
    out = angiogram_series / "case.toml"
    cmd = [sys.executable, "-m", "trainer.cli", "scenarios", "import-ct", str(angiogram_series / "series"),
           "--out", str(out), *([] if level is None else ["--level", level])]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert expected in lines[0], lines[0]
    if level is not None:          # the series' folder is named (round 29: the message named the option only)
        assert f"error: {angiogram_series / 'series'}: --level {level}: " in lines[0], lines[0]
    assert not out.exists()
