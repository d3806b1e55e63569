"""The scoring engine: feed events, get a :class:`~trainer.core.scoring.report.ScoreReport`.

The same :class:`Scorer` serves the live GUI (feed each action's events as they come)
and offline assessment (:func:`score` on a replayed procedure, :func:`score_events` on
a list of events), so the live and offline scores of a session are the same
computation.  Nothing here reads the wall clock.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from trainer.core.procedure.events import Event
from trainer.core.scoring.cement_readout import canal_wall_temperature_c, neural_cement_ml
from trainer.core.scoring.context import build_context
from trainer.core.scoring.metric import STATUS_CREDIT, Metric, ScoringContext, StreamState
from trainer.core.scoring.metrics import BUILTIN_METRICS
from trainer.core.scoring.metrics.cement import LeakOther, collect_leaks
from trainer.core.scoring.metrics.radiation import Exposures
from trainer.core.scoring.metrics.tip import TipDepth
from trainer.core.scoring.policy import RULE_BY_METRIC, broken_rules, major_errors
from trainer.core.scoring.report import ScoreReport, TimelineMerger, critical_error_line, global_rating, timeline_entry

M = TypeVar("M", bound=Metric)

__all__ = ["Scorer", "score_events", "score", "context_for_procedure", "as_event"]


def as_event(ev) -> Event:
    """An :class:`Event` from an Event, or from a dict (``{"kind", "t_s", **data}`` or with ``data``)."""
    if isinstance(ev, Event):
        return ev
    if isinstance(ev, dict):
        if "data" in ev and isinstance(ev["data"], dict):
            return Event(ev["kind"], float(ev.get("t_s", 0.0)), dict(ev["data"]))
        data = {k: v for k, v in ev.items() if k not in ("kind", "t_s")}
        return Event(ev["kind"], float(ev.get("t_s", 0.0)), data)
    if hasattr(ev, "kind") and hasattr(ev, "t_s"):
        return Event(ev.kind, float(ev.t_s), dict(getattr(ev, "data", {}) or {}))
    raise TypeError(f"not an event: {ev!r}")


class Scorer:
    """Streams events into the metrics.

    Parameters
    ----------
    context : ScoringContext
    metrics : sequence of Metric classes, optional
        Default: :data:`~trainer.core.scoring.metrics.BUILTIN_METRICS`.
    keep_events : bool
        Keep every event fed (``report().events``, for the debrief figures; default).  False:
        only the metrics' running values and a bounded timeline are kept, so scoring a
        million-action stream takes constant memory (the assessor's mode, issue 18).
    """

    def __init__(self, context: ScoringContext, metrics=None, keep_events: bool = True):
        self.context = context
        self.keep_events = bool(keep_events)
        # the bipedicular-only metrics (target table: approach = "bipedicular") are left out of a
        # unipedicular report, so its rows and score are exactly those from before they existed
        specs = context.targets.specs
        self.metrics: list[Metric] = [
            cls() for cls in (metrics or BUILTIN_METRICS)
            if context.bipedicular or cls.id not in specs or specs[cls.id].params.get("approach") != "bipedicular"]
        self.reset()

    def reset(self) -> None:
        self.state = StreamState()
        self.events: list[Event] = []
        self._timeline = TimelineMerger()
        for m in self.metrics:
            m.reset(self.context)

    def feed(self, event) -> None:
        """One event: update the running state, then every metric."""
        ev = as_event(event)
        d = ev.data
        if ev.kind == "trocar_moved" and d.get("tip_mm") is None and d.get("removed"):
            self.state.prev_tip_mm = None
            self.state.tip_mm = None
            self.state.tissue = "outside"
        else:
            self.state.update(ev.kind, ev.t_s, d)
        for m in self.metrics:
            m.update(ev, self.state)
        if self.keep_events:
            self.events.append(ev)
        entry = timeline_entry(ev.kind, ev.t_s, d)
        if entry is not None:
            self._timeline.add(entry)

    def feed_all(self, events) -> Scorer:
        for ev in events:
            self.feed(ev)
        return self

    def use_final_context(self, context: ScoringContext) -> Scorer:
        """Score the events fed so far in ``context``: the same procedure's context completed at its end.

        A streaming scorer starts with the context known before the first action (anatomy,
        targets, expected answers) and gets, once the procedure is over, the one with its
        final cement and leaks.  Metrics read those final values only in ``result()``, so the
        report equals that of scoring every event in the final context from the start.

        Raises
        ------
        ValueError
            If ``context`` is of another scenario or changes which metrics apply.
        """
        old = self.context
        if (context.scenario_sha256 != old.scenario_sha256 or context.bipedicular != old.bipedicular
                or context.patient_roll_deg != old.patient_roll_deg
                or context.vertebra_rotation_deg != old.vertebra_rotation_deg):
            raise ValueError("the final context must be of the same procedure as the one scored so far")
        self.context = context
        for m in self.metrics:
            m.use_context(context)
        return self

    def _metric(self, metric_id: str, kind: type[M]) -> M:
        m = next(m for m in self.metrics if m.id == metric_id)
        if not isinstance(m, kind):
            raise TypeError(f"metric {metric_id!r} is a {type(m).__name__}, not a {kind.__name__}")
        return m

    def report(self) -> ScoreReport:
        """The report for the events so far (call at any time; deterministic)."""
        ctx = self.context
        results = [m.result() for m in self.metrics]
        applicable = [r for r in results if r.status != "n/a"]
        total_w = sum(r.weight for r in applicable)
        score = 0.0 if total_w <= 0 else 100.0 * sum(r.weight * STATUS_CREDIT[r.status]
                                                      for r in applicable) / total_w
        majors = major_errors(results, ctx.targets.specs)
        score = max(0.0, score - ctx.targets.major_error_points * len(majors))
        broken = broken_rules(results)
        critical = [critical_error_line(rule.text_for(r), r.detail, rule.source) for rule, r in broken]
        critical += [critical_error_line(r.name, r.detail, r.source) for r in results
                     if r.critical_failed and r.id not in RULE_BY_METRIC]
        # an unfinished procedure is never passed (the score is progress only)
        passed = not critical and score >= ctx.targets.pass_score - 1e-9 and self.state.finished
        radiation = self._metric("exposures", Exposures).totals()
        tipm = self._metric("tip_depth", TipDepth)
        tip: dict[str, object] = {"depth_fraction": None, "tip_mm": None, "midline_offset_mm": None,
                                  "measured_at": None, "final_depth_fraction": None, "final_tip_mm": None,
                                  "withdrawn": None}
        if tipm.tip is not None:
            lm = ctx.landmarks
            # where the tip last was in the patient: a trocar pulled back after the first injection
            # (and then taken out) is not still where the tip metrics grade it
            last = next((np.asarray(e.data["tip_mm"], float) for e in reversed(self.events)
                         if e.kind in ("trocar_moved", "trocar_placed") and e.data.get("tip_mm") is not None),
                        tipm.tip)
            tip = {"depth_fraction": lm.depth_fraction(float(tipm.tip[1])),
                   "tip_mm": [round(float(v), 3) for v in tipm.tip],
                   "midline_offset_mm": abs(float(tipm.tip[0]) - float(lm.body_centre_mm[0])),
                   "measured_at": tipm.at,
                   "final_depth_fraction": lm.depth_fraction(float(last[1])),
                   "final_tip_mm": [round(float(v), 3) for v in last],
                   "withdrawn": self.state.tip_mm is None}
        leak_metric = self._metric("leak_other", LeakOther)
        leaks = collect_leaks(leak_metric.leaks, ctx.final_leaks)
        for lk in leaks:
            lk["seen_on"] = sorted(leak_metric.seen.get((lk["type"], lk.get("region", "")), ()))
        fill = next((r for r in results if r.id == "fill_fraction"), None)
        fill_spec = ctx.targets.specs.get("fill_fraction")
        cement = {"injected_ml": self.state.injected_ml, "in_body_ml": self.state.in_body_ml,
                  "leaked_ml": self.state.leaked_ml, "body_volume_ml": ctx.body_volume_ml,
                  "fill_percent": None if fill is None else fill.value,
                  "fill_status": None if fill is None else fill.status,
                  "fill_pass_percent": None if fill_spec is None else list(fill_spec.pass_band)}
        return ScoreReport(
            passed=passed, score=score, critical_errors=critical, metrics=results,
            failed_rules=[{"rule": rule.id, "text": rule.text_for(r), "metric": r.id, "detail": r.detail,
                           "source": rule.source} for rule, r in broken],
            major_errors=majors, major_error_points=ctx.targets.major_error_points,
            cement_injected_ml=self.state.injected_ml, cement=cement, leaks=leaks, radiation=radiation, tip=tip,
            global_rating=global_rating(results), total_time_s=self.state.t_s, pass_score=ctx.targets.pass_score,
            scenario_id=ctx.scenario_id, scenario_sha256=ctx.scenario_sha256,
            timeline=self._timeline.lines(), events=list(self.events), finished=self.state.finished)


def score_events(events, context: ScoringContext) -> ScoreReport:
    """Score a list of events (Event objects or their JSON dicts) in ``context``."""
    return Scorer(context).feed_all(events).report()


def _cement_points_mm(procedure) -> np.ndarray | None:
    cem = getattr(procedure, "cement", None)
    if cem is None or float(getattr(cem, "injected_ml", 0.0)) <= 0:
        return None
    dep = cem.deposit()
    if dep is None:
        return None
    ijk = np.asarray(dep.ijk)
    if ijk.size == 0:
        return np.zeros((0, 3))
    frac = np.asarray(dep.fraction, float)
    kji = ijk[frac >= 0.5] if frac.shape[0] == ijk.shape[0] else ijk
    return procedure.patient.volume.grid.index_to_mm(kji)


def _final_leaks(procedure) -> list | None:
    cem = getattr(procedure, "cement", None)
    if cem is None:
        return None
    return [{"type": lk.type, "region": lk.region, "volume_ml": float(lk.volume_ml),
             "first_t_s": float(lk.first_t_s), "pe_risk": bool(lk.pe_risk)} for lk in cem.leaks]


def context_for_procedure(procedure) -> ScoringContext:
    """The scoring context of a procedure (scenario, patient, final cement and leaks)."""
    cem = getattr(procedure, "cement", None)
    return build_context(procedure.scenario, patient=procedure.patient,
                         cement_points_mm=_cement_points_mm(procedure), final_leaks=_final_leaks(procedure),
                         neural_cement_ml=neural_cement_ml(cem, procedure.patient),
                         canal_wall_temperature_c=canal_wall_temperature_c(cem),
                         body_ml=None if cem is None else cem.domain.body_volume_ml)


def score(procedure) -> ScoreReport:
    """Score a :class:`~trainer.core.procedure.machine.Procedure` (live or replayed).

    Parameters
    ----------
    procedure : Procedure
        Needs ``.events``, ``.scenario``, ``.patient`` and ``.cement``.

    Returns
    -------
    ScoreReport
    """
    return score_events(procedure.events, context_for_procedure(procedure))

