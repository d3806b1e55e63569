"""C-arm alignment before access: true AP (rotation and endplates) and true lateral.

Measured from the pose of the last AP-like and lateral-like shots taken before the
trocar first entered bone, against the anatomy: a true AP needs the orbital angle equal
to the patient roll (spinous process centred between the pedicles) and a tilt that runs
along the endplates (endplates seen as lines); a true lateral needs orbital = 90 deg +
roll (one posterior wall line).  The tilt does not change the posterior wall on the
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
        if view_of_pose(pose, self.ctx.patient_roll_deg, event.data.get("view")) == self.view and pose:
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
        err = abs(orb - self.ctx.patient_roll_deg)
        return self.make(err, None, f"last AP before access (shot {self.shot_index}): orbital {fmt(orb)} deg, "
                                    f"patient roll {fmt(self.ctx.patient_roll_deg)} deg")


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
        err = abs(abs(orb - self.ctx.patient_roll_deg) - 90.0)
        return self.make(err, None, f"last lateral before access (shot {self.shot_index}): orbital {fmt(orb)} deg, "
                                    f"true lateral at {fmt(90 + self.ctx.patient_roll_deg)} deg")
