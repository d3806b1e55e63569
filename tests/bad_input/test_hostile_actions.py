"""Action files (``vptrainer play --actions``) and single actions: hostile lines are one clear
error naming file:line (exit 2) or, for a well-formed action with a bad value, a refusal
naming the field; never a traceback (issue 18).  Listed in docs/bad-input.md ("Actions")."""

import pytest

from trainer.cli import main
from trainer.core.errors import ActionRefused
from trainer.core.procedure.actions import validate

GOOD = '{"type": "carm", "preset": "ap"}'
#: (case id, the second line of the file, a word the message must contain)
FILE_CASES = [
    ("nan_literal", '{"type": "advance", "mm": NaN}', "NaN"),
    ("infinity_literal", '{"type": "advance", "mm": Infinity}', "Infinity"),
    ("minus_infinity", '{"type": "wait", "s": -Infinity}', "Infinity"),
    ("int_5000_digits", '{"type": "advance", "mm": ' + "9" * 5000 + "}", "number"),
    ("deep_arrays", '{"type": "aim", "direction": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested"),
    ("deep_objects", '{"type": "shot", "x": ' + '{"a": ' * 50 + "1" + "}" * 50 + "}", "nested"),
    ("duplicate_key", '{"type": "advance", "mm": 5, "mm": -5}', "duplicate"),
    ("duplicate_type", '{"type": "finish", "type": "shot"}', "duplicate"),
    ("not_json", "advance 5 mm", "JSON"),
    ("truncated_json", '{"type": "advance", "mm": 5', "JSON"),
    ("array_not_object", '["advance", 5]', "object"),
    ("string_line", '"finish"', "object"),
    ("number_line", "42", "object"),
    ("null_line", "null", "object"),
    ("type_missing", '{"mm": 5}', "type"),
    ("type_not_string", '{"type": 7}', "type"),
    ("type_null", '{"type": null}', "type"),
    ("huge_line", '{"type": "shot", "pad": "' + "x" * 5_000_000 + '"}', "long"),
    ("trailing_garbage", '{"type": "finish"} extra', "JSON"),
    ("bom_inside", '\ufeff{"type": "finish"}', "JSON"),
    ("lone_surrogate", '{"type": "decide", "item": "\\ud800", "answer": "x"}', "surrogate"),
    ("refused_value", '{"type": "advance", "mm": 1e400}', None),
]


@pytest.mark.parametrize("case", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_a_bad_action_line_is_one_error_with_file_and_line(tmp_path, capsys, case):
    _, line, word = case
    acts = tmp_path / "a.jsonl"
    acts.write_text(GOOD + "\n" + line + "\n", encoding="utf-8", errors="surrogatepass")
    out = tmp_path / "s.jsonl"
    rc = main(["play", "--actions", str(acts), "--out", str(out)])
    _, err = capsys.readouterr()
    assert "Traceback" not in err and len(err) < 1000
    if word is None:                          # well-formed JSON: recorded as a refused action
        assert rc == 0 and "refused" in err
        return
    assert rc == 2 and err.count("\n") == 1
    assert f"{acts}:2:" in err and word.lower() in err.lower()
    assert not out.exists()


@pytest.mark.parametrize("raw", [b"\xff\xfe\x00garbage\n", b"", b"# only a comment\n\n", b"\x00" * 100])
def test_unreadable_or_empty_action_files(tmp_path, capsys, raw):
    acts = tmp_path / "a.jsonl"
    acts.write_bytes(raw)
    rc = main(["play", "--actions", str(acts), "--out", str(tmp_path / "s.jsonl")])
    _, err = capsys.readouterr()
    assert rc == 2 and "Traceback" not in err and str(acts) in err and err.count("\n") == 1


def test_a_missing_or_folder_actions_file(tmp_path, capsys):
    for p in (tmp_path / "nope.jsonl", tmp_path):
        rc = main(["play", "--actions", str(p), "--out", str(tmp_path / "s.jsonl")])
        _, err = capsys.readouterr()
        assert rc == 2 and "Traceback" not in err and err.count("\n") == 1


#: Well-formed actions with a value no procedure can take: refused, naming the field.
BIG = 10 ** 400
VALUE_CASES = [
    ({"type": "advance", "mm": float("nan")}, "advance.mm"),
    ({"type": "advance", "mm": float("inf")}, "advance.mm"),
    ({"type": "advance", "mm": BIG}, "advance.mm"),
    ({"type": "advance", "mm": -BIG}, "advance.mm"),
    ({"type": "advance", "mm": True}, "advance.mm"),
    ({"type": "advance", "mm": "5"}, "advance.mm"),
    ({"type": "advance", "mm": None}, "advance.mm"),
    ({"type": "advance", "mm": [5]}, "advance.mm"),
    ({"type": "wait", "s": float("-inf")}, "wait.s"),
    ({"type": "wait", "s": 0}, "wait.s"),
    ({"type": "inject", "ml": float("nan")}, "inject.ml"),
    ({"type": "inject", "ml": 1e-300}, "inject.ml"),
    ({"type": "shot", "pulses": BIG}, "shot.pulses"),
    ({"type": "shot", "pulses": 2.5}, "shot.pulses"),
    ({"type": "shot", "fluoro_s": float("nan")}, "shot.fluoro_s"),
    ({"type": "shot", "continuous": "yes"}, "shot.continuous"),
    ({"type": "carm", "orbital_deg": float("nan")}, "carm.orbital_deg"),
    ({"type": "carm", "tilt_deg": BIG}, "carm.tilt_deg"),
    ({"type": "carm", "table_offset_mm": [0, float("nan"), 0]}, "carm.table_offset_mm"),
    ({"type": "carm", "table_offset_mm": [0, 0]}, "carm.table_offset_mm"),
    ({"type": "place", "side": "left", "entry_mm": [BIG, 0, 0], "target_mm": [0, 0, 0]}, "place.entry_mm"),
    ({"type": "place", "side": "left", "entry_mm": [0, 0, 50], "target_mm": [0, float("inf"), 0]},
     "place.target_mm"),
    ({"type": "place", "side": "left", "entry_mm": [0, 0, 50], "target_mm": [0, 0, 0], "gauge": 11.5},
     "place.gauge"),
    ({"type": "place", "side": "left", "entry_mm": [0, 0, 50], "target_mm": [0, 0, 0], "length_mm": float("nan")},
     "place.length_mm"),
    ({"type": "aim", "direction": [float("nan"), 1, 0]}, "aim.direction"),
    ({"type": "aim", "direction": [0, 0, 0]}, "aim.direction"),
    ({"type": "decide", "item": ["inr"], "answer": "x"}, "decide.item"),
    ({"type": "decide", "item": "inr", "answer": 1.0}, "decide.answer"),
    ({"type": "finish", "now": True}, "unknown field"),
    ({"type": "teleport"}, "type"),
]


@pytest.mark.parametrize("action,field", VALUE_CASES, ids=[f"{a['type']}-{i}" for i, (a, _) in enumerate(VALUE_CASES)])
def test_a_bad_value_is_refused_naming_the_field(action, field):
    with pytest.raises(ActionRefused) as err:
        validate(action)
    assert field in str(err.value) and len(str(err.value)) < 400
