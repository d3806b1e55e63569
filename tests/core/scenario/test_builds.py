"""Every built-in scenario builds its patient (the anatomy the rest of the trainer uses)."""

import numpy as np
import pytest

from trainer.core.anatomy.labels import Label
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.loader import builtin_ids, load_scenario


@pytest.mark.parametrize("sid", builtin_ids())
def test_builtin_scenario_builds(sid):
    s = load_scenario(sid)
    seen = []
    p = patient_for(s, progress=lambda f, msg: seen.append(f))
    assert seen and seen[-1] == 1.0
    lm = p.landmarks
    assert lm.level == s.anatomy.level
    assert np.allclose(lm.body_centre_mm, 0.0, atol=1e-6)         # origin = target body centre
    labels = p.volume.labels
    for lab in (Label.BODY_CORTEX, Label.CANCELLOUS, Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT, Label.CANAL):
        assert (labels == lab).any(), (sid, lab.name)
    assert p.volume.label_at(lm.body_centre_mm) in (Label.CANCELLOUS, Label.CLEFT, Label.BASIVERTEBRAL_VEIN)
    if s.anatomy.cleft:
        assert (labels == Label.CLEFT).any()
