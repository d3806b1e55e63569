"""``vptrainer assess`` text output names the cement and the fill: injected mL, body mL, fill %.

Checked against a hand computation on the default synthetic scenario's expert session: the
injected volume is the sum of the session's inject actions, the in-body and leaked volumes add
up to it, the body volume is the one the cement model divides by (the cement domain's envelope
of the replayed patient), and the fill is 100 x in-body / body, judged against the 15-30 % of
FACTS.md 3.1.  On main the text output had no such line (the fill percentage only, in the
metric table, without the body volume or the in-body cement).
"""

import json
import math
import re

import pytest

from trainer.cli import main
from trainer.core.procedure.expert_plan import play_expert
from trainer.core.scenario.loader import load_scenario
from trainer.core.session.live import LiveSession

_LINE = re.compile(r"^  cement: (?P<inj>[\d.]+) mL injected \((?P<body_in>[\d.]+) mL in the body, "
                   r"(?P<leak>[\d.]+) mL leaked\); body (?P<body>[\d.]+) mL; fill (?P<fill>[\d.]+) % of the body "
                   r"\(target 15-30 %\): (?P<status>pass|warn|fail)$", re.M)


@pytest.fixture(scope="module")
def expert_session(tmp_path_factory):
    path = tmp_path_factory.mktemp("fill") / "expert.jsonl"
    sc = load_scenario(None)
    with LiveSession(sc, path, seed=7, trainee="resident-a", render=False, pixels=128,
                     started_at="2026-01-01T00:00:00Z") as live:
        play_expert(live)
        lm = live.procedure.patient.landmarks
        body_ml = live.procedure.cement.domain.body_volume_ml
    return path, lm, body_ml


def _inject_actions_ml(path) -> float:
    total = 0.0
    for line in path.read_text().splitlines()[1:]:
        rec = json.loads(line)
        action = rec.get("action") or {}
        if rec.get("accepted") and action.get("type") == "inject":
            total += float(action["ml"])
    return total


def test_text_output_has_the_hand_computed_fill(expert_session, capsys):
    path, lm, body_ml = expert_session
    assert main(["assess", str(path)]) == 0
    out = capsys.readouterr().out
    m = _LINE.search(out)
    assert m, out
    inj, body_in, leak = float(m["inj"]), float(m["body_in"]), float(m["leak"])
    body, fill = float(m["body"]), float(m["fill"])
    hand_ml = _inject_actions_ml(path)
    assert hand_ml > 0 and inj == pytest.approx(hand_ml, abs=0.005)
    assert body_in + leak == pytest.approx(inj, abs=0.011)           # conservation, each printed to 0.01 mL
    assert body == pytest.approx(body_ml, abs=0.05)                  # the body the cement model divides by
    # an independent size check: an elliptic cylinder of the landmark width, depth and mean height
    cyl_ml = math.pi / 4 * lm.body_width_mm * lm.body_depth_mm * (
        lm.anterior_height_mm + lm.middle_height_mm + lm.posterior_height_mm) / 3 / 1000
    assert 0.7 * cyl_ml <= body <= 1.3 * cyl_ml
    assert fill == pytest.approx(100 * body_in / body, abs=0.1)     # hand computation from the printed mL
    row = re.search(r"^  \[(\w+) *\] Fill fraction of the vertebral body: ([\d.]+) %", out, re.M)
    assert row and row[1] == m["status"] and float(row[2]) == pytest.approx(fill, abs=0.05)   # the metric's verdict


def test_json_has_the_same_cement_numbers(expert_session, capsys):
    path, _, body_ml = expert_session
    assert main(["assess", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    c = out["cement"]
    assert c["injected_ml"] == pytest.approx(out["cement_injected_ml"])
    assert c["body_volume_ml"] == pytest.approx(body_ml, rel=1e-4)
    fill = next(m for m in out["metrics"] if m["id"] == "fill_fraction")
    assert c["fill_percent"] == pytest.approx(fill["value"]) and c["fill_status"] == fill["status"]
    assert c["fill_percent"] == pytest.approx(100 * c["in_body_ml"] / c["body_volume_ml"], abs=1e-3)
    assert c["fill_pass_percent"] == [15.0, 30.0]
