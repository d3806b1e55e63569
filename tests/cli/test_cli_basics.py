"""The command line: version, help, and one-line errors with exit status 2."""

import subprocess
import sys

import pytest

from trainer import __version__
from trainer.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"vptrainer {__version__}"


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name in ("gui",):
        assert name in out


def test_gui_without_display_prints_one_line_and_exits_2():
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    r = subprocess.run([sys.executable, "-m", "trainer.cli"], capture_output=True, text=True, env=env)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "xvfb-run" in lines[0]
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("extra", [[], ["l1-wedge-default"], ["--session-dir", "/tmp/vpt-sessions"]])
def test_without_a_subcommand_the_gui_is_meant(extra):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    r = subprocess.run([sys.executable, "-m", "trainer.cli", *extra], capture_output=True, text=True, env=env)
    # no display: the GUI command's one-line advice, not an argparse "invalid choice"
    assert r.returncode == 2 and "xvfb-run" in r.stderr and "invalid choice" not in r.stderr


def test_unknown_option_is_a_usage_error_with_status_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["render", "--no-such-option"])
    assert exc.value.code == 2
