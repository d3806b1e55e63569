"""Per-trainee progress and the cohort table, from the attempts in the trainee store.

A trainee's outcome sequence is their attempts in order of start time; an attempt is a
success when it passed.  A *scenario family* is the vertebral level that starts the
scenario id (``l1-wedge-default`` -> ``l1``), so the charts pool the cases of one level; an id that
starts with no level (``ct-l2``) is in no family.
The trend of a metric is the least-squares slope of its numeric values against the
attempt number (units per attempt); non-numeric values (decisions) are left out, and so are the values of an
unfinished attempt (a session without an accepted finish: its score is progress only, and its DAP or cement volume
is that of a procedure stopped half-way), which are counted and named apart (``unfinished_attempts``).
"""

from __future__ import annotations

import csv
import io
from collections import OrderedDict
from collections.abc import Callable

from trainer.core.anatomy.params import LEVELS
from trainer.core.csv_cells import safe_row
from trainer.core.records.cusum import PRESETS, CusumParams, lc_cusum, standard_cusum
from trainer.core.records.store import AttemptRecord
from trainer.core.session.notes import notes_from_report, notes_kept

__all__ = [
    "COHORT_COLUMNS",
    "cohort_csv",
    "cohort_rows",
    "metric_value",
    "scenario_family",
    "slope_per_attempt",
    "trainee_progress",
    "unfinished_words",
]

COHORT_COLUMNS = ("trainee", "attempts", "passed", "pass_rate", "last_score", "score_trend_per_attempt",
                  "cusum_state", "cusum_value", "lc_cusum_state", "competent_at", "first_attempt", "last_attempt",
                  "cases", "unfinished", "attempts_with_notes", "attempts_notes_not_kept", "unfinished_attempts")
#: ``last_score``: the score of the trainee's last finished attempt (an unfinished one's is progress only; empty
#: when none finished). ``unfinished``: attempts without an accepted finish (counted in ``attempts``, never in
#: ``passed``). ``attempts_with_notes``: attempts whose stored report holds assess's notes (a warning, a note,
#: UNFINISHED); ``attempts_notes_not_kept``: attempts recorded before the store kept them (round 39).  The
#: ``trend_<metric>`` columns after them are over the finished attempts only (round 40), as the score trend;
#: ``unfinished_attempts`` names the ones left out: their numbers in the trainee's attempts, joined by "; ".


def scenario_family(scenario_id: str) -> str:
    """The level prefix of a scenario id (``t12-biconcave`` -> ``t12``, ``l2`` -> ``l2``); '' when the id
    does not start with a vertebral level (an imported case saved under the editor's default name
    ``ct-l2``, or ``patient-017``), which belongs to no family (until round 24 every imported case
    made a "CT (family)" of its own, whatever its level)."""
    head = scenario_id.split("-", 1)[0] if scenario_id else ""
    return head if head.upper() in LEVELS else ""


def _number(v) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    return None


def slope_per_attempt(values) -> float | None:
    """Least-squares slope of ``values`` (None entries skipped) against their 1-based index."""
    pts = [(i + 1.0, float(v)) for i, v in enumerate(values) if v is not None]
    if len(pts) < 2:
        return None
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx


def _metric_series(attempts: list[AttemptRecord]) -> dict:
    """Each metric over the finished attempts: ``values`` and ``statuses`` per attempt (None for an unfinished one,
    as the scores), their ``slope_per_attempt`` against the attempt number, the ``last`` finished value and
    ``finished_values`` (how many values the trend is over).  Until round 40 an unfinished attempt's values were
    drawn and trended with the finished ones (a session stopped before its cement read as a DAP and volume
    improving)."""
    ids: OrderedDict[str, str] = OrderedDict()
    for a in attempts:
        for m in a.metrics:
            ids.setdefault(m["id"], m.get("unit", ""))
    out = {}
    for mid, unit in ids.items():
        vals, statuses = [], []
        for a in attempts:
            m = a.metric(mid) if a.complete else None
            vals.append(_number(m["value"]) if m else None)
            statuses.append(m["status"] if m else None)
        slope = slope_per_attempt(vals)
        last = next((v for v in reversed(vals) if v is not None), None)
        out[mid] = {"unit": unit, "values": vals, "statuses": statuses,
                    "slope_per_attempt": None if slope is None else round(slope, 6), "last": last,
                    "finished_values": sum(v is not None for v in vals)}
    return out


def metric_value(attempt: AttemptRecord, metric_id: str) -> float | None:
    """The numeric value of metric ``metric_id`` that ``attempt`` stored, finished or not (the per-attempt CSV
    says it beside the attempt's ``finished`` flag); None for a decision or a metric it does not hold."""
    m = attempt.metric(metric_id)
    return _number(m["value"]) if m else None


def unfinished_words(unfinished_attempts: list[int]) -> str:
    """The unfinished attempts named for a line of text: "" for none, "attempt 2", "attempts 2, 5"."""
    if not unfinished_attempts:
        return ""
    many = len(unfinished_attempts) > 1
    return f"attempt{'s' if many else ''} {', '.join(str(n) for n in unfinished_attempts)}"


def trainee_progress(attempts: list[AttemptRecord], params: CusumParams = PRESETS["10/20 %"],
                     lc_h: float | None = None) -> dict:
    """Progress of one trainee from their attempts (already in order).

    Returns
    -------
    dict
        ``trainee``, ``attempts``, ``passed``, ``pass_rate``, ``scores`` (None for an unfinished attempt: its
        score is progress only), ``finished`` (per attempt), ``unfinished`` (their number), ``dates``,
        ``unfinished_attempts`` (their 1-based numbers), ``cusum`` and ``lc_cusum`` (:meth:`CusumChart.to_json`),
        ``families`` (the same per scenario family), ``metrics`` (values, statuses, slope per attempt, last value,
        all over the finished attempts: :func:`_metric_series`).
    """
    outcomes = [a.passed for a in attempts]
    n = len(attempts)
    fams: OrderedDict[str, list] = OrderedDict()
    for a in attempts:
        family = scenario_family(a.scenario_id)
        if family:
            fams.setdefault(family, []).append(a)
    # an unfinished attempt's score is progress only (assess: "not passed, the score below is progress only"): it is
    # a failure on the charts, and no score to draw or trend (until round 39 a batch's unfinished 99 was drawn red
    # among the finished scores and counted in the trend)
    scores = [a.score if a.complete else None for a in attempts]
    trend = slope_per_attempt(scores)
    return {
        "trainee": attempts[0].trainee if attempts else "",
        "attempts": n,
        "passed": sum(outcomes),
        "pass_rate": round(sum(outcomes) / n, 4) if n else None,
        "scores": scores,
        "finished": [bool(a.complete) for a in attempts],
        "unfinished": sum(not a.complete for a in attempts),
        "unfinished_attempts": [i + 1 for i, a in enumerate(attempts) if not a.complete],
        "score_trend_per_attempt": None if trend is None else round(trend, 6),
        "dates": [a.started_at for a in attempts],
        "scenarios": [a.scenario_id for a in attempts],
        "attempt_ids": [a.id for a in attempts],
        "cusum": standard_cusum(outcomes, params).to_json(),
        "lc_cusum": lc_cusum(outcomes, params, lc_h).to_json(),
        "families": {f: {"attempts": len(v), "pass_rate": round(sum(a.passed for a in v) / len(v), 4),
                         "cusum": standard_cusum([a.passed for a in v], params).to_json(),
                         "lc_cusum": lc_cusum([a.passed for a in v], params, lc_h).to_json()}
                     for f, v in fams.items()},
        "metrics": _metric_series(attempts),
    }


def cohort_rows(attempts: list[AttemptRecord], params: CusumParams = PRESETS["10/20 %"],
                lc_h: float | None = None, case_label: Callable[[AttemptRecord], str] | None = None) -> list[dict]:
    """One row per trainee (columns :data:`COHORT_COLUMNS`), trainees in name order.

    Parameters
    ----------
    attempts : list of AttemptRecord
        The attempts, in order of start time, with their reports (``store.attempts(with_report=True)``: the
        notes counts read them; an attempt without its report counts as recorded before the notes were kept).
    params : CusumParams
        Acceptable and unacceptable failure rates and error probabilities.
    lc_h : float, optional
        LC-CUSUM decision limit (default: ``params.h1``).
    case_label : callable, optional
        ``case_label(attempt)``: the attempt's case in one line (e.g. a
        :meth:`~trainer.core.records.case_label.SessionCase.label`); default the scenario id.  The row's
        ``cases`` holds the trainee's distinct cases, sorted, joined by "; " (until round 24 the cohort
        CSV did not say which cases a row was on, and two copies of "ct-l2" were one).
    """
    label = case_label or (lambda a: a.scenario_id)
    by: dict[str, list] = {}
    for a in attempts:
        by.setdefault(a.trainee, []).append(a)
    rows = []
    for name in sorted(by):
        atts = by[name]
        p = trainee_progress(atts, params, lc_h)
        rows.append({"trainee": name, "attempts": p["attempts"], "passed": p["passed"], "pass_rate": p["pass_rate"],
                     "last_score": next((a.score for a in reversed(atts) if a.complete), None),
                     "score_trend_per_attempt": p["score_trend_per_attempt"],
                     "cusum_state": p["cusum"]["state"],
                     "cusum_value": p["cusum"]["values"][-1] if p["cusum"]["values"] else 0.0,
                     "lc_cusum_state": p["lc_cusum"]["state"], "competent_at": p["lc_cusum"]["competent_at"],
                     "first_attempt": atts[0].started_at, "last_attempt": atts[-1].started_at,
                     "cases": "; ".join(sorted({label(a) for a in atts})),
                     "unfinished": p["unfinished"], "unfinished_attempts": p["unfinished_attempts"],
                     "attempts_with_notes": sum(bool(notes_from_report(a.report)) for a in atts),
                     "attempts_notes_not_kept": sum(not notes_kept(a.report) for a in atts),
                     "metric_trends": {k: v["slope_per_attempt"] for k, v in p["metrics"].items()}})
    return rows


def _csv_value(v):
    """A cohort cell: "" for None, a list's items joined by "; " (the unfinished attempts' numbers)."""
    if v is None:
        return ""
    return "; ".join(str(x) for x in v) if isinstance(v, list) else v


def cohort_csv(rows: list[dict], metric_ids: list[str] | None = None) -> str:
    """The cohort table as CSV text: :data:`COHORT_COLUMNS`, then one trend column per metric."""
    if metric_ids is None:
        metric_ids = []
        for r in rows:
            for k in r.get("metric_trends", {}):
                if k not in metric_ids:
                    metric_ids.append(k)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*COHORT_COLUMNS, *(f"trend_{m}" for m in metric_ids)])
    for r in rows:
        trends = r.get("metric_trends", {})
        w.writerow(safe_row([_csv_value(r[c]) for c in COHORT_COLUMNS]
                            + [("" if trends.get(m) is None else trends[m]) for m in metric_ids]))
    return buf.getvalue()
