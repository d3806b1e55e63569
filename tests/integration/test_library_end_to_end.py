"""Every built-in scenario validates, builds, renders both views, and its scripted expert
procedure passes (issue 8): the library is only useful if each case can be done right."""

import numpy as np
import pytest

from trainer.core.procedure.machine import Procedure
from trainer.core.procedure.plans import expert_actions
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.loader import builtin_ids, resolve, validate_file
from trainer.core.scoring import score
from trainer.core.xray.geometry import AP, LATERAL
from trainer.core.xray.renderer import FluoroRenderer

PIXELS = 96
#: Cases where the scripted expert's cement reaches the canal outline through the basivertebral vein
#: (measured by issue 13's location read-out; see docs/scoring.md "What still looks wrong").
CANAL_CEMENT_BEFORE_ISSUE_14 = {"t9-small-pedicles"}


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
    proc = Procedure(sc, patient=patient, pixels=64)
    results = [proc.apply(a) for a in expert_actions(sc, patient, _side(sc))]
    assert all(r.accepted for r in results), [(r.action, r.reason) for r in results if not r.accepted]
    report = score(proc)
    broken = [f["rule"] for f in report.failed_rules]
    if sid in CANAL_CEMENT_BEFORE_ISSUE_14:
        # the cement model (before issue 14's recalibration) sends basivertebral cement into the canal
        # outline on this small thoracic body even with doughy cement; scoring now judges cement by where
        # it ends up (issue 13), so this is the only rule the expert breaks.  When the flow model stops
        # doing it, this assertion fails and the case leaves the set.
        assert broken == ["canal_cement"], (sid, broken)
        return
    assert report.passed, (sid, report.critical_errors, [(m.id, m.detail) for m in report.metrics
                                                         if m.status == "fail"])
    assert report.score >= 85, (sid, report.score)
    if sc.decisions.candidacy == "proceed":
        assert {"ap", "lateral"} <= set(proc.last_images)
        assert report.cement_injected_ml > 0
    else:
        assert report.cement_injected_ml == 0
