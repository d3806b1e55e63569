"""C-arm alignment before access: true AP (rotation and endplates) and true lateral.

Measured from the pose of the last AP-like and lateral-like shots taken before the
trocar first entered bone, against the anatomy: a true AP is the AP of the target
vertebra, its orbital angle the patient roll minus the vertebra's own axial rotation
(``ScoringContext.true_ap_orbital_deg``; pedicles symmetric in the body, spinous process
centred between them; a real patient's vertebra is turned a few degrees on the table) and
its tilt runs along the endplates (endplates seen as lines); a true lateral is 90 deg on
from the true AP (one posterior wall line).  Which shots are AP-like or lateral-like is
also judged from the vertebra's true AP.  The tilt does not change the posterior wall on the
lateral, so only the orbital angle is judged there.
"""

from __future__ import annotations

from trainer.core.scoring.metric import Metric, MetricResult, StreamState, fmt, view_of_pose

__all__ = ["ApOrbitalError", "ApTiltError", "LateralOrbitalError", "tilt_error_deg"]


def tilt_error_deg(tilt_deg: float, endplate_incl_deg: tuple) -> float:
    """How far ``tilt_deg`` lies outside the span of the endplate inclinations (deg, >= 0)."""
    lo, hi = min(endplate_incl_deg), max(endplate_incl_deg)
    if tilt_deg < lo:
        return lo - tilt_deg
    if tilt_deg > hi:
        return tilt_deg - hi
    return 0.0


def _turn(ctx) -> str:
    """The vertebra's own turn for a detail text ('' when it has none: a synthetic patient)."""
    r = ctx.vertebra_rotation_deg
    if not r:
        return ""
    return f"the vertebra turned {fmt(abs(r))} deg, its front to the patient's {'left' if r > 0 else 'right'}"


class _PreAccessShots(Metric):
    view = "ap"

    def _reset(self):
        self.pose: dict | None = None
        self.shot_index = None
        self.n_before = 0

    def update(self, event, state: StreamState):
        if event.kind != "shot" or state.entered_bone:
            return
        pose = event.data.get("pose")
        if view_of_pose(pose, self.ctx.true_ap_orbital_deg, event.data.get("view")) == self.view and pose:
            self.pose = pose
            self.shot_index = event.data.get("index")
            self.n_before += 1

    def _no_shot(self) -> MetricResult:
        return self.missing(f"no {self.view.upper() if self.view == 'ap' else self.view} shot before the "
                            "trocar entered bone")


class ApOrbitalError(_PreAccessShots):
    id = "ap_orbital_error"
    view = "ap"

    def result(self):
        if self.pose is None:
            return self._no_shot()
        orb = float(self.pose["orbital_deg"])
        err = abs(orb - self.ctx.true_ap_orbital_deg)
        roll = f"patient roll {fmt(self.ctx.patient_roll_deg)} deg"
        turn = _turn(self.ctx)
        where = f"true AP at {fmt(self.ctx.true_ap_orbital_deg)} deg ({roll}; {turn})" if turn else roll
        return self.make(err, None, f"last AP before access (shot {self.shot_index}): orbital {fmt(orb)} deg, {where}")


class ApTiltError(_PreAccessShots):
    id = "ap_tilt_error"
    view = "ap"

    def result(self):
        if self.pose is None:
            return self._no_shot()
        tilt = float(self.pose.get("tilt_deg", 0.0))
        lo, hi = sorted(self.ctx.endplate_incl_deg)
        err = tilt_error_deg(tilt, self.ctx.endplate_incl_deg)
        return self.make(err, None, f"last AP before access: tilt {fmt(tilt)} deg; endplate inclinations "
                                    f"{fmt(lo)} to {fmt(hi)} deg")


class LateralOrbitalError(_PreAccessShots):
    id = "lateral_orbital_error"
    view = "lateral"

    def result(self):
        if self.pose is None:
            return self._no_shot()
        orb = float(self.pose["orbital_deg"])
        err = abs(abs(orb - self.ctx.true_ap_orbital_deg) - 90.0)
        return self.make(err, None, f"last lateral before access (shot {self.shot_index}): orbital {fmt(orb)} deg, "
                                    f"true lateral at {fmt(90 + self.ctx.true_ap_orbital_deg)} deg"
                                    + (f" ({_turn(self.ctx)})" if self.ctx.vertebra_rotation_deg else ""))
