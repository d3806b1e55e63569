"""The score report: outcome, metrics, summaries, the OSATS-style rating and the timeline."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from trainer.core.scoring.metric import NOT_TREATED_PREFIX, STATUS_CREDIT, MetricResult, with_unit

__all__ = ["ScoreReport", "global_rating", "OSATS_DOMAINS", "RATING_LABEL", "TimelineEntry", "timeline_entry",
           "TimelineMerger", "merge_timeline", "MAX_TIMELINE_LINES", "critical_error_line"]

RATING_LABEL = ("modelled on OSATS domains; not validated for vertebroplasty "
                "(FACTS.md 7: no validated vertebroplasty rating scale was found)")

#: OSATS-like domains (FACTS.md 7) -> the metrics that inform them.
OSATS_DOMAINS = {
    "respect for tissue": ("medial_wall_rule", "canal_foramen_breach", "breach_grade", "anterior_cortex",
                           "leak_canal_foramen", "leak_other"),
    "instrument handling": ("entry_point", "redirections", "instrument_movements", "progress_per_shot",
                            "tip_depth", "tip_endplates", "tip_midline", "tip_hemibody"),
    "flow of procedure": ("total_time", "exposures", "fluoro_time", "pulses", "air_kerma", "dap"),
    "knowledge of procedure": ("candidacy", "checklist_gates", "ap_orbital_error", "ap_tilt_error",
                               "lateral_orbital_error", "cement_phase", "stop_rule", "ap_checks",
                               "lateral_checks", "cement_volume", "fill_fraction", "cement_spread",
                               "canal_wall_temperature", "cement_share"),
}


def global_rating(metrics: list[MetricResult]) -> dict:
    """1-5 rating per OSATS-like domain and overall: 1 + 4 x the mean credit of the domain's
    applicable metrics (pass 1, warn 0.5, fail 0).  Not validated (see :data:`RATING_LABEL`)."""
    by_id = {m.id: m for m in metrics}
    domains = {}
    for name, ids in OSATS_DOMAINS.items():
        credits = [STATUS_CREDIT[by_id[i].status] for i in ids if i in by_id and by_id[i].status != "n/a"]
        domains[name] = None if not credits else round(1.0 + 4.0 * sum(credits) / len(credits), 1)
    vals = [v for v in domains.values() if v is not None]
    overall = round(sum(vals) / len(vals), 1) if vals else None
    return {"overall": overall, "domains": domains, "label": RATING_LABEL}


def critical_error_line(text: str, detail: str, source: str) -> str:
    """One critical error as the report lists it, ``"<rule>: <detail> (source: <source>)"``: the one home of the
    line, so the debrief can leave out of its list the rule its headline already says (round 26)."""
    return f"{text}: {detail} (source: {source})"


def tip_words(tip: dict) -> str | None:
    """The tip line of a report's ``tip`` (:attr:`ScoreReport.tip`), or None without a trocar.

    Parameters
    ----------
    tip : dict
        ``depth_fraction`` and ``measured_at`` (the graded tip), ``final_depth_fraction`` (the tip's last
        position in the patient, fraction of the body depth: 0 posterior wall, 1 anterior wall) and
        ``withdrawn`` (the trocar is out at the end).

    Returns
    -------
    str or None
        E.g. "0.75 of the body depth at the first injection (0 posterior wall, 1 anterior wall, lateral
        view); last in the patient at 0.20, then withdrawn": the graded tip, and where the tip went after it
        when that is 0.01 of the depth or more away (a trocar pulled back after injecting).
    """
    df = tip.get("depth_fraction")
    if df is None:
        return None
    text = (f"{float(df):.2f} of the body depth at the {tip.get('measured_at') or 'end of access'} "
            "(0 posterior wall, 1 anterior wall, lateral view)")
    last = tip.get("final_depth_fraction")
    out = ", then withdrawn" if tip.get("withdrawn") else ""
    if last is not None and abs(float(last) - float(df)) >= 0.01:
        where = "last in the patient" if tip.get("withdrawn") else "final tip"
        return f"{text}; {where} at {float(last):.2f}{out}"
    return f"{text}; then withdrawn" if out else text


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the debrief timeline (consecutive similar steps merged)."""

    t_s: float
    kind: str      #: 'decision', 'carm', 'shot', 'trocar', 'wall', 'cement', 'leak', 'refused', 'finish', 'note'
    text: str
    verb: str = ""         #: mergeable steps: 'advance', 'withdraw', 'inject'
    amount: float = 0.0    #: mm or mL of a mergeable step
    tail: str = ""         #: what follows the amount (tissue reached, phase and total)

    def to_json(self) -> dict:
        return {"t_s": round(self.t_s, 1), "kind": self.kind, "text": self.text}


def timeline_entry(kind: str, t_s: float, d: dict) -> TimelineEntry | None:
    """The timeline line for one event, or None for events the timeline leaves out."""
    if kind == "decision":
        return TimelineEntry(t_s, "decision", f"{d.get('item')}: {d.get('answer')}")
    if kind == "shot":
        return TimelineEntry(t_s, "shot", f"shot {d.get('index')} {str(d.get('view', '')).upper()}")
    if kind == "trocar_placed":
        return TimelineEntry(t_s, "trocar", f"trocar placed, {d.get('side')} side, {d.get('gauge')} G")
    if kind == "trocar_moved":
        delta = float(d.get("delta_mm") or 0.0)
        verb = "advance" if delta >= 0 else "withdraw"
        tail = f" -> {d.get('tissue')}"
        return TimelineEntry(t_s, "trocar", f"{verb} {abs(delta):.1f} mm{tail}", verb, abs(delta), tail)
    if kind == "trocar_aimed":
        extra = " (redirection)" if d.get("redirection") else ""
        return TimelineEntry(t_s, "trocar", f"aim changed {float(d.get('change_deg') or 0):.1f} deg{extra}")
    if kind == "wall_crossed":
        g = d.get("grade")
        grade = f", grade {g}" if g else ""
        way = "into" if d.get("inward") else "out of"
        return TimelineEntry(t_s, "wall", f"{d.get('wall')} crossed {way} {d.get('tissue_to')}{grade}")
    if kind == "cement_mixed":
        return TimelineEntry(t_s, "cement", f"cement mixed ({d.get('product')})")
    if kind == "cement_injected":
        ml = float(d.get("ml") or 0)
        tail = f" ({d.get('phase')}), total {float(d.get('injected_ml') or 0):.2f} mL"
        return TimelineEntry(t_s, "cement", f"inject {ml:.2f} mL{tail}", "inject", ml, tail)
    if kind == "leak":
        return TimelineEntry(t_s, "leak", f"LEAK {d.get('type')} ({d.get('region')})")
    if kind == "refused":
        return TimelineEntry(t_s, "refused", f"refused: {d.get('reason')}")
    if kind == "finished":
        return TimelineEntry(t_s, "finish", "finished")
    return None


#: Most timeline lines a report lists (a real procedure has a few dozen); later lines are
#: counted in one closing line, so a million-action session keeps a bounded timeline.
MAX_TIMELINE_LINES = 5000


class TimelineMerger:
    """Builds the merged timeline one entry at a time (memory bounded by :data:`MAX_TIMELINE_LINES`).

    Runs of advances or injections become one line each (the first time kept); the lines
    are exactly those of merging the whole list at once.

    Parameters
    ----------
    max_lines : int, optional
        Lines kept (default :data:`MAX_TIMELINE_LINES`); the entries after them are only counted.
    """

    def __init__(self, max_lines: int | None = None):
        self.max_lines = int(MAX_TIMELINE_LINES if max_lines is None else max_lines)
        self._out: list[TimelineEntry] = []
        self._first: TimelineEntry | None = None      # the open run of mergeable steps
        self._last: TimelineEntry | None = None
        self._n = 0
        self._total = 0.0
        self.omitted = 0
        self._last_t_s = 0.0

    def _emit(self, e: TimelineEntry) -> None:
        if len(self._out) < self.max_lines:
            self._out.append(e)
        else:
            self.omitted += 1
            self._last_t_s = e.t_s

    def _run_entry(self) -> TimelineEntry | None:
        first, last = self._first, self._last
        if first is None or last is None:
            return None
        if self._n == 1:
            return first
        unit = "mL" if first.verb == "inject" else "mm"
        nd = 2 if unit == "mL" else 1
        return TimelineEntry(first.t_s, first.kind, f"{first.verb} {self._total:.{nd}f} {unit} in {self._n} steps"
                             f"{last.tail}", first.verb, self._total, last.tail)

    def _flush(self) -> None:
        e = self._run_entry()
        if e is not None:
            self._emit(e)
        self._first = self._last = None
        self._n = 0
        self._total = 0

    def add(self, e: TimelineEntry) -> None:
        """One more entry, in time order."""
        if e.verb and self._first is not None and self._first.verb == e.verb:
            self._last = e
            self._n += 1
            self._total += e.amount
            return
        self._flush()
        if e.verb:
            self._first = self._last = e
            self._n = 1
            self._total = 0 + e.amount
        else:
            self._emit(e)

    def lines(self) -> list[TimelineEntry]:
        """The merged timeline so far (the open run included; callable at any time)."""
        out = list(self._out)
        omitted, last_t = self.omitted, self._last_t_s
        run = self._run_entry()
        if run is not None:
            if len(out) < self.max_lines:
                out.append(run)
            else:
                omitted, last_t = omitted + 1, run.t_s
        if omitted:
            out.append(TimelineEntry(last_t, "note", f"... {omitted} later line(s) not listed (the timeline lists "
                                                    f"at most {self.max_lines} lines)"))
        return out


def merge_timeline(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Merge runs of advances or injections into one line each (keeps the first time)."""
    m = TimelineMerger()
    for e in entries:
        m.add(e)
    return m.lines()


@dataclass(frozen=True)
class ScoreReport:
    """The outcome of one procedure.

    Attributes
    ----------
    passed : bool
        Finished, no broken rule (no critical error) and ``score >= pass_score``.
    finished : bool
        The procedure reached ``finish``; an unfinished one is never passed.
    score : float
        0-100: the weighted mean of metric credits over the applicable metrics, less
        ``major_error_points`` for each major error (floored at 0).
    major_errors : list of dict
        The major errors (:func:`trainer.core.scoring.policy.major_errors`): ``metric``, ``group``,
        ``name``, ``detail``; at most one per score-sheet group.
    major_error_points : float
        Points taken off per major error.
    critical_errors : list of str
        What went critically wrong and why (the broken policy rules first, in policy order).
    failed_rules : list of dict
        The broken rules of :mod:`trainer.core.scoring.policy` (``rule``, ``text``, ``metric``,
        ``detail``, ``source``), in the order the debrief names them.
    metrics : list of MetricResult
    cement_injected_ml : float
    cement : dict
        The fill read-out: ``injected_ml``, ``in_body_ml``, ``leaked_ml`` (mL), ``body_volume_ml``
        (mL: the scoring context's body, the one the fill fraction divides by), ``fill_percent``
        and ``fill_status`` (the ``fill_fraction`` metric's value, % of the body, and status; None
        without cement), ``fill_pass_percent`` (its pass band, %; FACTS.md 3.1: 15-30 %).
    leaks : list of dict
        ``type``, ``region``, ``volume_ml``, ``pe_risk``, ``seen_on`` (views of the shots that showed it).
    radiation : dict
        ``exposures`` (pedal presses or single shots), ``shots`` (shot actions, held-run continuations
        included), ``pulses``, ``fluoro_s``, ``dap_gycm2``, ``entrance_kerma_mgy``.
    tip : dict
        ``depth_fraction`` (0 posterior wall, 1 anterior wall; None without a trocar),
        ``tip_mm``, ``midline_offset_mm``, ``measured_at`` (the tip the tip metrics grade: at the first
        injection, else at the end of access); ``final_depth_fraction`` and ``final_tip_mm``: the tip's last
        position in the patient (a trocar pulled back after injecting); ``withdrawn``: the trocar is out at
        the end.
    global_rating : dict
    total_time_s : float
    pass_score : float
    scenario_id, scenario_sha256 : str
    timeline : list of TimelineEntry
    events : list of Event
        The events that were scored (for the debrief figures).
    """

    passed: bool
    score: float
    critical_errors: list
    metrics: list
    cement_injected_ml: float
    leaks: list
    radiation: dict
    tip: dict
    global_rating: dict
    total_time_s: float
    pass_score: float
    scenario_id: str = ""
    scenario_sha256: str = ""
    timeline: list = field(default_factory=list)
    events: list = field(default_factory=list, repr=False)
    failed_rules: list = field(default_factory=list)
    finished: bool = True
    major_errors: list = field(default_factory=list)
    major_error_points: float = 0.0
    cement: dict = field(default_factory=dict)

    def metric(self, metric_id: str) -> MetricResult:
        """The result of one metric by id (KeyError if unknown)."""
        for m in self.metrics:
            if m.id == metric_id:
                return m
        raise KeyError(metric_id)

    def failed_metrics(self) -> list[str]:
        return [m.id for m in self.metrics if m.status == "fail"]

    def to_json(self) -> dict:
        """Plain JSON (the ``assess --json`` output)."""
        return {
            "passed": self.passed,
            "finished": self.finished,
            "score": round(self.score, 2),
            "pass_score": self.pass_score,
            "critical_errors": list(self.critical_errors),
            "failed_rules": [dict(r) for r in self.failed_rules],
            "major_errors": [dict(m) for m in self.major_errors],
            "major_error_points": self.major_error_points,
            "metrics": [m.to_json() for m in self.metrics],
            "cement_injected_ml": round(self.cement_injected_ml, 4),
            "cement": {k: (round(float(v), 4) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
                       for k, v in self.cement.items()},
            "leaks": [{"type": lk["type"], "region": lk.get("region", ""), "volume_ml": round(lk["volume_ml"], 4),
                       "pe_risk": bool(lk.get("pe_risk", False)), "seen_on": list(lk.get("seen_on", []))}
                      for lk in self.leaks],
            "radiation": {k: (round(v, 6) if isinstance(v, float) else v) for k, v in self.radiation.items()},
            "tip": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.tip.items()},
            "global_rating": self.global_rating,
            "total_time_s": round(self.total_time_s, 3),
            "scenario": {"id": self.scenario_id, "sha256": self.scenario_sha256},
            "timeline": [e.to_json() for e in self.timeline],
        }

    def to_text(self) -> str:
        """A short plain-text summary (the default ``assess`` output)."""
        lines = [self.headline()]
        lines.append(f"  score {self.score:.1f}/100 (to pass: no broken rule and at least {self.pass_score:g} points; "
                     f"{len(self.critical_errors)} critical error(s))")
        if self.cement:
            lines.append("  " + self.cement_line())
        for c in self.critical_errors:
            lines.append(f"  CRITICAL: {c}")
        for m in self.major_errors:
            lines.append(f"  MAJOR (-{self.major_error_points:g} points): {m['name']}: {m['detail']}")
        for m in self.metrics:
            v = m.value
            vs = with_unit("-" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v), m.unit)
            lines.append(f"  [{m.status:4}] {m.name}: {vs.strip()}  (target: {m.target})")
            if m.status == "n/a" and m.detail and not m.detail.startswith(NOT_TREATED_PREFIX):
                lines.append(f"         {m.detail}")        # why a metric of a done procedure has no value
        return "\n".join(lines)

    def cement_line(self) -> str:
        """One line on the cement and the fill, e.g. ``cement: 3.50 mL injected (3.24 mL in the body,
        0.26 mL leaked); body 20.3 mL; fill 15.9 % of the body (target 15-30 %): pass``."""
        c = self.cement
        band = c.get("fill_pass_percent")
        band_txt = f"{band[0]:g}-{band[1]:g} %" if band else ""
        body = c.get("body_volume_ml")
        body_txt = "body volume unknown" if body is None else f"body {float(body):.1f} mL"
        if float(c.get("injected_ml") or 0.0) <= 0:
            return f"cement: none injected; {body_txt}" + (f" (fill target {band_txt})" if band_txt else "")
        fill = c.get("fill_percent")
        fill_txt = "fill not measured" if fill is None else (
            f"fill {float(fill):.1f} % of the body" + (f" (target {band_txt})" if band_txt else "")
            + f": {c.get('fill_status')}")
        return (f"cement: {float(c['injected_ml']):.2f} mL injected ({float(c.get('in_body_ml') or 0.0):.2f} mL in "
                f"the body, {float(c.get('leaked_ml') or 0.0):.2f} mL leaked); {body_txt}; {fill_txt}")

    def headline(self) -> str:
        """One line: PASSED, or FAILED naming the first broken rule (or the score when no rule broke)."""
        if self.passed:
            return f"PASSED  score {self.score:.1f}/100"
        first_rule = ""
        if self.failed_rules:
            more = f" (+{len(self.failed_rules) - 1} more rule(s) broken)" if len(self.failed_rules) > 1 else ""
            first_rule = f"{self.failed_rules[0]['text']}{more}"
        if not self.finished:       # the first broken rule still named: the batch CSV's and the debrief's
            return ("UNFINISHED: the procedure was not finished; it is not passed (the score is progress only)"
                    + (f"; first broken rule: {first_rule}" if first_rule else ""))
        if first_rule:
            return f"FAILED: {first_rule}"
        if self.critical_errors:
            return f"FAILED: {self.critical_errors[0]}"
        return f"FAILED: score {self.score:.1f} below the pass mark {self.pass_score:g}"

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False)
