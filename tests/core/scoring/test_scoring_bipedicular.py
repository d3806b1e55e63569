"""Per-side scoring of the bipedicular approach against hand-computed hemi-body fractions.

Synthetic landmarks (scoring_streams.py): body centre x = 0, body width 41 mm, so half the
width is 20.5 mm; the left pedicle lies at +x.
"""

import pytest
import scoring_streams as S

from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring import build_context, score_events


def test_per_side_scoring_by_hand():
    ctx = build_context(load_scenario("t11-bipedicular"), landmarks=S.landmarks(), expected=S.EXPECTED)
    s = S.Stream().decide(S.EXPECTED).align()
    s.place((19.5, 32.0, 5.0), (5.0, -8.5, 0.0), "left").advance_to_y(-8.5, walls=False)
    left_tip = s.tip.copy()
    s.place((-19.5, 32.0, 5.0), (-16.0, -8.5, 0.0), "right").advance_to_y(-8.5, walls=False)
    s.mix_and_wait().inject(1.5, step=0.5)
    s.add("trocar_selected", side="left", tip_mm=list(left_tip), tissue="cancellous")
    s.tip = left_tip
    s.inject(0.5, step=0.5, leaks=[(2.0, "B", "basivertebral", 0.05)]).finish()
    r = score_events(s.events, ctx)
    hemi = r.metric("tip_hemibody")
    # by hand: half the body width is 20.5 mm; left tip x = 5 -> 0.24 (pass), right x = -16 -> 0.78 (fail)
    assert hemi.value == pytest.approx(16.0 / 20.5, abs=1e-6) and hemi.status == "fail"
    assert "left tip 0.24" in hemi.detail and "right tip 0.78" in hemi.detail
    share = r.metric("cement_share")
    assert share.value == pytest.approx(0.5 / 2.0) and share.status == "warn"      # 0.25: the warn band's edge
    assert "left leaks: B" in share.detail and "right leaks" not in share.detail
    # a unipedicular scenario does not list the bipedicular metrics at all
    uni = score_events(S.expert().events, build_context(landmarks=S.landmarks(), expected=S.EXPECTED))
    assert not {"tip_hemibody", "cement_share"} & {m.id for m in uni.metrics}
