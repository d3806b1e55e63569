"""A CT folder or slice the user may not read: ``import-ct`` says so in one line, exit 2, nothing written.

Round 30 (docs/realct-log.md pass 153, hostile30): a series folder without read permission (it cannot be
listed) or without execute permission (its files cannot be opened) ended in a PermissionError traceback,
exit 1, from the folder listing (``dicom_folder.series_files``); a slice of mode 000 was "not a readable DICOM
file (PermissionError ...); remove it from the series folder", advice that does not fit.  The tests run as root,
who reads anything, so each command runs without the two capabilities that bypass a file's mode, as
tests/realct/test_realct_readonly_out.py does (``setpriv``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from trainer.core.anatomy.dicom_io import write_ct_series
from trainer.core.anatomy.grid import Grid, Volume

REPO = Path(__file__).resolve().parents[3]
_UNPRIVILEGED = (["setpriv", "--bounding-set=-dac_override,-dac_read_search",
                  "--inh-caps=-dac_override,-dac_read_search"] if os.geteuid() == 0 else [])


def _import_ct(folder: Path, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([*_UNPRIVILEGED, sys.executable, "-m", "trainer", "scenarios", "import-ct", str(folder),
                           "--level", "L1", "--out", str(out)], capture_output=True, text=True, env=env, cwd=REPO,
                          check=False)


@pytest.mark.parametrize(("case", "mode", "said"), [
    ("folder-without-read", 0o311, "series: the folder cannot be read (Permission denied: "),
    ("folder-without-execute", 0o666, "series: the folder cannot be read (Permission denied: "),
    ("slice-of-mode-000", None, "CT0003.dcm: the file cannot be read (Permission denied); expected a slice you may read"),
], ids=["folder-without-read", "folder-without-execute", "slice-of-mode-000"])
def test_an_unreadable_folder_or_slice_is_one_line_exit_2(tmp_path, case, mode, said):
    hu = np.full((6, 8, 9), -1000, np.int16)
    folder = tmp_path / "series"
    files = write_ct_series(Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid(hu.shape, (1.0, 1.0, 2.0),
                                                                                          (0.0, 0.0, 0.0))), folder)
    out = tmp_path / "case.toml"
    try:
        if mode is None:
            files[2].chmod(0)
        else:
            folder.chmod(mode)
        done = _import_ct(folder, out)
    finally:
        folder.chmod(0o755)
        files[2].chmod(0o644)
    err = done.stderr.strip()
    assert done.returncode == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert said in err and "remove it" not in err, err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["series"]
