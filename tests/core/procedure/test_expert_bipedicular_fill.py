"""The bipedicular expert fills both halves together and never pushes past a reached stop (issue 12, round 27).

Oracles, read from the played session's event stream (not from the plan's own bookkeeping): the side active at
each ``cement_injected`` event (from ``trocar_placed`` / ``trocar_selected``) and the posterior extent the lateral
showed after each push; the ``cement_share`` pass band of assets/scoring_targets.toml (the smaller side at least
40 %: FACTS.md 2, each tip fills its own hemi-body; t11-bipedicular's objective "about half each"); FACTS.md 3.2
(stop injecting when the cement reaches the posterior quarter: once the lateral shows it at the plan's stop depth,
no cannula pushes again).

Round 26 (b160e72): each side took its whole half in turn, so the first side alone ran the cement to the stop and
the second pushed once after it: t11-bipedicular seed 111 right 2.0 / left 0.5 mL (share 0.2, fail, 87.0), seed 3
the same and the left push after the extent was 0.24 failed ``posterior_quarter``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from trainer.core.procedure.expert_plan import ExpertPlan, play_expert
from trainer.core.procedure.machine import Procedure
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring import score

TARGETS = Path(__file__).resolve().parents[3] / "assets" / "scoring_targets.toml"
STOP_DEPTH = ExpertPlan().stop_depth


def pushes_by_side(events) -> list[tuple[str, float, float | None]]:
    """(active side, mL, posterior extent after the push) of every push, from the event stream."""
    side, out = None, []
    for e in events:
        if e.kind in ("trocar_placed", "trocar_selected"):
            side = e.data["side"]
        elif e.kind == "cement_injected":
            out.append((side, float(e.data["ml"]), e.data["posterior_extent_fraction"]))
    return out


@pytest.fixture(scope="module")
def share_pass_band():
    with TARGETS.open("rb") as f:
        return tomllib.load(f)["metrics"]["cement_share"]["pass"]


@pytest.mark.parametrize(("sid", "seed", "volume_ml"), [
    ("t11-bipedicular", 111, 4.0),
    ("t11-bipedicular", 3, 4.0),
    ("t11-bipedicular", 0, 4.0),
    ("t11-bipedicular", 0, 6.0),         # the stop is reached (extent 0.29 after 5 mL)
    ("t12-biconcave", 0, 4.0),
])
def test_the_bipedicular_expert_shares_the_cement_and_stops_both_sides_at_the_stop(sid, seed, volume_ml,
                                                                                   share_pass_band):
    sc = load_scenario(sid)
    proc = play_expert(Procedure(sc, seed=seed, patient=patient_for(sc), render=False),
                       ExpertPlan(sides=("left", "right"), volume_ml=volume_ml))
    pushes = pushes_by_side(proc.events)
    ml = {s: sum(v for side, v, _ in pushes if side == s) for s in ("left", "right")}
    # no push after the lateral showed the cement at the stop, whichever cannula it would go through
    reached = next((k for k, (_, _, pe) in enumerate(pushes) if pe is not None and pe <= STOP_DEPTH), None)
    assert reached is None or reached == len(pushes) - 1, (
        f"{len(pushes) - 1 - reached} push(es) after the extent was {pushes[reached][2]}: {pushes}")
    share = min(ml.values()) / sum(ml.values())
    assert share >= share_pass_band[0], f"left {ml['left']} mL, right {ml['right']} mL: share {share:.2f}"
    rep = score(proc)
    assert rep.metric("cement_share").status == "pass", rep.metric("cement_share").detail
    assert rep.metric("cement_share").value == pytest.approx(share)
    assert not [f["rule"] for f in rep.failed_rules]
