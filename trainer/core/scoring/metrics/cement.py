"""Cement: volume, phase at the start, stop rule, leaks, fill, spread and checks.

Sources: seeds/000_10316454a5df9267.txt (2.5-4 mL, paste-like consistency, stop at the
posterior body, AP and lateral checks), FACTS.md 3.1-3.3 (fill, posterior quarter,
working window) and FACTS.md 4 (leak types; canal and foramen leaks critical; AP checks).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from trainer.core.procedure.actions import DURATIONS
from trainer.core.procedure.cement.clock import seconds_since_mix
from trainer.core.scoring.metric import Metric, MetricResult, StreamState, fmt, view_of_pose
from trainer.core.scoring.metrics.tip import endplate_z_at

__all__ = ["CementVolume", "CementPhase", "StopRule", "LeakCanalForamen", "LeakOther", "FillFraction",
           "CanalWallTemperature",
           "CementSpread", "ApChecks", "LateralChecks", "collect_leaks", "is_neural_leak"]

#: Less than this in the body (mL) is no treatment: the volume rule fails as for no cement at all.
NO_BODY_CEMENT_ML = 0.05

PHASE_STATUS = {"working": "pass", "setting": "warn", "runny": "fail", "set": "fail", "unmixed": "fail"}


def is_neural_leak(leak: dict) -> bool:
    """True for a canal or foramen leak (critical, FACTS.md 4)."""
    text = f"{leak.get('type', '')} {leak.get('region', '')}".lower()
    return "canal" in text or "foramen" in text or "foramin" in text


def collect_leaks(events_leaks: dict, final: list | None) -> list[dict]:
    """Leaks keyed by (type, region): the final list when given, else the largest volume seen."""
    if final is not None:
        return [{"type": str(lk.get("type")), "region": str(lk.get("region", "")),
                     "volume_ml": float(lk.get("volume_ml", 0.0)), "pe_risk": bool(lk.get("pe_risk", False)),
                     "first_t_s": lk.get("first_t_s")} for lk in final]
    return [dict(v) for _, v in sorted(events_leaks.items())]


def record_leak(leaks: dict, event) -> None:
    """Book a ``leak`` event in ``leaks``; other events are ignored.

    Parameters
    ----------
    leaks : dict
        (type, region) -> the leak: ``type``, ``region``, its largest ``volume_ml`` seen (mL), ``pe_risk`` and
        ``first_t_s`` (s, simulated time); updated in place.
    event : Event
        A session event (only ``leak`` events are booked).
    """
    if event.kind != "leak":
        return
    d = event.data
    key = (str(d.get("type")), str(d.get("region", "")))
    old = leaks.get(key)
    vol = float(d.get("volume_ml", 0.0))
    if old is None or vol > old["volume_ml"]:
        leaks[key] = {"type": key[0], "region": key[1], "volume_ml": vol, "pe_risk": bool(d.get("pe_risk")),
                      "first_t_s": (old or {}).get("first_t_s", d.get("first_t_s", event.t_s))}


class _CementMetric(Metric):
    def _reset(self):
        self.state: StreamState | None = None
        self.last_pef: float | None = None      #: posterior extent (depth fraction) after the last push
        self.seen_after_last = False            #: a leak first seen on a shot after the last push
        self.sighted_sides: set = set()          #: cannulas (sides) active when a leak was first seen
        self.pushed_after_sighting = False       #: a push through such a cannula after the sighting

    def update(self, event, state: StreamState):
        self.state = state
        if event.kind == "cement_injected":
            pef = event.data.get("posterior_extent_fraction")
            self.last_pef = None if pef is None else float(pef)
            self.seen_after_last = False
            if state.side in self.sighted_sides:
                self.pushed_after_sighting = True
        elif event.kind == "leak_seen" and state.injected_ml > 0:
            self.seen_after_last = True
            self.sighted_sides.add(state.side)

    def _none_injected(self):
        return self.state is None or self.state.injected_ml <= 0

    def end_condition(self) -> str | None:
        """Why the injection stopped at the documented end condition, or None.

        FACTS.md 3.2: stop when the cement reaches the posterior quarter of the body, or at any
        extravasation; complete filling is neither always possible nor needed.  Met when the
        last push left the most posterior cement at or behind ``end_depth`` (the spec's param,
        a depth fraction; the next push would reach the quarter), or a leak was first seen on a
        shot after the last push (the trainee stopped at the first sign), or - bipedicular - no push
        went through a cannula after a leak was first seen while it was the active one (the other
        side may still fill its half).
        """
        if self.seen_after_last:
            return "injection stopped at the first sight of a leak"
        if self.sighted_sides and not self.pushed_after_sighting:
            return "injection through the leaking side stopped at the first sight of a leak"
        depth = float(self.spec.params.get("end_depth", 0.30))
        if self.last_pef is not None and self.last_pef <= depth + 1e-9:
            return f"injection stopped with the cement at {fmt(self.last_pef, 2)} of the depth (posterior quarter near)"
        return None

    def _short_but_stopped(self, value: float) -> MetricResult | None:
        """A pass for a value under the pass band's lower edge when the injection ended at the end condition."""
        why = self.end_condition()
        if why is None or value >= float(self.spec.pass_band[0]) - 1e-9:
            return None
        return self.make(value, "pass", f"under {self.spec.pass_band[0]:g} {self.spec.unit}, but {why} "
                                        "(FACTS.md 3.2: complete filling is neither always possible nor needed)")


class CementVolume(_CementMetric):
    id = "cement_volume"

    def _reset(self):
        super()._reset()
        self.leaks: dict = {}          #: (type, region) -> the leak as last reported (for where the cement went)

    def update(self, event, state: StreamState):
        super().update(event, state)
        record_leak(self.leaks, event)

    def result(self):
        if self._none_injected():
            if self.ctx.procedure_expected:   # the treatment was never given: not an attempt to sign off
                return replace(self.make(0.0, "fail", "no cement was injected into a patient who should be treated"),
                               cause="none_injected")
            return self.missing("no cement was injected")
        s = self.state
        detail = f"{fmt(s.injected_ml, 2)} mL injected: {fmt(s.in_body_ml, 2)} mL in the body, " \
                 f"{fmt(s.leaked_ml, 2)} mL leaked"
        max_ml = float(self.spec.pass_band[1])
        if s.in_body_ml < NO_BODY_CEMENT_ML and self.ctx.procedure_expected:
            # all of it leaked (a tip outside the body: a real CT's 3 mm abdominal L2 sent 3 mL into the
            # disc and passed on points): the body was never treated; the detail says where it went
            where = ", ".join(f"{lk['region'] or lk['type']} {fmt(lk['volume_ml'], 2)} mL"
                              for lk in collect_leaks(self.leaks, self.ctx.final_leaks) if lk["volume_ml"] > 0)
            # the headline already says none went into the body (policy's words for ``none_in_body``): the detail
            # says where it went, and the maximum when that was passed too (review, round 27)
            over = f"; above the maximum of {max_ml:g} mL" if s.injected_ml > max_ml + 1e-6 else ""
            return replace(self.make(s.injected_ml, "fail", detail + (f"; where it went: {where}" if where else "")
                                     + over), cause="none_in_body")
        if s.injected_ml > max_ml + 1e-6:           # above the scenario's maximum: a policy rule
            return replace(self.make(s.injected_ml, "fail", detail + f"; above the maximum of {max_ml:g} mL"),
                           cause="over_max")
        stopped = self._short_but_stopped(s.injected_ml)
        if stopped is not None:
            return replace(stopped, detail=detail + "; " + stopped.detail)
        res = self.make(s.injected_ml, None, detail)
        return replace(res, critical_failed=False)     # too little cement costs points only


class CementPhase(Metric):
    id = "cement_phase"

    def _reset(self):
        self.first = None

    def update(self, event, state: StreamState):
        if event.kind == "cement_injected" and self.first is None:
            # the push's start: its event comes at its end (the push's duration later), its phase is the start's
            # (a push begun at 4:00 into the working phase was reported "4.10 min after mixing", round 36)
            start_s = event.t_s - DURATIONS.inject_s(float(event.data.get("ml", 0.0)))
            minutes = None if state.mixed_t_s is None else seconds_since_mix(start_s, state.mixed_t_s) / 60.0
            self.first = (minutes, str(event.data.get("phase") or ""), event.data.get("viscosity_pa_s"))

    def result(self):
        if self.first is None:
            return self.missing("no cement was injected")
        minutes, phase, visc = self.first
        status = PHASE_STATUS.get(phase.lower()) if phase else None
        visc_txt = f", {visc:.3g} Pa.s" if isinstance(visc, (int, float)) else ""
        detail = f"injection started {fmt(minutes)} min after mixing, phase {phase or 'unknown'}{visc_txt}"
        if phase.lower() == "runny":
            detail += ": before the working phase; runny cement escapes into veins and defects"
        return self.make(minutes, status, detail)


class StopRule(Metric):
    id = "stop_rule"

    def _reset(self):
        self.reached_t = None
        self.after_ml = 0.0
        self.injected = False

    def update(self, event, state: StreamState):
        if event.kind != "cement_injected":
            return
        self.injected = True
        if self.reached_t is not None:
            self.after_ml += float(event.data.get("ml", 0.0))
            return
        pef = event.data.get("posterior_extent_fraction")   # depth fraction of the most posterior cement
        if pef is not None and float(pef) <= float(self.spec.params.get("posterior_quarter_depth", 0.25)):
            self.reached_t = event.t_s

    def result(self):
        if not self.injected:
            return self.missing("no cement was injected")
        if self.reached_t is None:
            return self.make(0.0, "pass", "cement never reached the posterior quarter of the body")
        detail = (f"cement reached the posterior quarter at t={self.reached_t:.0f} s; "
                  f"{fmt(self.after_ml, 2)} mL injected after that")
        return self.make(self.after_ml, None, detail)


class _LeakMetric(Metric):
    def _reset(self):
        self.leaks: dict = {}
        self.seen: dict = {}
        self.injected = False

    def update(self, event, state: StreamState):
        if event.kind == "cement_injected":
            self.injected = True
        if event.kind == "leak_seen":
            key = (str(event.data.get("type")), str(event.data.get("region", "")))
            self.seen.setdefault(key, set()).add(str(event.data.get("view")))
        record_leak(self.leaks, event)

    def all_leaks(self) -> list[dict]:
        return collect_leaks(self.leaks, self.ctx.final_leaks)


class LeakCanalForamen(_LeakMetric):
    """Critical: cement in the spinal canal or a foramen, judged by where the cement ends up.

    Two read-outs, either one fails: the leaks the cement model typed ``canal`` or
    ``foramen``, and the cement found inside the canal or foramen outline at the end
    (``context.neural_cement_ml``), whatever path it took (a basivertebral leak that
    reached the epidural space counts here too)."""

    id = "leak_canal_foramen"

    def result(self):
        if not self.injected and not self.leaks:
            return self.missing("no cement was injected")
        typed = [lk for lk in self.all_leaks() if is_neural_leak(lk)]
        typed_ml = sum(lk["volume_ml"] for lk in typed)
        found = self.ctx.neural_cement_ml or {}
        found_ml = sum(found.values())
        limit = float(self.spec.params.get("detect_ml", 0.0))
        if not typed and found_ml <= limit:
            return self.make(0.0, "pass", "no cement in the spinal canal or the foramina")
        parts = [f"{lk['type']} {fmt(lk['volume_ml'], 3)} mL" for lk in typed]
        parts += [f"{fmt(v, 3)} mL inside the {k} outline" for k, v in sorted(found.items()) if v > limit]
        vol = max(typed_ml, found_ml)
        return self.make(vol, "fail", f"cement in the canal or a foramen: {'; '.join(parts)}: "
                                      "risk of cord or root compression")


class LeakOther(_LeakMetric):
    id = "leak_other"

    def result(self):
        if not self.injected and not self.leaks:
            return self.missing("no cement was injected")
        other = [lk for lk in self.all_leaks() if not is_neural_leak(lk)]
        if not other:
            return self.make(0.0, "pass", "no leak")
        vol = sum(lk["volume_ml"] for lk in other)
        parts = []
        for lk in other:
            views = sorted(self.seen.get((lk["type"], lk["region"]), ()))
            seen = f", seen on {'/'.join(v.upper() if v == 'ap' else v for v in views)}" if views else \
                ", not seen on any shot"
            parts.append(f"{lk['type']} ({lk['region']}) {fmt(lk['volume_ml'], 2)} mL{seen}"
                         + (", PE risk" if lk["pe_risk"] else ""))
        return self.make(vol, "warn" if vol <= self.spec.warn_band[1] else "fail", "; ".join(parts))


class FillFraction(_CementMetric):
    id = "fill_fraction"

    def result(self):
        if self._none_injected():
            return self.missing("no cement was injected")
        pct = 100.0 * self.state.in_body_ml / max(self.ctx.body_volume_ml, 1e-6)
        detail = f"{fmt(self.state.in_body_ml, 2)} mL in a {fmt(self.ctx.body_volume_ml)} mL body"
        stopped = self._short_but_stopped(pct)
        if stopped is not None:
            return replace(stopped, detail=detail + "; " + stopped.detail)
        return self.make(pct, None, detail)


class CementSpread(_CementMetric):
    id = "cement_spread"

    def result(self):
        if self._none_injected():
            return self.missing("no cement was injected")
        pts = self.ctx.cement_points_mm
        if pts is None:
            return self.make(None, "n/a", "the cement distribution is not known from the events alone")
        lm = self.ctx.landmarks
        pts = np.asarray(pts, float).reshape(-1, 3)
        cx = float(lm.body_centre_mm[0])
        inside = pts[(np.abs(pts[:, 0] - cx) <= lm.body_width_mm / 2) & (pts[:, 1] >= lm.anterior_wall_y_mm)
                     & (pts[:, 1] <= lm.posterior_wall_y_mm)]
        if len(inside) == 0:
            return self.make(0, "fail", "no cement inside the vertebral body")
        margin = float(self.spec.params.get("endplate_margin_mm", 3.0))
        z_inf, z_sup = endplate_z_at(self.ctx, inside[:, 1])
        crosses = bool(inside[:, 0].min() < cx - 1.0 and inside[:, 0].max() > cx + 1.0)
        sup = bool(np.any(inside[:, 2] >= z_sup - margin))
        inf = bool(np.any(inside[:, 2] <= z_inf + margin))
        met = int(crosses) + int(sup) + int(inf)
        miss = [n for n, ok in (("crosses the midline", crosses), ("reaches the superior endplate", sup),
                                ("reaches the inferior endplate", inf)) if not ok]
        return self.make(met, None, "crosses the midline and reaches both endplates" if not miss
                         else "does not: " + ", ".join(miss))


class CanalWallTemperature(_CementMetric):
    """Critical: the modelled canal-wall temperature above the thermal limit (FACTS.md 3.5)."""

    id = "canal_wall_temperature"

    def result(self):
        if self._none_injected():
            return self.missing("no cement was injected")
        t = self.ctx.canal_wall_temperature_c
        if t is None:
            return self.make(None, "n/a", "the canal-wall temperature is not known from the events alone")
        limit = float(self.spec.pass_band[1])
        return self.make(t, None, f"canal wall reached {fmt(t)} C (limit {limit:g} C)")


class _ViewChecks(Metric):
    view = "ap"

    def _reset(self):
        self.since = 0.0
        self.worst = 0.0
        self.checks = 0
        self.injected = False

    def update(self, event, state: StreamState):
        if event.kind == "cement_injected":
            self.injected = True
            self.since += float(event.data.get("ml", 0.0))
        elif event.kind == "shot" and self.injected:
            v = view_of_pose(event.data.get("pose"), self.ctx.patient_roll_deg, event.data.get("view"))
            if v == self.view:
                self.worst = max(self.worst, self.since)
                self.since = 0.0
                self.checks += 1

    def result(self):
        if not self.injected:
            return self.missing("no cement was injected")
        worst = max(self.worst, self.since)
        name = "AP" if self.view == "ap" else "lateral"
        detail = f"{self.checks} {name} shot(s) during injection; at most {fmt(worst, 2)} mL between checks"
        if self.since > 0:
            detail += f"; {fmt(self.since, 2)} mL with no {name} check after the last injection"
        if self.checks == 0:          # never looked in this view once cement went in: whatever the volume
            # a policy rule where the target table marks the metric critical (ap_checks: FACTS.md 4, "require AP
            # checks"); lateral_checks is not, and costs points only
            return self.make(worst, "fail", detail + f": the cement was never checked on the {name} view"
                             + (" (a lateral misses most B and S leaks: FACTS.md 4, Yeom)" if self.view == "ap"
                                else " (the posterior quarter is judged on the lateral: FACTS.md 3.2)"))
        # checked, but too much between two checks: a major error at most, never the rule
        return replace(self.make(worst, None, detail), critical_failed=False)


class ApChecks(_ViewChecks):
    id = "ap_checks"
    view = "ap"


class LateralChecks(_ViewChecks):
    id = "lateral_checks"
    view = "lateral"
