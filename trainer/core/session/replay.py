"""Replaying a recorded session through the procedure (never trusting stored results)."""

from __future__ import annotations

from trainer import __version__
from trainer.core.errors import SessionError, TamperError
from trainer.core.procedure.machine import Procedure
from trainer.core.procedure.shared_parts import SharedParts
from trainer.core.session.reader import SessionRecord

__all__ = ["replay", "procedure_for", "check_ct_series"]


def procedure_for(record: SessionRecord, *, render: bool = True, patient=None, scenario=None,
                  keep_events: bool = True, parts: SharedParts | None = None) -> Procedure:
    """A fresh procedure for a session: its scenario, seed and recorded options (``pixels``).

    ``parts``: the patient, wall model and renderer the sessions of one case share in this process
    (:func:`~trainer.core.procedure.shared_parts.shared_parts`; ``patient`` is then ignored).

    Raises
    ------
    SessionError
        The session recorded a CT series fingerprint and the series read now differs
        (:func:`check_ct_series`)."""
    opts = record.header.get("options") or {}
    scenario = scenario or record.scenario()
    if parts is not None:
        proc = parts.procedure(scenario, record.header["seed"], render=render, pixels=opts.get("pixels"),
                               keep_events=keep_events)
    else:
        proc = Procedure(scenario, seed=record.header["seed"], patient=patient, render=render,
                         pixels=opts.get("pixels"), keep_events=keep_events)
    check_ct_series(record, proc)
    return proc


def check_ct_series(record: SessionRecord, proc: Procedure) -> bool:
    """Whether the CT series the procedure's patient was read from is the one the session recorded.

    True when it is; False when there is nothing to compare (a synthetic patient, or a session
    written before round 9 without ``ct_series`` in its header: it still loads, unchecked).

    Raises
    ------
    SessionError
        One line naming the session file, the series folder and what differs (file count, first
        or last file, SeriesInstanceUID, or the slices' UIDs and pixels by their SHA-256).
    """
    rec = record.header.get("ct_series")
    now = (getattr(proc.patient.volume, "meta", None) or {}).get("ct_series")
    if not isinstance(rec, dict) or not isinstance(now, dict):
        return False
    if rec.get("sha256") == now.get("sha256"):
        return True
    diffs = [f"{label} {now.get(key)!s} (recorded {rec.get(key)!s})"
             for key, label in (("files", "files"), ("first_file", "first file"), ("last_file", "last file"),
                                ("series_uid", "SeriesInstanceUID")) if rec.get(key) != now.get(key)]
    if not diffs:
        diffs = [f"the slices' UIDs or pixels: SHA-256 {str(now.get('sha256'))[:12]}... "
                 f"(recorded {str(rec.get('sha256'))[:12]}...)"]
    ct = getattr(proc.scenario, "ct", None)
    folder = getattr(ct, "folder", None) or "the CT series"
    raise SessionError(f"{record.path}: the CT series {folder} differs from the one the session was recorded on: "
                       f"{'; '.join(diffs)}; restore that series to replay it")


def replay(record: SessionRecord, render: bool = True, patient=None, results: list | None = None,
           scenario=None, *, procedure: Procedure | None = None, on_result=None) -> Procedure:
    """Re-apply every recorded action and return the resulting procedure.

    Parameters
    ----------
    record : SessionRecord
    render : bool
        Render shot images (False is faster; dose and events are the same).
    patient : Patient, optional
        Reuse an already-built patient of the same scenario.
    results : list, optional
        If given, every ActionResult is appended to it.
    scenario : Scenario, optional
        ``record.scenario(...)`` already parsed (e.g. with the assessor's ``ct_root``).
    procedure : Procedure, optional
        A fresh procedure from :func:`procedure_for` to replay into (e.g. one that keeps no
        event history); ``render``, ``patient`` and ``scenario`` are then not used.
    on_result : callable, optional
        Called with every ActionResult as it is produced (a streaming scorer), after the
        check that its acceptance matches the record.

    Raises
    ------
    TamperError
        If an action is accepted on replay but was recorded as refused, or the reverse, or
        if (when rendering a session written by this vptrainer version) a shot's image hash
        differs from the recorded one.
    """
    proc = procedure if procedure is not None else procedure_for(record, render=render, patient=patient,
                                                                 scenario=scenario)
    render = proc.imager.render
    # images are compared only for sessions written by this version (rendering may change
    # between versions; actions, acceptance and the hash chain are what prove integrity)
    same_version = record.header.get("app_version") == __version__
    for i, e in enumerate(record.iter_entries(), 2):
        res = proc.apply(e["action"])
        if results is not None:
            results.append(res)
        if res.accepted != bool(e["accepted"]):
            what = "accepted" if e["accepted"] else "refused"
            raise TamperError(f"{record.path}:{i}: the action was recorded as {what} but replays as "
                              f"{'accepted' if res.accepted else 'refused'}"
                              + (f" ({res.reason})" if res.reason else ""))
        rec_sha = (e.get("summary") or {}).get("image_sha256")
        if render and same_version and res.image is not None and rec_sha and rec_sha != res.image.sha256:
            raise TamperError(f"{record.path}:{i}: shot image differs from the recorded one on replay")
        if on_result is not None:
            on_result(res)
    return proc
