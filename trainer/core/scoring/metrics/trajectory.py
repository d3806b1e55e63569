"""Trajectory safety: entry point, the medial-wall rule, breaches, canal and anterior cortex.

Sources: FACTS.md 2 (entry point, medial-wall rule, Gertzbein-Robbins grades, target
zone) and DESIGN.md 5 (critical errors).
"""

from __future__ import annotations

import math

import numpy as np

from trainer.core.scoring.metric import Metric, StreamState, fmt, tissue_class

__all__ = ["EntryPoint", "MedialWallRule", "CanalForamenBreach", "BreachGrade", "AnteriorCortex",
           "gertzbein_grade", "positive_interval"]

PEDICLE_WALLS = ("medial", "lateral", "superior", "inferior")


def gertzbein_grade(breach_mm: float) -> int:
    """Gertzbein-Robbins grade of a breach (FACTS.md 2): 0 none, 1 < 2 mm, 2 2-4 mm, 3 > 4 mm."""
    if breach_mm <= 0:
        return 0
    if breach_mm < 2:
        return 1
    if breach_mm <= 4:
        return 2
    return 3


def positive_interval(f0: float, f1: float) -> tuple[float, float] | None:
    """Sub-interval of s in [0, 1] where the linear function f0 + s (f1 - f0) is > 0."""
    if f0 > 0 and f1 > 0:
        return 0.0, 1.0
    if f0 <= 0 and f1 <= 0:
        return None
    s = f0 / (f0 - f1)
    return (0.0, s) if f0 > 0 else (s, 1.0)


def _sign(side: str | None) -> float:
    return -1.0 if side == "right" else 1.0


class EntryPoint(Metric):
    """Where the trocar first meets bone, in the pedicle's AP outline (radii of the ellipse)."""

    id = "entry_point"

    def _reset(self):
        self.point = None
        self.side = None

    def update(self, event, state: StreamState):
        if self.point is not None:
            return
        d = event.data
        if event.kind == "wall_crossed" and d.get("inward") and tissue_class(d.get("tissue_to")) == "bone" \
                and d.get("point_mm") is not None:
            self.point, self.side = np.asarray(d["point_mm"], float), state.side or d.get("side")
        elif event.kind == "trocar_moved" and tissue_class(d.get("tissue")) == "bone" and d.get("tip_mm"):
            self.point, self.side = np.asarray(d["tip_mm"], float), state.side

    def result(self):
        if self.point is None:
            return self.missing("the trocar never reached bone")
        ped = self.ctx.landmarks.pedicle(self.side or "left")
        c = np.asarray(ped.centre_mm, float)
        ex = (self.point[0] - c[0]) * _sign(ped.side) / (ped.width_mm / 2)
        ez = (self.point[2] - c[2]) / (ped.height_mm / 2)
        r = float(math.hypot(ex, ez))
        where = ("lateral" if ex >= 0 else "medial") + " " + ("superior" if ez >= 0 else "inferior")
        res = self.make(r, None, f"bone entry {fmt(r, 2)} radii from the {ped.side} pedicle centre on AP "
                                 f"({where}; lateral {fmt(ex, 2)}, cranial {fmt(ez, 2)} radii)")
        if res.status == "pass" and ex < 0:
            res = self.make(r, "warn", res.detail + "; medial half of the pedicle: enter superolaterally")
        return res


class MedialWallRule(Metric):
    """Critical: on AP the tip medial to the medial pedicle wall while, on lateral, still
    posterior to the posterior body wall.  Checked along every trocar movement segment."""

    id = "medial_wall_rule"

    def _reset(self):
        self.worst_mm = 0.0
        self.first = None
        self.moves = 0
        self.tol_mm = float(self.spec.params.get("tolerance_mm", 1.0))
        self.margin_mm = None          # closest approach of the shaft surface to the medial wall line

    def update(self, event, state: StreamState):
        if event.kind != "trocar_moved" or state.tip_mm is None or state.side is None:
            return
        self.moves += 1
        mm = event.data.get("medial_margin_mm")
        if mm is not None:
            self.margin_mm = float(mm) if self.margin_mm is None else min(self.margin_mm, float(mm))
        lm = self.ctx.landmarks
        ped = lm.pedicle(state.side)
        sgn = _sign(state.side)
        a = state.prev_tip_mm if state.prev_tip_mm is not None else state.tip_mm
        b = state.tip_mm
        y_max = float(ped.entry_mm[1]) + 1.0      # only once the tip is at pedicle depth

        def med(p):
            return (ped.medial_wall_x_mm - p[0]) * sgn

        def post(p):
            return p[1] - lm.posterior_wall_y_mm

        def deep(p):
            return y_max - p[1]

        iv = [0.0, 1.0]
        for f in (med, post, deep):
            sub = positive_interval(f(a), f(b))
            if sub is None:
                return
            iv = [max(iv[0], sub[0]), min(iv[1], sub[1])]
            if iv[1] - iv[0] <= 1e-9:
                return
        worst = max(med(a + s * (b - a)) for s in iv)
        if worst > self.worst_mm:
            self.worst_mm = float(worst)
            p = a + max(iv, key=lambda s: med(a + s * (b - a))) * (b - a)
            if self.first is None or (self.first[1] <= self.tol_mm < worst):
                self.first = (event.t_s, float(med(p)), float(post(p)), state.side)

    def result(self):
        if self.moves == 0:
            return self.missing("the trocar was never advanced")
        margin = "" if self.margin_mm is None else \
            f"; closest approach of the shaft to the medial wall line {self.margin_mm:.1f} mm"
        if self.first is None:
            return self.make(0.0, "pass", "the tip stayed lateral to the medial pedicle wall until it had "
                                          f"passed the posterior body wall{margin}")
        t, m, p, side = self.first
        where = (f"at t={t:.0f} s the tip was {m:.1f} mm medial to the {side} medial pedicle wall on AP "
                 f"while still {p:.1f} mm posterior to the posterior body wall on lateral")
        if self.worst_mm <= self.tol_mm:
            return self.make(self.worst_mm, "warn", f"grazing: {where} (within the {self.tol_mm:g} mm "
                                                    f"tolerance of the rule){margin}")
        return self.make(self.worst_mm, "fail", f"{where} (worst {self.worst_mm:.1f} mm): the canal is at risk")


class CanalForamenBreach(Metric):
    """Critical: the tip or shaft entered the spinal canal or a neural foramen."""

    id = "canal_foramen_breach"

    def _reset(self):
        self.count = 0
        self.first = None
        self.moves = 0

    def _hit(self, t, where):
        self.count += 1
        if self.first is None:
            self.first = (t, where)

    def update(self, event, state: StreamState):
        d = event.data
        if event.kind == "trocar_moved":
            self.moves += 1
            tips = [d.get("tissue")] + list(d.get("shaft_tissues") or [])
            classes = {tissue_class(x) for x in tips}
            for c in ("canal", "foramen"):
                if c in classes:
                    self._hit(event.t_s, c)
        elif event.kind == "wall_crossed" and tissue_class(d.get("tissue_to")) in ("canal", "foramen"):
            self._hit(event.t_s, tissue_class(d.get("tissue_to")))

    def result(self):
        if self.moves == 0 and self.count == 0:
            return self.missing("the trocar was never advanced")
        if self.first is None:
            return self.make(0, "pass", "the trocar stayed out of the canal and the foramina")
        t, where = self.first
        name = "spinal canal" if where == "canal" else "neural foramen"
        return self.make(self.count, "fail", f"the trocar entered the {name} at t={t:.0f} s "
                                             f"({self.count} event(s)): risk of cord or root injury")


class BreachGrade(Metric):
    """Worst Gertzbein-Robbins grade of any pedicle wall breach."""

    id = "breach_grade"

    def _reset(self):
        self.grade = 0
        self.worst = None
        self.moves = 0

    def update(self, event, state: StreamState):
        if event.kind == "trocar_moved":
            self.moves += 1
        d = event.data
        wall = str(d.get("wall", "")).lower()
        if event.kind == "breach":
            # the procedure's running worst breach of an insertion: catches breaches that deepen
            # after the crossing step (the crossing event measures only the move that crossed)
            pass_through = any(w in wall for w in PEDICLE_WALLS)
        elif event.kind == "wall_crossed":
            pass_through = any(w in wall for w in PEDICLE_WALLS) and not d.get("inward")
        else:
            return
        if not pass_through:
            return
        g = d.get("grade")
        if g is None:
            g = gertzbein_grade(float(d.get("breach_mm") or 0.0))
        g = int(g)
        if g > self.grade:
            self.grade = g
            self.worst = (event.t_s, wall, float(d.get("breach_mm") or 0.0))

    def result(self):
        if self.moves == 0:
            return self.missing("the trocar was never advanced")
        if self.worst is None or self.grade == 0:
            return self.make(0, "pass", "no pedicle wall breach (grade 0)")
        t, wall, mm = self.worst
        return self.make(self.grade, None, f"grade {self.grade}: {wall} wall breached by {mm:.1f} mm at t={t:.0f} s")


class AnteriorCortex(Metric):
    """Critical: the tip went through the anterior cortex of the vertebral body."""

    id = "anterior_cortex"

    def _reset(self):
        self.beyond_mm = 0.0
        self.first_t = None
        self.moves = 0

    def update(self, event, state: StreamState):
        d = event.data
        if event.kind == "trocar_moved":
            self.moves += 1
            tip = d.get("tip_mm")
            if tip is not None:
                beyond = self.ctx.landmarks.anterior_wall_y_mm - float(tip[1])
                if beyond > 0:
                    self._perforated(event.t_s, beyond)
        elif event.kind == "wall_crossed" and "anterior" in str(d.get("wall", "")).lower() and not d.get("inward"):
            self._perforated(event.t_s, float(d.get("breach_mm") or 0.0))

    def _perforated(self, t, mm):
        if self.first_t is None:
            self.first_t = t
        self.beyond_mm = max(self.beyond_mm, mm, 1e-3)

    def result(self):
        if self.moves == 0:
            return self.missing("the trocar was never advanced")
        if self.first_t is None:
            return self.make(0.0, "pass", "the tip stayed behind the anterior cortex")
        return self.make(self.beyond_mm, "fail", f"the tip perforated the anterior cortex at t={self.first_t:.0f} s "
                                                 f"({self.beyond_mm:.1f} mm beyond): risk to the aorta and vena cava")
