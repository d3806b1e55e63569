"""xAPI 1.0.3 statements of finished attempts: the vptrainer profile (docs/progress.md).

Each finished attempt gives two statements that share ``context.registration`` (the
attempt's uuid, derived from the session file's SHA-256):

* ``completed`` (ADL verb) with the result's completion and duration;
* ``passed`` or ``failed`` (ADL verbs) with the scaled and raw score, success and the
  vptrainer result extensions (tip zone, breach grade, cement mL, leak types, dose,
  CUSUM state, every metric).

The object is the scenario as an activity of type ``simulation`` (the MedBiquitous
simulator profile's activity type, FACTS.md 8); its id is
``https://vptrainer.org/xapi/scenarios/<scenario id>``.  Statement ids are uuid5 of the
attempt uuid and the verb, so sending a statement twice can never make two: the LRS
recognises the id.  Statements are built once, when the attempt is first recorded, and
wait in the store's outbox until :mod:`trainer.core.records.lrs` delivers them.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from trainer.core.scoring.tip_zone import TARGET_DEPTH

__all__ = ["PROFILE", "VERBS", "ACTIVITY_TYPE", "EXT", "actor_for", "statement_id", "statements_for",
           "attempt_fields_from_statement", "tip_zone"]

PROFILE = "https://vptrainer.org/xapi/profile"
ACTIVITY_BASE = "https://vptrainer.org/xapi/scenarios/"
ACTIVITY_TYPE = "http://adlnet.gov/expapi/activities/simulation"
VERBS = {
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
}
_EXT = "https://vptrainer.org/xapi/extensions/"
#: result / context extension keys of the profile
EXT = {k: _EXT + k for k in ("tip-zone", "tip-depth-fraction", "breach-grade", "cement-ml", "leak-types",
                            "leak-ml", "dose", "cusum", "metrics", "session-sha256", "scenario-sha256",
                            "seal-status", "software-version", "critical-errors", "started-at")}
DEFAULT_HOME_PAGE = "https://vptrainer.org/trainees"
_NS = uuid.uuid5(uuid.NAMESPACE_URL, PROFILE)


def statement_id(attempt_uuid: str, verb: str) -> str:
    """The id of the ``verb`` statement of an attempt (stable: the same attempt, the same id)."""
    return str(uuid.uuid5(_NS, f"{attempt_uuid}/{verb}"))


def actor_for(trainee: str, home_page: str = DEFAULT_HOME_PAGE) -> dict:
    """The trainee as an xAPI Agent identified by an account on the training site."""
    return {"objectType": "Agent", "name": trainee, "account": {"homePage": home_page, "name": trainee}}


def tip_zone(depth_fraction) -> str:
    """Where the tip ended on the lateral view: 'posterior third', 'middle third', 'anterior third',
    'anterior third (target zone)' (:data:`trainer.core.scoring.tip_zone.TARGET_DEPTH`),
    'beyond the anterior wall' or 'none' (depth fraction 0 = posterior wall, 1 = anterior wall)."""
    if depth_fraction is None:
        return "none"
    d = float(depth_fraction)
    if d > 1.0:
        return "beyond the anterior wall"
    if TARGET_DEPTH[0] <= d <= TARGET_DEPTH[1]:
        return "anterior third (target zone)"
    if d >= 2.0 / 3.0:
        return "anterior third"
    if d >= 1.0 / 3.0:
        return "middle third"
    return "posterior third"


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _metric_value(report: dict, metric_id: str):
    for m in report.get("metrics", []):
        if m.get("id") == metric_id:
            return m.get("value")
    return None


def statements_for(attempt, cusum_state: dict | None = None, home_page: str = DEFAULT_HOME_PAGE) -> list[dict]:
    """The statements of one attempt (:class:`~trainer.core.records.store.AttemptRecord`).

    Parameters
    ----------
    attempt : AttemptRecord
        With its report.
    cusum_state : dict, optional
        ``{'standard': state, 'lc': state, 'value': float, 'attempt_number': int}`` after this attempt.
    home_page : str
        The training site's URL that trainee names belong to.
    """
    report = attempt.report or {}
    try:
        started = datetime.fromisoformat(attempt.started_at.replace("Z", "+00:00"))
        if started.tzinfo is None:
            started = started.replace(tzinfo=timezone.utc)
    except ValueError:
        started = datetime(1970, 1, 1, tzinfo=timezone.utc)
    total_s = float(report.get("total_time_s") or 0.0)
    finished = started + timedelta(seconds=total_s)
    tip = report.get("tip") or {}
    leaks = report.get("leaks") or []
    rad = report.get("radiation") or {}
    breach = _metric_value(report, "breach_grade")
    activity = {"objectType": "Activity", "id": ACTIVITY_BASE + attempt.scenario_id,
                "definition": {"type": ACTIVITY_TYPE, "name": {"en-US": f"vptrainer scenario {attempt.scenario_id}"},
                               "extensions": {EXT["scenario-sha256"]: attempt.scenario_sha256}}}
    context = {"registration": attempt.uuid,
               "platform": "vptrainer",
               "language": "en-US",
               "contextActivities": {"category": [{"objectType": "Activity", "id": PROFILE,
                                                   "definition": {"type": "http://adlnet.gov/expapi/activities/profile"}}]},
               "extensions": {EXT["session-sha256"]: attempt.session_sha256,
                              EXT["seal-status"]: attempt.seal_status,
                              EXT["software-version"]: attempt.software_version,
                              EXT["started-at"]: attempt.started_at}}
    duration = f"PT{total_s:.2f}S"
    score = max(0.0, min(100.0, float(attempt.score)))
    ext = {EXT["tip-zone"]: tip_zone(tip.get("depth_fraction")),
           EXT["tip-depth-fraction"]: tip.get("depth_fraction"),
           EXT["breach-grade"]: breach,
           EXT["cement-ml"]: float(report.get("cement_injected_ml") or 0.0),
           EXT["leak-types"]: sorted({str(lk.get("type")) for lk in leaks}),
           EXT["leak-ml"]: round(sum(float(lk.get("volume_ml") or 0.0) for lk in leaks), 4),
           EXT["dose"]: {k: rad.get(k) for k in ("exposures", "shots", "pulses", "fluoro_s", "dap_gycm2",
                                                 "entrance_kerma_mgy") if k in rad},
           EXT["cusum"]: cusum_state or {},
           EXT["critical-errors"]: list(report.get("critical_errors") or []),
           EXT["metrics"]: [{"id": m["id"], "value": m.get("value"), "unit": m.get("unit", ""),
                             "status": m.get("status")} for m in attempt.metrics]}
    actor = actor_for(attempt.trainee, home_page)
    verdict = "passed" if attempt.passed else "failed"
    completed = {"id": statement_id(attempt.uuid, "completed"), "actor": actor,
                 "verb": {"id": VERBS["completed"], "display": {"en-US": "completed"}},
                 "object": activity, "context": context, "timestamp": _iso(finished), "version": "1.0.3",
                 "result": {"completion": True, "duration": duration}}
    judged = {"id": statement_id(attempt.uuid, verdict), "actor": actor,
              "verb": {"id": VERBS[verdict], "display": {"en-US": verdict}},
              "object": activity, "context": context, "timestamp": _iso(finished), "version": "1.0.3",
              "result": {"score": {"scaled": round(score / 100.0, 4), "raw": round(score, 2), "min": 0, "max": 100},
                         "success": bool(attempt.passed), "completion": True, "duration": duration,
                         "extensions": ext}}
    return [completed, judged]


def attempt_fields_from_statement(st: dict) -> dict | None:
    """The attempt a ``passed``/``failed`` statement of this profile describes, as keyword
    arguments of :class:`~trainer.core.records.store.AttemptRecord` (None for other statements)."""
    verb = (st.get("verb") or {}).get("id")
    if verb not in (VERBS["passed"], VERBS["failed"]):
        return None
    ctx = st.get("context") or {}
    cext = ctx.get("extensions") or {}
    res = st.get("result") or {}
    rext = res.get("extensions") or {}
    obj = st.get("object") or {}
    oid = str(obj.get("id") or "")
    if not oid.startswith(ACTIVITY_BASE) or not cext.get(EXT["session-sha256"]):
        return None
    actor = st.get("actor") or {}
    trainee = (actor.get("account") or {}).get("name") or actor.get("name") or "anonymous"
    score = float((res.get("score") or {}).get("raw") or 0.0)
    dose = rext.get(EXT["dose"]) or {}
    report = {"passed": bool(res.get("success")), "score": score, "critical_errors": rext.get(EXT["critical-errors"], []),
              "metrics": rext.get(EXT["metrics"], []), "cement_injected_ml": rext.get(EXT["cement-ml"], 0.0),
              "leaks": [{"type": t, "volume_ml": None} for t in rext.get(EXT["leak-types"], [])],
              "radiation": dose, "tip": {"depth_fraction": rext.get(EXT["tip-depth-fraction"])},
              "scenario": {"id": oid[len(ACTIVITY_BASE):],
                           "sha256": ((obj.get("definition") or {}).get("extensions") or {}).get(EXT["scenario-sha256"], "")},
              "xapi_statement_id": st.get("id")}
    return {"trainee": trainee, "scenario_id": oid[len(ACTIVITY_BASE):],
            "scenario_sha256": report["scenario"]["sha256"], "started_at": str(cext.get(EXT["started-at"]) or ""),
            "session_path": f"lrs:{st.get('id')}", "session_sha256": str(cext[EXT["session-sha256"]]),
            "seal_status": str(cext.get(EXT["seal-status"]) or "unknown"), "complete": True,
            "passed": bool(res.get("success")), "score": score,
            "software_version": str(cext.get(EXT["software-version"]) or ""),
            "metrics": [m for m in rext.get(EXT["metrics"], []) if isinstance(m, dict) and "id" in m],
            "report": report, "uuid": str(ctx.get("registration") or "")}
