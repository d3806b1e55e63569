"""The first broken rule and its words agree in ``assess --csv``, ``assess`` stdout and the GUI debrief (round 41,
pass 211's assessor: ``cement_over_max`` for 1.59 mL that all leaked, its cause nowhere in the row, and
``contraindication`` first for an unfinished session that answered nothing).

Two sessions recorded by ``vptrainer play`` on the built-in L1 case: the expert's checklist and squaring shots, then
a trocar placed by hand with its tip in the soft tissue at the body's anterior-left corner (18, -15, 0) mm (the
body's half-width 19.5 mm and half-depth 17.3 mm: (18/19.5)^2 + (15/17.3)^2 = 1.60 > 1, outside it) and 2 mL
pushed in the working phase, so none goes into the body; and a session that moved the C-arm, took one shot and
stopped.  Oracles: the session files' own summaries (stdlib json), the CSV read back with the stdlib csv module,
the one-session ``assess`` stdout and ``--json`` (the debrief is shown the ``--json`` report).
"""

from __future__ import annotations

import csv
import json

import pytest

from trainer.cli import main

CASE = "l1-wedge-default"
TIP = [18.0, -15.0, 0.0]


def _plan(tmp_path) -> list[dict]:
    expert = tmp_path / "expert.jsonl"
    assert main(["scenarios", "expert", CASE, "--out", str(expert)]) == 0
    head = [json.loads(ln) for ln in expert.read_text().splitlines()][:13]     # the decisions, AP and lateral
    assert [a["type"] for a in head[:9]] == ["decide"] * 9 and head[-1] == {"type": "shot"}
    ap, lat = ({"type": "carm", "orbital_deg": o, "tilt_deg": 0.0} for o in (0.0, 90.0))
    acts = head + [{"type": "place", "side": "left", "entry_mm": [45.0, 80.0, 0.0], "target_mm": TIP, "gauge": 11},
                   {"type": "advance", "mm": 102.764}, ap, {"type": "shot"}, lat, {"type": "shot"},
                   {"type": "mix"}, {"type": "wait", "s": 255.0}]
    for _ in range(4):
        acts += [{"type": "inject", "ml": 0.5}, ap, {"type": "shot"}, lat, {"type": "shot"}]
    return acts + [{"type": "advance", "mm": -110.0}, {"type": "finish"}]


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    d = tmp_path_factory.mktemp("first_rule")
    runs = d / "runs"
    runs.mkdir()
    for name, acts in (("leaked", _plan(d)), ("stopped", [{"type": "carm", "orbital_deg": 0.0, "tilt_deg": 0.0},
                                                          {"type": "shot"}])):
        plan = d / f"{name}-plan.jsonl"
        plan.write_text("".join(json.dumps(a) + "\n" for a in acts))
        assert main(["play", CASE, "--actions", str(plan), "--out", str(runs / f"{name}.jsonl"),
                     "--pixels", "64"]) == 0
    return runs


def _entries(path) -> list[dict]:
    lines = [json.loads(ln) for ln in path.read_text().splitlines()]
    return [ln for ln in lines if ln.get("kind") == "action"]


def _assess(capsys, *argv) -> tuple[int, str]:
    rc = main(["assess", *map(str, argv)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return rc, out


def test_the_csv_names_the_rules_cause_as_assess_and_the_debrief_do(sessions, tmp_path, capsys, qtbot):
    from trainer.ui.debrief import DebriefWidget

    leaked = _entries(sessions / "leaked.jsonl")
    moved = [e["summary"] for e in leaked if e["action"]["type"] == "advance"]
    assert moved[0]["tip_mm"] == pytest.approx(TIP, abs=0.01)                # the tip where the plan put it
    pushes = [e["summary"] for e in leaked if e["action"]["type"] == "inject"]
    assert pushes[-1]["injected_ml"] == pytest.approx(2.0) and pushes[-1]["leaked_ml"] == pytest.approx(2.0)
    assert len(_entries(sessions / "stopped.jsonl")) == 2

    out_csv = tmp_path / "batch.csv"
    rc, _ = _assess(capsys, sessions, "--csv", out_csv, "--jobs", "1")
    assert rc == 3                                                           # one session unfinished
    with open(out_csv, newline="", encoding="utf-8") as fh:
        rows = {r["path"].rsplit("/", 1)[-1]: r for r in csv.DictReader(fh)}
    want = {"leaked.jsonl": ("failed", "cement_over_max", "none into it"),
            "stopped.jsonl": ("unfinished", "contraindication", "no candidacy decision was recorded")}
    for name, (status, rule, words) in want.items():
        row = rows[name]
        assert (row["status"], row["first_broken_rule"]) == (status, rule), row
        assert row["broken_rules"].split()[0] == rule
        reason = row["first_broken_reason"]
        assert words in reason, reason
        rc, out = _assess(capsys, sessions / name)                           # what assess prints first
        headline = next(ln for ln in out.splitlines() if ln.startswith(("FAILED: ", "UNFINISHED: the procedure")))
        assert (headline == f"FAILED: {reason}" if status == "failed"
                else headline.endswith(f"; first broken rule: {reason} (+2 more rule(s) broken)")), headline
        rc, out = _assess(capsys, sessions / name, "--json")
        report = json.loads(out)
        w = DebriefWidget()
        qtbot.addWidget(w)
        w.show_report(report)
        text = w.summary.text()
        assert f"<b>Failed: {reason}</b>" in text, text[:300]
        unfinished = text.find("Unfinished: not passed")
        assert (unfinished == -1) == (status == "failed")
        assert status == "failed" or unfinished < text.find("Failed: ")      # said before the rule
    # the unfinished session answered nothing: not "proceeded on a patient who should be deferred"
    assert "proceeded on a patient" not in rows["stopped.jsonl"]["first_broken_reason"]


def test_the_debriefs_cement_line_names_each_leak_by_its_site(sessions, capsys, qtbot):
    """The leaked session's two cortical leaks read "C 0.128 mL, C 0.215 mL" before round 41; oracle: the
    report's own leak list (``assess --json``), type, region and volume."""
    from trainer.ui.debrief import DebriefWidget, format_value

    _rc, out = _assess(capsys, sessions / "leaked.jsonl", "--json")
    report = json.loads(out)
    cortical = [lk for lk in report["leaks"] if lk["type"] == "C"]
    assert len(cortical) == 2 and len({lk["region"] for lk in cortical}) == 2
    w = DebriefWidget()
    qtbot.addWidget(w)
    w.show_report(report)
    text = w.summary.text()
    for lk in report["leaks"]:
        assert f"{lk['type']} ({lk['region']}) {format_value(lk['volume_ml'], 'mL')}" in text, text[:800]
