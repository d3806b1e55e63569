"""Every built-in scenario validates, builds, renders both views, and its scripted expert
procedure passes (issue 8): the library is only useful if each case can be done right."""

import numpy as np
import pytest

from trainer.core.scenario.build import patient_for
from trainer.core.scenario.loader import builtin_ids, resolve, validate_file
from trainer.core.scoring import score
from trainer.core.scoring.validity import EXPERT, play
from trainer.core.xray.geometry import AP, LATERAL
from trainer.core.xray.renderer import FluoroRenderer

PIXELS = 96


def _side(sc) -> str:
    """The pedicle the case advises ('either' -> left)."""
    side = sc.advice.get("side", "either")
    return side if side in ("left", "right") else "left"


@pytest.mark.parametrize("sid", builtin_ids())
def test_builtin_case_validates_builds_renders_and_the_expert_passes(sid):
    sc = validate_file(resolve(sid))          # strict: raises ScenarioError on any problem
    assert not sc.warnings
    patient = patient_for(sc)

    # both views render a real image of the spine: bone makes the centre denser than the edge
    roll = float(sc.carm.patient_roll_deg)
    rend = FluoroRenderer(patient, sc.carm.geometry.with_pixels(PIXELS), patient_roll_deg=roll)
    for pose in (AP, LATERAL):
        li = rend.line_integrals(pose, 80.0)
        assert li.shape == (PIXELS, PIXELS) and np.isfinite(li).all() and li.max() > 0

    # the scripted expert: the right checklist answers, and for eligible patients a clean
    # transpedicular access, 3 mL in the working phase, AP and lateral checks
    # the expert reads the lateral after each push and stops near the posterior quarter (issue 13 policy):
    # the core validity expert, which plays the same checklist and transpedicular access
    proc = play(sc, patient, 0, EXPERT, _side(sc), render=True, pixels=64)
    refused = [e.data for e in proc.events if e.kind == "refused"]
    assert refused == [], refused
    report = score(proc)
    assert report.passed, (sid, report.critical_errors, [(m.id, m.detail) for m in report.metrics
                                                         if m.status == "fail"])
    assert report.score >= 85, (sid, report.score)
    if sc.decisions.candidacy == "proceed":
        assert {"ap", "lateral"} <= set(proc.last_images)
        assert report.cement_injected_ml > 0
    else:
        assert report.cement_injected_ml == 0
