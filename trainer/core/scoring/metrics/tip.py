"""Final tip position: depth on the lateral view, between the endplates, midline on AP.

The tip is judged where cement injection started (the position the trainee chose for
the cement), or at the end when no cement was injected.  Sources: seeds/000_10316454a5df9267.txt
(front of the middle third) and FACTS.md 2 (anterior third, 0.10-0.33 from the anterior
cortex, at least 3 mm inside it; within +/-5 mm of the midline for a unipedicular approach).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from trainer.core.scoring.metric import Metric, ScoringContext, StreamState, fmt

__all__ = ["TipDepth", "TipEndplates", "TipMidline", "endplate_z_at", "TipTracker"]


def endplate_z_at(ctx: ScoringContext, y_mm):
    """(inferior, superior) endplate z at depth ``y_mm`` (scalar or array) on the midsagittal plane, mm."""
    lm = ctx.landmarks
    dy = np.asarray(y_mm, float) - float(lm.body_centre_mm[1])
    inf_incl, sup_incl = ctx.endplate_incl_deg
    z_inf = lm.inferior_endplate_z_mm + math.tan(math.radians(inf_incl)) * dy
    z_sup = lm.superior_endplate_z_mm + math.tan(math.radians(sup_incl)) * dy
    if z_inf.ndim == 0:
        return float(z_inf), float(z_sup)
    return z_inf, z_sup


class TipTracker(Metric):
    """Base: remembers the tip at the first injection, else the last tip."""

    def _reset(self):
        self.tip = None
        self.at = None

    def update(self, event, state: StreamState):
        if self.at == "first injection":
            return
        if event.kind == "cement_injected":
            tip = event.data.get("tip_mm")
            self.tip = np.asarray(tip, float) if tip is not None else state.tip_mm
            self.at = "first injection"
        elif event.kind in ("trocar_moved", "trocar_placed") and state.tip_mm is not None:
            self.tip = state.tip_mm
            self.at = "end of access"


class TipDepth(TipTracker):
    id = "tip_depth"

    def result(self):
        if self.tip is None:
            return self.missing("the trocar was never placed")
        lm = self.ctx.landmarks
        df = lm.depth_fraction(self.tip[1])
        margin = float(self.tip[1] - lm.anterior_wall_y_mm)
        third = "posterior third" if df < 1 / 3 else "middle third" if df < 2 / 3 else "anterior third"
        detail = (f"tip at {fmt(df, 2)} of the body depth at the {self.at} ({third}; "
                  f"{fmt(margin)} mm behind the anterior cortex)")
        res = self.make(df, None, detail)
        need = float(self.spec.params.get("anterior_margin_mm", 3.0))
        if res.status == "pass" and margin < need:
            res = self.make(df, "warn", detail + f"; closer than {need:g} mm to the anterior cortex")
        # the policy rule: injection started with the tip behind the target zone
        behind = df < float(self.spec.warn_band[0]) and self.at == "first injection"
        if behind:
            res = self.make(df, "fail", detail + f"; injection started behind the target zone (depth < "
                                                 f"{self.spec.warn_band[0]:g})")
        elif res.critical_failed:
            res = replace(res, critical_failed=False)
        return res


class TipEndplates(TipTracker):
    id = "tip_endplates"

    def result(self):
        if self.tip is None:
            return self.missing("the trocar was never placed")
        z_inf, z_sup = endplate_z_at(self.ctx, self.tip[1])
        z = float(self.tip[2])
        margin = min(z_sup - z, z - z_inf)
        near = "superior" if z_sup - z < z - z_inf else "inferior"
        return self.make(margin, None, f"tip {fmt(margin)} mm from the {near} endplate at the {self.at}")


class TipMidline(TipTracker):
    id = "tip_midline"

    def result(self):
        if self.ctx.bipedicular:
            return self.make(None, "n/a", "bipedicular approach: each tip belongs in its own hemi-body")
        if self.tip is None:
            return self.missing("the trocar was never placed")
        off = abs(float(self.tip[0]) - float(self.ctx.landmarks.body_centre_mm[0]))
        return self.make(off, None, f"tip {fmt(off)} mm from the midline on AP at the {self.at}")
