"""An output folder the user cannot write to: ``import-ct``, ``play`` and ``render`` say so in one line, exit 2 and
write nothing (a guard: right on 286e67d, never exercised, because the tests run as root and root ignores the
folder's mode; docs/realct-log.md passes 100 and 110 could not make such a folder).

Each command runs in its own process; as root it runs without the capabilities that let root write anywhere
(``setpriv`` drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH), so the folder's mode 0555 applies to it as it does to
an instructor's account.  Oracle: the same process cannot create a file there either (PermissionError), and the
folder's listing is unchanged afterwards.  The realistic case for import-ct: a series on a read-only medium (a CD
export) with the scenario to be written beside it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXPERT = REPO / "tests" / "data" / "expert_l1_left.jsonl"
#: as root: without the two capabilities that bypass a file's mode (man 7 capabilities)
_UNPRIVILEGED = (["setpriv", "--bounding-set=-dac_override,-dac_read_search",
                  "--inh-caps=-dac_override,-dac_read_search"] if os.geteuid() == 0 else [])


def _run(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([*_UNPRIVILEGED, sys.executable, *args], capture_output=True, text=True, env=env,
                          cwd=REPO, check=False)


@pytest.fixture(scope="module")
def read_only(totalseg_series, tmp_path_factory):
    """A folder of mode 0555 holding the abdominal CT's series (as a CD export holds it)."""
    folder = tmp_path_factory.mktemp("readonly") / "export"
    shutil.copytree(totalseg_series[1], folder / "series")
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    yield folder
    folder.chmod(0o755)


def test_the_folder_is_read_only_to_the_commands(read_only):
    """The oracle: a process run as the commands are cannot create a file in the folder."""
    done = _run("-c", f"open({str(read_only / 'probe.txt')!r}, 'w')")
    assert done.returncode != 0 and "PermissionError" in done.stderr, done.stderr
    assert sorted(p.name for p in read_only.iterdir()) == ["series"]


@pytest.mark.parametrize("command", [
    pytest.param(lambda ro: ["scenarios", "import-ct", str(ro / "series"), "--level", "L3", "--out",
                             str(ro / "case.toml")], id="import-ct"),
    pytest.param(lambda ro: ["play", "l1-wedge-default", "--actions", str(EXPERT), "--out", str(ro / "s.jsonl")],
                 id="play"),
    pytest.param(lambda ro: ["render", "l1-wedge-default", "--out", str(ro / "ap.png")], id="render"),
])
def test_an_output_in_a_read_only_folder_is_one_line_exit_2_nothing_written(read_only, command):
    args = command(read_only)
    done = _run("-m", "trainer", *args)
    err = done.stderr.strip()
    assert done.returncode == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    out = args[args.index("--out") + 1]
    assert f"'{out}' is not allowed" in err and f"{read_only} is not writable" in err, err
    assert sorted(p.name for p in read_only.iterdir()) == ["series"]
