"""Every malformed file in tests/data/bad_scenarios gives its specific, complete error (and no traceback)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from trainer.cli import main
from trainer.core.errors import ScenarioError
from trainer.core.scenario.loader import load_scenario

BAD = Path(__file__).resolve().parents[2] / "data" / "bad_scenarios"
FILES = sorted(BAD.glob("*.toml"))


def expectations(path: Path) -> list[str]:
    return re.findall(r"^# expect: (.+)$", path.read_text(), re.M)


def test_there_are_at_least_20_distinct_bad_files():
    assert len(FILES) >= 20
    assert len({tuple(expectations(f)) for f in FILES}) == len(FILES)


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_bad_file_gives_its_specific_error(path):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    problems = exc.value.problems
    assert len(problems) == 1, problems
    msg = problems[0]
    m = re.match(rf"{re.escape(str(path))}:(\d+): ", msg)
    assert m, msg                                  # file and line
    line = int(m.group(1))
    text_lines = path.read_text().splitlines()
    if "not valid TOML" not in msg:                # the field, and the line really holds it
        field = re.match(r"(\S+?)( =|:| is missing)", msg[m.end():]).group(1)
        key = field.split(".")[-1].split("[")[0]
        written = text_lines[line - 1]
        assert key in written or written.startswith("["), (line, written, msg)
    assert "expected" in msg                       # what is allowed
    for fragment in expectations(path):
        assert fragment in msg, (fragment, msg)


@pytest.mark.parametrize("path", FILES[:3] + FILES[-3:], ids=lambda p: p.stem)
def test_cli_validate_reports_it_with_exit_2_in_process(path, capsys):
    assert main(["scenarios", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: INVALID (1 problem)" in err
    for fragment in expectations(path):
        assert fragment in err


def test_cli_validate_all_bad_files_in_one_run_no_traceback():
    good = Path(__file__).resolve().parents[3] / "scenarios" / "l1-wedge-default.toml"
    r = subprocess.run([sys.executable, "-m", "trainer.cli", "scenarios", "validate", str(good),
                        *map(str, FILES)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.count("INVALID (1 problem)") == len(FILES)
    assert f"{good}: OK" in r.stdout
    for path in FILES:
        for fragment in expectations(path):
            assert fragment in r.stderr, (path.name, fragment)
