"""A refused value is shown in its message at a readable length (round 35, hostile35).

A scenario's field holding a very long value (``[ct] estimated`` with 500 entries, a pasted title of 20,000
characters) was echoed whole into the one line that refuses it (9 kB for the 500 entries), the field, the fault
and what is allowed lost at the end of a wall of text.  Oracle: the value written.
"""

from __future__ import annotations

import pytest

from trainer.core.errors import ScenarioError
from trainer.core.scenario.checks import Checker, show
from trainer.core.scenario.loader import load_scenario, resolve

#: the longest message line a refused value may make (the value cut at about 200 characters)
LONGEST = 500


def test_a_long_value_is_cut_in_the_message_saying_how_long_it_is():
    ck = Checker("case.toml", "[ct]\nestimated = []\n")
    value = ["body_centre_mm"] * 500
    ck.bad("ct.estimated", value, "a list of distinct strings")
    msg = ck.errors[0]
    assert len(msg) < LONGEST, len(msg)
    assert msg.startswith('case.toml:2: ct.estimated = ["body_centre_mm", "body_centre_mm", ')
    assert "... (500 items)]: not allowed; expected a list of distinct strings" in msg, msg
    ck.bad("scenario.title", "x" * 20000, "a string")
    assert '... (20000 characters)": not allowed' in ck.errors[1] and len(ck.errors[1]) < LONGEST


def test_a_short_value_is_shown_whole():
    assert show(["a", 1, True]) == '["a", 1, true]'
    ck = Checker("case.toml", "")
    ck.bad("ct.series", [2], "a SeriesNumber")
    assert ck.errors == ["case.toml:1: ct.series = [2]: not allowed; expected a SeriesNumber"]


def test_a_scenario_with_a_long_bad_list_is_refused_in_a_readable_line(tmp_path):
    text = resolve("l1-wedge-default").read_text()
    p = tmp_path / "long.toml"
    p.write_text(text.replace('history = ["postmenopausal', "history = [" + "1, " * 2000 + '"postmenopausal'))
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    msg = err.value.problems[0]
    assert msg.startswith(f"{p}:") and "patient.history = [1, 1, " in msg and "(2002 items)]" in msg, msg
    assert len(msg) < LONGEST, len(msg)
