"""Per-side metrics of the bipedicular approach (scenario ``[targets] approach = "bipedicular"``).

When one pedicle points almost straight forward it cannot bring a tip to the midline, so a
trocar goes into each pedicle and each fills its own hemi-body (FACTS.md 2: the midline target
is for the unipedicular approach; scenarios/t11-bipedicular.toml objectives: "each tip in the
medial half of its hemi-body" and "about half [of the cement] each").  Both metrics are n/a for
a unipedicular scenario, and ``tip_midline`` is n/a for a bipedicular one, so every scenario
scores the same number of tip points.
"""

from __future__ import annotations

import numpy as np

from trainer.core.scoring.metric import Metric, StreamState, fmt

__all__ = ["TipHemibody", "CementShare", "hemibody_fraction"]

SIDES = ("left", "right")
_RANK = {"pass": 0, "warn": 1, "fail": 2}


def hemibody_fraction(ctx, side: str, tip_mm) -> float:
    """Offset of ``tip_mm`` from the midline toward its own ``side``, in hemi-body widths.

    0 is on the midline, 0.5 the middle of the hemi-body, 1 its lateral cortex; negative
    values lie beyond the midline in the other hemi-body.  The side's direction is that of
    its pedicle centre from the body centre (x, mm).
    """
    lm = ctx.landmarks
    mid = float(lm.body_centre_mm[0])
    sign = 1.0 if float(lm.pedicle(side).centre_mm[0]) > mid else -1.0
    return sign * (float(tip_mm[0]) - mid) / (0.5 * float(lm.body_width_mm))


class TipHemibody(Metric):
    """Each tip in the medial half of its own hemi-body (the worse side is the value)."""

    id = "tip_hemibody"

    def _reset(self):
        self.tips: dict = {}      # side -> (tip, where)

    def update(self, event, state: StreamState):
        side = state.side
        if side not in SIDES:
            return
        at = self.tips.get(side, (None, None))[1]
        if at == "first injection":
            return
        if event.kind == "cement_injected":
            tip = event.data.get("tip_mm")
            self.tips[side] = (np.asarray(tip, float) if tip is not None else state.tip_mm, "first injection")
        elif event.kind in ("trocar_moved", "trocar_placed") and state.tip_mm is not None:
            if event.data.get("removed"):
                self.tips.pop(side, None)
            else:
                self.tips[side] = (state.tip_mm, "end of access")

    def result(self):
        if not self.ctx.bipedicular:
            return self.make(None, "n/a", "unipedicular approach: the tip belongs near the midline (tip_midline)")
        if not self.tips:
            return self.missing("no trocar was placed")
        parts, worst = [], None
        for side in SIDES:
            if side not in self.tips:
                parts.append(f"no {side} trocar")
                continue
            tip, at = self.tips[side]
            f = hemibody_fraction(self.ctx, side, tip)
            st = self.make(f).status
            parts.append(f"{side} tip {fmt(f, 2)} of the hemi-body width from the midline at its {at} ({st})")
            if worst is None or _RANK[st] > _RANK[worst[1]]:
                worst = (f, st)
        detail = "; ".join(parts)
        if len(self.tips) < 2:
            return self.make(worst[0], "fail", detail + "; the bipedicular approach needs one trocar per pedicle")
        return self.make(worst[0], worst[1], detail)


class CementShare(Metric):
    """The smaller side's share of the cement pushed through the two cannulas."""

    id = "cement_share"

    def _reset(self):
        self.ml: dict = {}
        self.leaks: dict = {}

    def update(self, event, state: StreamState):
        self.ml = dict(state.side_injected_ml)
        self.leaks = {k: list(v) for k, v in state.side_leaks.items()}

    def result(self):
        if not self.ctx.bipedicular:
            return self.make(None, "n/a", "unipedicular approach: one cannula delivers all the cement")
        total = sum(self.ml.values())
        if total <= 0:
            return self.missing("no cement was injected")
        left, right = self.ml.get("left", 0.0), self.ml.get("right", 0.0)
        share = min(left, right) / total
        leaks = "; ".join(f"{s} leaks: {', '.join(self.leaks[s])}" for s in SIDES if self.leaks.get(s))
        detail = (f"left {fmt(left, 2)} mL, right {fmt(right, 2)} mL: the smaller side has {fmt(100 * share, 0)} % "
                  f"of {fmt(total, 2)} mL" + (f"; {leaks}" if leaks else "; no leak during either side's injection"))
        return self.make(share, None, detail)
