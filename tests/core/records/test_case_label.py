"""The case an attempt was on, read from its session file's header (trainer/core/records/case_label.py)."""

from __future__ import annotations

from trainer.core.records.case_label import session_case
from trainer.core.scenario.loader import load_scenario
from trainer.core.session.log import SessionWriter, make_header


def test_a_built_in_case_is_named_by_its_title_without_a_folder(tmp_path):
    scenario = load_scenario("l1-wedge-default")
    path = tmp_path / "s.jsonl"
    SessionWriter(path, header=make_header(scenario, 1, "dan", "2026-12-01T09:00:00+00:00")).close()
    case = session_case(path, "l1-wedge-default")
    assert case.title == scenario.title and case.scenario_path == "" and case.series_id == ""
    assert case.label() == f"{scenario.title} (l1-wedge-default)"


def test_a_missing_or_foreign_session_file_gives_the_id_alone(tmp_path):
    assert session_case(tmp_path / "gone.jsonl", "ct-l2").label() == "ct-l2"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "header", "seed": -1, "scenario_toml": "x"}\n', encoding="utf-8")
    assert session_case(bad, "ct-l2").label() == "ct-l2"
    (tmp_path / "list.jsonl").write_text("[1, 2]\n", encoding="utf-8")
    assert session_case(tmp_path / "list.jsonl", "ct-l2").label() == "ct-l2"
