"""``python -m trainer`` is the same command line as ``python -m trainer.cli`` (the script).

Each case runs both in a subprocess and compares stdout, stderr and exit status; on a
checkout without ``trainer/__main__.py`` the first one fails with "No module named
trainer.__main__" and status 1.
"""

import subprocess
import sys

import pytest

_NO_DISPLAY = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}


def _run(module: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True,
                          env=_NO_DISPLAY)


@pytest.mark.parametrize("args, status", [
    (["--help"], 0),                                   # the same help text, every subcommand listed
    (["scenarios", "list"], 0),                        # a headless command's output
    (["render", "--no-such-option"], 2),               # argparse usage error
    (["assess", "/nonexistent/session.jsonl"], 2),     # a VPTrainerError: one line, status 2
    ([], 2),                                           # no subcommand: the GUI, which needs a display
])
def test_python_m_trainer_is_the_cli(args, status):
    via_package = _run("trainer", *args)
    via_cli = _run("trainer.cli", *args)
    assert via_package.returncode == status, via_package.stderr
    assert (via_package.stdout, via_package.stderr, via_package.returncode) == \
        (via_cli.stdout, via_cli.stderr, via_cli.returncode)


def test_python_m_trainer_help_names_the_program_vptrainer():
    out = _run("trainer", "--help").stdout
    assert out.startswith("usage: vptrainer ")
    assert "scenarios" in out and "assess" in out
