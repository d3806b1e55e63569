"""The command line: version, help, and one-line errors with exit status 2."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import trainer
from trainer import __version__
from trainer.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"vptrainer {__version__}"


def _command_names_on_disk() -> set[str]:
    """NAME of every public module in trainer/commands, read from the source (not via cli)."""
    names = set()
    for path in (Path(trainer.__file__).parent / "commands").glob("*.py"):
        if path.name.startswith("_"):
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["NAME"]:
                names.add(node.value.value)
    return names


def test_help_lists_every_subcommand_and_the_readme_documents_each(capsys):
    on_disk = _command_names_on_disk()
    assert {"gui", "assess", "render", "play", "scenarios", "phantom"} <= on_disk
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    listed = set(re.findall(r"^    ([a-z][a-z-]*)", out.split("COMMAND", 1)[1], flags=re.M))
    assert listed == on_disk
    readme = (Path(trainer.__file__).parent.parent / "README.md").read_text()
    assert {n for n in on_disk if f"`vptrainer {n}" not in readme} == set()
    for name in sorted(on_disk):                      # each one parses its own --help
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0, name
        assert f"usage: vptrainer {name}" in capsys.readouterr().out


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
