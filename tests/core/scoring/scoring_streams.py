"""Synthetic landmarks and event streams for metric unit tests (no anatomy, no rendering).

The landmarks describe an L1-like body (FACTS.md 1 defaults: depth 33 mm, width 41 mm,
pedicle 8.6 mm wide) centred at the origin.  :class:`Stream` writes the events the
procedure machine emits for a scripted procedure; options switch on one error at a time.
"""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.landmarks import Landmarks, PedicleLandmarks
from trainer.core.procedure.actions import DURATIONS
from trainer.core.procedure.events import Event


def landmarks() -> Landmarks:
    def ped(side):
        s = 1.0 if side == "left" else -1.0
        axis = np.array([-s * np.sin(np.radians(14)), -np.cos(np.radians(14)), -0.05])
        axis /= np.linalg.norm(axis)
        c = np.array([s * 16.3, 23.0, 4.0])
        return PedicleLandmarks(side=side, centre_mm=tuple(c), axis=tuple(axis), width_mm=8.6, height_mm=15.0,
                                medial_angle_deg=14.0, sagittal_angle_deg=3.0, entry_mm=tuple(c - 9.0 * axis),
                                body_junction_mm=tuple(c + 6.5 * axis), medial_wall_x_mm=s * 12.0,
                                lateral_wall_x_mm=s * 20.6)

    return Landmarks(level="L1", body_centre_mm=(0.0, 0.0, 0.0), superior_endplate_z_mm=10.0,
                     inferior_endplate_z_mm=-10.0, posterior_wall_y_mm=16.5, anterior_wall_y_mm=-16.5,
                     body_width_mm=41.0, anterior_height_mm=16.7, middle_height_mm=20.0, posterior_height_mm=23.8,
                     pedicle_left=ped("left"), pedicle_right=ped("right"), spinous_tip_mm=(0.0, 60.0, -5.0),
                     canal_centre_mm=(0.0, 26.0, 0.0), canal_width_mm=24.0, canal_depth_mm=19.0, skin_y_mm=75.0,
                     basivertebral_foramen_mm=(0.0, 16.5, 0.0))


EXPECTED = {"candidacy": "proceed", "inr": "acceptable", "platelets": "acceptable", "antiplatelet": "none",
            "anticoagulant": "none", "antibiotic": "cefazolin_1g", "fasting": "acceptable"}


def _pose(orbital, tilt=0.0):
    return {"orbital_deg": float(orbital), "tilt_deg": float(tilt), "table_offset_mm": [0.0, 0.0, 0.0]}


class Stream:
    """Builds an event list step by step with a running simulated clock."""

    def __init__(self):
        self.events: list[Event] = []
        self.t = 0.0
        self.shots = 0
        self.tip = None
        self.injected = 0.0
        self.in_body = 0.0
        self.leaked = 0.0
        self.side = "left"

    def add(self, kind, dt=1.0, **data):
        self.t += dt
        self.events.append(Event(kind, round(self.t, 6), data))
        return self

    def decide(self, answers):
        for item, ans in answers.items():
            self.add("decision", item=item, answer=ans)
        return self

    def shot(self, orbital=0.0, tilt=0.0, view=None, fluoro_s=0.5, dap=0.005):
        self.shots += 1
        view = view or ("ap" if abs(orbital) < 45 else "lateral")
        return self.add("shot", index=self.shots, view=view, pose=_pose(orbital, tilt), pulses=4,
                        entrance_kerma_mgy=0.3, dap_gycm2=dap, fluoro_s=fluoro_s,
                        tip_mm=None if self.tip is None else list(self.tip), cement_ml=self.injected,
                        image_sha256="0" * 64)

    def align(self, ap_orbital=0.0, ap_tilt=0.0, lat_orbital=90.0):
        self.add("carm_moved", pose=_pose(ap_orbital, ap_tilt), view="ap", moved_deg=0.0)
        self.shot(ap_orbital, ap_tilt, view="ap")
        self.add("carm_moved", pose=_pose(lat_orbital), view="lateral", moved_deg=90.0)
        self.shot(lat_orbital, 0.0, view="lateral")
        return self

    def place(self, entry, target, side="left"):
        self.side = side
        entry, target = np.asarray(entry, float), np.asarray(target, float)
        d = (target - entry) / np.linalg.norm(target - entry)
        self.dir = d
        skin = entry + d * ((75.0 - entry[1]) / d[1])   # back along the line to the skin plane
        self.tip = skin
        return self.add("trocar_placed", side=side, gauge=11, entry_mm=list(entry), target_mm=list(target),
                        skin_mm=list(skin), direction=list(d))

    def tissue_at(self, p):
        if p[1] < -16.5:
            return "soft_tissue"
        if p[1] <= 16.5:
            return "cancellous"
        side = "left" if p[0] > 0 else "right"
        if abs(p[0]) < 12.0 and p[1] < 36:
            return "canal"
        if p[1] <= 32.0:
            return f"pedicle_{side}"
        return "muscle"

    def advance_to_y(self, y_stop, step_mm=5.0, shots_every=2, walls=True):
        n = 0
        while self.tip[1] > y_stop + 1e-6:
            dy = self.tip[1] - y_stop
            step = min(step_mm, dy / -self.dir[1])
            old = self.tip.copy()
            self.tip = self.tip + self.dir * step
            before, after = self.tissue_at(old), self.tissue_at(self.tip)
            if walls and before != after:
                mid = (old + self.tip) / 2
                wall = {"pedicle": "bone_entry", "cancellous": "body_posterior", "canal": "pedicle_medial",
                        "soft": "body_anterior"}[after.split("_")[0]]
                inward = after.split("_")[0] in ("pedicle", "cancellous")
                grade = 3 if after == "canal" else None
                self.add("wall_crossed", dt=0.0, wall=wall, side=self.side, point_mm=list(mid), inward=inward,
                         breach_mm=5.0 if grade else None, grade=grade, tissue_from=before, tissue_to=after)
            self.add("trocar_moved", dt=3.0, delta_mm=step, depth_mm=0.0, tip_mm=list(self.tip), tissue=after,
                     shaft_tissues=[after], removed=False, breach_mm=0.0, grade=0, medial_margin_mm=1.0)
            n += 1
            if shots_every and n % shots_every == 0:
                self.shot(0.0 if n % (2 * shots_every) else 90.0)
        return self

    def mix_and_wait(self, wait_s=300.0):
        self.add("cement_mixed", product="default")
        return self.add("waited", dt=wait_s, s=wait_s)

    def inject(self, ml_total, step=0.25, phase="working", check_every_ml=1.0, posterior=None, leaks=()):
        """Inject ``ml_total`` in steps; AP and lateral shots every ``check_every_ml`` (None: never).

        ``posterior(ml) -> depth fraction`` of the most posterior cement after ``ml`` injected;
        ``leaks``: (at_ml, type, region, volume_ml) tuples.
        """
        since = 0.0
        n = int(round(ml_total / step))
        for _ in range(n):
            self.injected += step
            leak_now = [lk for lk in leaks if abs(lk[0] - self.injected) < step / 2]
            for lk in leak_now:
                self.leaked += lk[3]
            self.in_body = self.injected - self.leaked
            pf = posterior(self.injected) if posterior else max(0.3, 0.7 - 0.1 * self.injected)
            # the push's event comes at its end, the push's duration after its start, as the simulator's does
            # (the cement_phase metric reads the start back from it)
            self.add("cement_injected", dt=DURATIONS.inject_s(step), ml=step, tip_mm=list(self.tip), phase=phase,
                     viscosity_pa_s=100.0,
                     injected_ml=self.injected, in_body_ml=self.in_body, leaked_ml=self.leaked,
                     posterior_extent_fraction=pf)
            for lk in leak_now:
                self.add("leak", dt=0.0, type=lk[1], region=lk[2], volume_ml=lk[3], first_t_s=self.t,
                         pe_risk=lk[1] in ("B", "S"))
            since += step
            if check_every_ml and since >= check_every_ml - 1e-9:
                self.shot(0.0)
                self.shot(90.0)
                since = 0.0
        if check_every_ml and since > 0:
            self.shot(0.0)
            self.shot(90.0)
        return self

    def finish(self):
        return self.add("finished")


ENTRY = (19.5, 32.0, 5.0)
TARGET = (3.0, -8.5, 0.0)       # depth fraction (16.5 + 8.5) / 33 = 0.76, 3 mm from the midline


def expert(answers=None) -> Stream:
    """A clean procedure: true views, left transpedicular to the anterior third, 3 mL working-phase cement."""
    s = Stream().decide(answers or EXPECTED).align()
    s.place(ENTRY, TARGET).advance_to_y(TARGET[1])
    s.shot(0.0).shot(90.0)
    s.mix_and_wait(300.0).inject(3.0)
    return s.finish()
