"""3 mL of cement shows on the CT angiogram's T12 as a C-arm shows it: clearly darker than the body round it.

On 4aad13d the body under the trocar sat at 0.87-0.93 of the automatic window (the densest anatomy in view is
the body itself under the liver dome), and after 3 mL the lateral darkened near the tip by 0.046 of the window
(the synthetic default 0.088; realct-log passes 98, 105, 106).  Oracle: the same shots before and after the
push, the tip's projection by the C-arm's own geometry; the darkening is measured on the stored pictures (0
white .. 1 black) within 12 px of the tip, against the rest of the picture, which must not move.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_sources as sources
from realct_cases import imported

from trainer.core.procedure.expert_plan import ExpertPlan, drive, expert_steps, procedure_state
from trainer.core.procedure.machine import Procedure
from trainer.core.xray.geometry import frame_for, project

pytestmark = pytest.mark.slow

#: the issue's bar: cement darkening near the tip, share of the window
DARKER_AT_LEAST = 0.07


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """{view: (before, after, tip pixel)} of the expert's 3 mL on the angiogram's T12 at 512 px."""
    root = tmp_path_factory.mktemp("aorta")
    sources.write_dicom(sources.load("aorta"), root / "series")
    sc, patient = imported(root, root / "series", "T12", "t12.toml")
    answers = {k: g["expected"] for k, g in sc.decisions.gates.items()}
    plan = ExpertPlan(answers=answers, volume_ml=3.0, stop_depth=None, withdraw_at_end=False, length_mm=120.0)
    proc = Procedure(sc, patient=patient, render=True, pixels=512)
    taken = []

    def apply(step):
        r = proc.apply(step.action)
        if step.action["type"] == "shot" and r.image is not None:
            taken.append((proc.cement.injected_ml if proc.cement is not None else 0.0, r.image))
        return r.accepted

    drive(expert_steps(sc, patient, plan, lambda: procedure_state(proc)), apply)
    out = {}
    for view in ("ap", "lateral"):
        seen = [(ml, im) for ml, im in taken if im.view == view]
        before = [im for ml, im in seen if ml == 0.0][-1]
        after = [im for ml, im in seen if ml > 2.7][0]
        frame = frame_for(sc.carm.geometry.with_pixels(512), after.pose, sc.carm.patient_roll_deg)
        col, row = project(frame, np.asarray(proc.trocar.tip_mm, float))
        out[view] = (before.pixels, after.pixels, (float(col), float(row)))
    return out


@pytest.mark.parametrize("view", ["lateral", "ap"])
def test_cement_darkens_the_angiogram_t12_near_the_tip(shots, view):
    before, after, (col, row) = shots[view]
    n = before.shape[0]
    yy, xx = np.mgrid[:n, :n]
    r = np.hypot(xx - col, yy - row)
    d = after.astype(float) - before.astype(float)
    near = float(d[r < 12].mean())
    far = float(np.abs(d[r > 60]).mean())
    assert near >= DARKER_AT_LEAST, f"{view}: 3 mL darkens the picture near the tip by {near:.3f} of the window"
    assert far < 0.02, f"{view}: the picture away from the cement moved by {far:.3f} on average"
