"""Trajectory safety: entry point, the medial-wall rule, breaches, canal and anterior cortex.

Sources: FACTS.md 2 (entry point, medial-wall rule, Gertzbein-Robbins grades, target
zone) and DESIGN.md 5 (critical errors).
"""

from __future__ import annotations

import math

import numpy as np

from trainer.core.anatomy.breach import (
    MEDIAL_BREACH_TOLERANCE_MM,
    MEDIAL_WALL,
    TOLERANCE_SOURCE,
    breach_class,
    gr_grade,
    is_pedicle_wall,
    medial_breach_mm,
    wall_direction,
)
from trainer.core.scoring.metric import Metric, StreamState, fmt, tissue_class

__all__ = ["EntryPoint", "MedialWallRule", "CanalForamenBreach", "BreachGrade", "AnteriorCortex",
           "gertzbein_grade", "positive_interval"]

#: Kept for callers of the old name; the grading lives in :mod:`trainer.core.anatomy.breach`.
gertzbein_grade = gr_grade


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


#: The medial-wall rule's line, in one wording for the rule's headline (policy), this metric's details,
#: ``assess`` (text, --html, --pdf), the debrief and docs/scoring.md: a line on the AP image through the
#: medial pedicle wall, the tip's excursion past it measured against the canal's centre (pass 74).
#: Until round 23 the headline said "the medial pedicle wall (AP)".
MEDIAL_WALL_LINE = "medial pedicle wall line on AP"


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
        # each offset named by its side, not signed (pass 103: "lateral -0.04" read as lateral)
        across = f"{fmt(abs(ex), 2)} radii {'lateral' if ex >= 0 else 'medial'}"
        along = f"{fmt(abs(ez), 2)} radii {'superior' if ez >= 0 else 'inferior'}"
        res = self.make(r, None, f"bone entry {fmt(r, 2)} radii from the {ped.side} pedicle centre on AP "
                                 f"({across} and {along} of it)")
        if res.status == "pass" and ex < 0:
            res = self.make(r, "warn", res.detail + "; medial half of the pedicle: enter superolaterally")
        return res


#: Step (mm) at which a movement segment is read against the body's posterior outline (one fifth of the
#: fine grid's 0.5 mm voxel); the crossing itself is then found by bisection.
_OUTLINE_STEP_MM = 0.1


def _behind_body_mm(ctx, p_mm) -> float:
    """How far (mm, own-frame y) the point lies behind the body's back face at its own x and z.

    The back face is the body's real posterior outline where the context has one (the posterior-most body
    voxel in that column: :mod:`trainer.core.anatomy.posterior_outline`), else the flat
    ``posterior_wall_y_mm`` at the midline's depth.  Positive: behind the body (pedicle or canal depth).
    """
    lm = ctx.landmarks
    q = lm.own_mm(p_mm)
    flat = float(lm.posterior_wall_y_mm)
    wall = flat if ctx.posterior_outline is None else ctx.posterior_outline.wall_y_mm(q, flat)
    return float(q[1] - wall)


def _most_medial_behind(point, iv, med, post, length_mm: float) -> float | None:
    """Segment parameter s in ``iv`` where ``med`` (linear in s) is largest among the points behind the body
    (``post > 0``, not linear: the outline steps from column to column); None if no point is behind it.

    The segment is read every :data:`_OUTLINE_STEP_MM`; where the most medial point behind the body has a
    neighbour in front of it on its medial side, the crossing between them is found by bisection.
    """
    s0, s1 = iv
    n = max(2, int(math.ceil(length_mm * (s1 - s0) / _OUTLINE_STEP_MM)) + 1)
    ss = np.linspace(s0, s1, n)
    ok = [post(point(s)) > 0 for s in ss]
    if not any(ok):
        return None
    up = med(point(s1)) >= med(point(s0))           # med grows with s
    order = range(n - 1, -1, -1) if up else range(n)
    i = next(i for i in order if ok[i])
    j = i + 1 if up else i - 1
    if not 0 <= j < n:
        return float(ss[i])
    lo, hi = float(ss[i]), float(ss[j])             # lo behind the body, hi in front of it
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if post(point(mid)) > 0 else (lo, mid)
    return lo


class MedialWallRule(Metric):
    """Critical: on AP the tip medial to the medial pedicle wall while, on lateral, still
    posterior to the posterior body wall.  Checked along every trocar movement segment."""

    id = "medial_wall_rule"

    def _reset(self):
        self.worst_mm = 0.0
        self.first = None
        self.moves = 0
        self.tol_mm = MEDIAL_BREACH_TOLERANCE_MM
        self.margin_mm = None          # closest approach of the shaft surface to the medial wall line
        self.ctx_radius_mm = 1.5       # trocar radius, from the trocar_placed event
        self.worst_t_s = None          # when the tip's axis was furthest medial to the line
        self.wall_graded = False       # a pedicle wall breach was graded (the trocar broke through it in 3D)

    def update(self, event, state: StreamState):
        if event.kind == "trocar_placed" and event.data.get("outer_diameter_mm") is not None:
            self.ctx_radius_mm = 0.5 * float(event.data["outer_diameter_mm"])
        if event.kind == "breach" and is_pedicle_wall(event.data.get("wall")) and gr_grade(event.data.get("breach_mm")):
            self.wall_graded = True
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
        # in the vertebra's own frame (Landmarks.own_mm: the patient's, unless the vertebra is turned far)
        y_max = float(lm.own_mm(ped.entry_mm)[1]) + 1.0      # only once the tip is at pedicle depth

        def med(p):
            return (ped.medial_wall_x_mm - lm.own_mm(p)[0]) * sgn

        def post(p):
            return _behind_body_mm(self.ctx, p)

        def deep(p):
            return y_max - lm.own_mm(p)[1]

        iv = [0.0, 1.0]
        for f in (med, deep):
            sub = positive_interval(f(a), f(b))
            if sub is None:
                return
            iv = [max(iv[0], sub[0]), min(iv[1], sub[1])]
            if iv[1] - iv[0] <= 1e-9:
                return
        s_w = _most_medial_behind(lambda s: a + s * (b - a), iv, med, post, float(np.linalg.norm(b - a)))
        if s_w is None:
            return
        p = a + s_w * (b - a)
        worst = med(p)
        if worst > self.worst_mm:
            self.worst_mm = float(worst)
            self.worst_t_s = event.t_s
            if self.first is None or (
                    breach_class(medial_breach_mm(self.first[1], self.ctx_radius_mm), self.tol_mm) != "breach"
                    and breach_class(medial_breach_mm(worst, self.ctx_radius_mm), self.tol_mm) == "breach"):
                self.first = (event.t_s, float(med(p)), float(post(p)), state.side)

    def result(self):
        if self.moves == 0:
            return self.missing("the trocar was never advanced")
        margin = "" if self.margin_mm is None else \
            f"; closest approach of the shaft to the medial wall line {self.margin_mm:.1f} mm"
        if self.first is None:
            return self.make(0.0, "pass", f"the tip stayed lateral to the {MEDIAL_WALL_LINE} until it had "
                                          f"passed the posterior body wall{margin}")
        t, m, p, side = self.first
        breach = medial_breach_mm(self.worst_mm, self.ctx_radius_mm)
        where = (f"at t={t:.0f} s the tip was {m:.1f} mm medial to the {side} {MEDIAL_WALL_LINE} "
                 f"while still {p:.1f} mm posterior to the posterior body wall on lateral; "
                 f"{self._worst_text(side, breach)}")
        if breach_class(breach, self.tol_mm) != "breach":
            return self.make(breach, "warn", f"grazing: {where} (within the {self.tol_mm:g} mm tolerance, "
                                             f"{TOLERANCE_SOURCE}){margin}{self._projection_note()}")
        return self.make(breach, "fail", f"{where} (tolerance {self.tol_mm:g} mm): the canal is at risk"
                                         f"{self._projection_note()}")

    def _worst_text(self, side: str, breach_mm: float) -> str:
        """How far medial to the wall line the tip's axis went on AP, against the canal's centre
        (a number larger than the line's distance to the canal centre is the tip across the canal)."""
        lm = self.ctx.landmarks
        to_centre = (lm.pedicle(side).medial_wall_x_mm - float(lm.own_mm(lm.canal_centre_mm)[0])) * _sign(side)
        beyond = self.worst_mm - to_centre
        centre = (f"{beyond:.1f} mm past the canal's centre line" if beyond > 0
                  else f"{-beyond:.1f} mm short of the canal's centre line")
        return (f"at worst (t={self.worst_t_s:.0f} s) the tip's axis was {self.worst_mm:.1f} mm medial to that line "
                f"on AP ({centre}, which is {to_centre:.1f} mm medial to the line), the trocar's outer surface "
                f"{breach_mm:.1f} mm medial to it")

    def _projection_note(self) -> str:
        """Why this rule can fail while no pedicle wall breach is graded."""
        if self.wall_graded:
            return ""
        return ("; this is the AP projection: the trocar crossed the medial wall line without breaking through "
                "the pedicle's wall in 3D (it ran medial to the pedicle, or into the canal where the pedicle "
                "meets the body), so 'Worst pedicle breach' is not graded")


class CanalForamenBreach(Metric):
    """Critical: the trocar entered the spinal canal or a neural foramen.

    The same medial-breach definition as the medial-wall rule and the breach grade
    (:mod:`trainer.core.anatomy.breach`): when the shaft touches canal or foramen voxels
    next to the pedicle, the depth is the procedure's breach depth of the trocar's outer
    surface; within the tolerance (grade 1, under 2 mm) it is grazing and warns.  The tip
    itself in the canal or a foramen, or a shaft there with no pedicle breach measured
    (entered by another route), is a breach."""

    id = "canal_foramen_breach"

    def _reset(self):
        self.count = 0
        self.first = None
        self.grazing = None
        self.moves = 0

    def update(self, event, state: StreamState):
        d = event.data
        if event.kind != "trocar_moved":
            return
        self.moves += 1
        tip = tissue_class(d.get("tissue"))
        shaft = {tissue_class(x) for x in (d.get("shaft_tissues") or [])}
        where = tip if tip in ("canal", "foramen") else next((c for c in ("canal", "foramen") if c in shaft), None)
        if where is None:
            return
        depth = d.get("breach_mm")
        depth = None if depth is None else float(depth)
        if tip in ("canal", "foramen") or depth is None or depth <= 0 \
                or breach_class(depth) == "breach":
            self.count += 1
            if self.first is None:
                self.first = (event.t_s, where, depth, tip in ("canal", "foramen"))
        elif self.grazing is None or depth > self.grazing[2]:
            self.grazing = (event.t_s, where, depth)

    def result(self):
        if self.moves == 0 and self.count == 0:
            return self.missing("the trocar was never advanced")
        if self.first is not None:
            t, where, depth, by_tip = self.first
            name = "spinal canal" if where == "canal" else "neural foramen"
            # the rule's words say "entered the spinal canal or a neural foramen": the detail says which, how and
            # when, once (it read "the trocar entered the spinal canal at t=190 s: the tip entered it")
            how = ("the tip" if by_tip else
                   f"the shaft through a {depth:.1f} mm pedicle wall breach (tolerance "
                   f"{MEDIAL_BREACH_TOLERANCE_MM:g} mm)" if depth else "the shaft away from the pedicle")
            # the count takes every move into the canal or a foramen, not only the first place's (review, round 27)
            moves = f"{self.count} move" + ("s" if self.count != 1 else "") + " into the canal or a foramen"
            return self.make(self.count, "fail", f"the {name}, by {how}, at t={t:.0f} s ({moves}): "
                                                 "risk of cord or root injury")
        if self.grazing is not None:
            t, where, depth = self.grazing
            name = "spinal canal" if where == "canal" else "neural foramen"
            return self.make(0, "warn", f"grazing: the shaft's outer surface touched the {name} at t={t:.0f} s with a "
                                        f"{depth:.1f} mm pedicle breach, within the {MEDIAL_BREACH_TOLERANCE_MM:g} mm "
                                        f"tolerance ({TOLERANCE_SOURCE})")
        return self.make(0, "pass", "the trocar stayed out of the canal and the foramina")


class BreachGrade(Metric):
    """Worst Gertzbein-Robbins grade of any pedicle wall breach (wall names from
    :data:`trainer.core.anatomy.breach.PEDICLE_WALLS`, matched exactly)."""

    id = "breach_grade"

    def _reset(self):
        self.grade = 0
        self.worst = None
        self.moves = 0
        self.neural = None          # (t, 'canal' | 'foramen'): the first time the tip or the shaft was there
        self.neural_from = None     # (tissue before it, bone on the way): the first path into the canal or a foramen
        self.neural_at = None       # point (mm) where the tip first crossed into the canal or a foramen

    def update(self, event, state: StreamState):
        d = event.data
        if event.kind == "wall_crossed" and self.neural_at is None and d.get("point_mm") is not None \
                and tissue_class(d.get("tissue_to")) in ("canal", "foramen"):
            self.neural_at = np.asarray(d["point_mm"], float)
        if event.kind == "trocar_moved":
            self.moves += 1
            if self.neural is None:
                tip = tissue_class(d.get("tissue"))
                shaft = {tissue_class(x) for x in (d.get("shaft_tissues") or [])}
                where = next((c for c in ("canal", "foramen") if c == tip or c in shaft), None)
                if where is not None:
                    self.neural = (event.t_s, where)
                    path = [str(x) for x in (d.get("shaft_tissues") or [])] + [str(d.get("tissue") or "")]
                    i = next(i for i, x in enumerate(path) if tissue_class(x) in ("canal", "foramen"))
                    bone = [x for x in path[:i] if tissue_class(x) == "bone"]
                    # the last bone on the way in (the lamina, a pedicle) and whether soft tissue lay between
                    self.neural_from = (bone[-1], tissue_class(path[i - 1]) != "bone") if bone else \
                        (path[i - 1] if i > 0 else "", None)
        wall = d.get("wall")
        if event.kind == "breach":
            # the procedure's running worst breach of an insertion: catches breaches that deepen
            # after the crossing step (the crossing event measures only the move that crossed)
            pass_through = is_pedicle_wall(wall)
        elif event.kind == "wall_crossed":
            pass_through = is_pedicle_wall(wall) and not d.get("inward")
        else:
            return
        if not pass_through:
            return
        mm = float(d.get("breach_mm") or 0.0)
        g = gr_grade(mm)
        if g > self.grade:
            self.grade = g
            self.worst = (event.t_s, wall, mm)

    def result(self):
        if self.moves == 0:
            return self.missing("the trocar was never advanced")
        if self.worst is None or self.grade == 0:
            if self.neural is not None:
                # issue 12 round 9 (F): a trocar that reaches the canal or a foramen without crossing a pedicle wall
                # (a line medial to the pedicle, through the lamina) read "canal entered" beside "grade 0"
                t, where = self.neural
                name = "spinal canal" if where == "canal" else "neural foramen"
                # ungraded (n/a), not a passed grade 0 beside a failed canal/foramen breach
                return self.make(None, "n/a", f"not graded: the trocar reached the {name} at t={t:.0f} s"
                                              f"{self._entered_from()} without breaking through the pedicle's wall "
                                              "where the Gertzbein-Robbins grade is measured (along the pedicle, "
                                              "before its junction with the body); 'Medial-wall rule' judges the "
                                              "same path on the AP image and 'Canal or foramen entered' the "
                                              "entry itself")
            return self.make(0, "pass", "no pedicle wall breach (grade 0)")
        t, wall, mm = self.worst
        cls = breach_class(mm)
        side = wall_direction(wall)
        extra = (f"; within the {MEDIAL_BREACH_TOLERANCE_MM:g} mm tolerance" if cls == "within tolerance"
                 else f"; beyond the {MEDIAL_BREACH_TOLERANCE_MM:g} mm tolerance")
        if wall == MEDIAL_WALL and cls == "breach":
            extra += " toward the canal"
        return self.make(self.grade, None, f"grade {self.grade}: {side} pedicle wall breached by {mm:.1f} mm "
                                           f"at t={t:.0f} s{extra}")

    def _entered_from(self) -> str:
        """Where the trocar came from into the canal or foramen (the last bone on its way in), e.g.
        ' from the left pedicle, N mm behind the posterior body wall on lateral,' or ' from the
        muscle without passing through bone (between the laminae),'; '' when not known."""
        if self.neural_from is None or not self.neural_from[0]:
            return ""
        tissue, soft_between = self.neural_from
        words = tissue.replace("_", " ").split()
        if soft_between is None:
            what = f"the {' '.join(words)} without passing through bone (between the laminae)"
        else:
            what = ("the posterior elements (lamina) medial to the pedicle" if tissue == "posterior_elements"
                    else f"the {words[1]} pedicle" if words[0] == "pedicle" and len(words) == 2
                    else f"the {' '.join(words)}")
            what += ", then the soft tissue behind the canal" if soft_between else ""
        if self.neural_at is None:
            return f" from {what},"
        behind = float(self.neural_at[1]) - self.ctx.landmarks.posterior_wall_y_mm
        return f" from {what}, {behind:.1f} mm behind the posterior body wall on lateral,"


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
        elif event.kind == "wall_crossed" and d.get("wall") == "body_anterior" and not d.get("inward"):
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
