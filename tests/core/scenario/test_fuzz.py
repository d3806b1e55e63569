"""Any value in any field either loads or gives ScenarioErrors naming file, line and field: never a crash."""

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.errors import ScenarioError
from trainer.core.scenario.loader import parse_scenario
from trainer.core.scenario.schema import SECTIONS

FIELDS = [(sec, key) for sec, fields in SECTIONS.items() for key, spec in fields.items()
          if spec.kind != "table" and not sec.startswith("ct")]

scalars = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False, width=32),
                    st.booleans(), st.text(alphabet="abcLT0123456789 _-", max_size=12))
values = st.one_of(scalars, st.lists(scalars, max_size=3))


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v + '"'
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return repr(v)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FIELDS), values), min_size=1, max_size=4, unique_by=lambda t: t[0]))
def test_random_field_values_never_crash(assignments):
    by_section: dict = {}
    for (sec, key), v in assignments:
        by_section.setdefault(sec, []).append(f"{key} = {toml_value(v)}")
    by_section.setdefault("scenario", [])
    meta = by_section["scenario"]
    if not any(line.startswith("title =") for line in meta):
        meta.append('title = "t"')
    if not any(line.startswith("objectives =") for line in meta):
        meta.append('objectives = ["o"]')
    text = "\n\n".join(f"[{sec}]\n" + "\n".join(lines) for sec, lines in by_section.items()) + "\n"
    lines = text.splitlines()
    try:
        parse_scenario(text, Path("fuzz.toml"))
    except ScenarioError as exc:
        for msg in exc.problems:
            m = re.match(r"fuzz\.toml:(\d+): (\S+?)( =|:| is missing)", msg)
            assert m, msg
            line, field = int(m.group(1)), m.group(2)
            assert 1 <= line <= len(lines)
            key = field.split(".")[-1].split("[")[0]
            assert key in lines[line - 1] or lines[line - 1].startswith("["), (msg, lines[line - 1])
            assert "expected" in msg
