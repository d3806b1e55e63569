"""A built-in case's learning objectives name every view the score checks the injection on.

The score rates the injection's monitoring on each view (assets/scoring_targets.toml: "AP checks during injection"
and "Lateral checks during injection", a major error each past their mL between shots), and the trainer's hints ask
for an AP and a lateral shot every 1 mL or so (round 36).  The default case's objective said "with AP checks": the
first screen a resident sees (the picker) asked for one view and the debrief then marked the missing lateral checks
a major error (docs/realct-log.md, pass 180 #7 and the list it left).  Oracle: the scoring targets' metric names,
read from the data file, not from the scenarios.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib

from trainer.core.scenario.loader import builtin_ids, load_scenario

TARGETS = Path(__file__).resolve().parents[3] / "assets" / "scoring_targets.toml"


def _scored_views() -> set[str]:
    metrics = tomllib.loads(TARGETS.read_text(encoding="utf-8"))["metrics"]
    views = {m.group(1).lower() for spec in metrics.values()
             if (m := re.fullmatch(r"(\w+) checks during injection", str(spec.get("name", ""))))}
    assert views == {"ap", "lateral"}          # what the debrief scores today
    return views


@pytest.mark.parametrize("case", builtin_ids())
def test_an_injection_objective_that_names_checks_names_every_scored_view(case):
    views = _scored_views()
    for objective in load_scenario(case).objectives:
        text = objective.lower()
        if "inject" in text and re.search(r"\b(check|checks|shot|shots)\b", text):
            missing = {v for v in views if not re.search(rf"\b{v}\b", text)}
            assert not missing, (case, objective, sorted(missing))
