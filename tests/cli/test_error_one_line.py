"""The command line's errors stay one line when a name holds a control character (trainer.cli.error_text).

A scenario file in a folder named ``a\\nb``: ``scenarios show`` prints its one problem on one line, and a file
with five problems keeps its layout (a count line, then one line per problem), each problem on its own line
with the newline written ``\\n``.  The oracle is the text the loader raises (ScenarioError.problems), escaped
with ``repr`` by hand.
"""

from __future__ import annotations

import pytest

from trainer.cli import main
from trainer.core.errors import ScenarioError
from trainer.core.scenario.loader import load_scenario

_FIVE = ('[scenario]\ntitle = "t"\nobjectives = ["o"]\ndifficulty = "hard"\n\n'
         '[anatomy]\nlevel = "L9"\ngrade = 4\n\n[patient.labs]\ninr = "x"\n\n[carm]\nbiplane = "yes"\n')


def _problems(path):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    return exc.value.problems


@pytest.mark.parametrize("folder", ["a\nb", "a\rb", "a\x1bb", "a\u2028b"])
def test_one_problem_is_one_line(tmp_path, capsys, folder):
    p = tmp_path / folder / "bad.toml"
    p.parent.mkdir()
    p.write_text('[scenario]\ntitle = "t"\nobjectives = ["o"]\ndifficulty = "hard"\n', encoding="utf-8")
    (problem,) = _problems(p)
    assert main(["scenarios", "show", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"vptrainer: error: {problem.replace(folder, repr(folder)[1:-1])}"], repr(err)


def test_several_problems_keep_their_layout_one_line_each(tmp_path, capsys):
    p = tmp_path / "a\nb" / "many.toml"
    p.parent.mkdir()
    p.write_text(_FIVE, encoding="utf-8")
    problems = _problems(p)
    assert len(problems) == 5
    assert main(["scenarios", "show", str(p)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["vptrainer: error: 5 problems:", *(f"    {m.replace(chr(10), chr(92) + 'n')}" for m in problems)]


def test_backslashes_and_quotes_are_left_as_they_are(tmp_path, capsys):
    """Only control characters are escaped: a Windows-style name and quotes read as written."""
    p = tmp_path / "C:\\x 'q' \"d\" ü" / "bad.toml"
    p.parent.mkdir()
    p.write_text('[scenario]\ntitle = "t"\nobjectives = ["o"]\ndifficulty = "hard"\n', encoding="utf-8")
    (problem,) = _problems(p)
    assert main(["scenarios", "show", str(p)]) == 2
    assert capsys.readouterr().err == f"vptrainer: error: {problem}\n"
