"""Replaying a recorded session through the procedure (never trusting stored results)."""

from __future__ import annotations

from trainer import __version__
from trainer.core.errors import TamperError
from trainer.core.procedure.machine import Procedure
from trainer.core.session.reader import SessionRecord

__all__ = ["replay", "procedure_for"]


def procedure_for(record: SessionRecord, *, render: bool = True, patient=None, scenario=None,
                  keep_events: bool = True) -> Procedure:
    """A fresh procedure for a session: its scenario, seed and recorded options (``pixels``)."""
    opts = record.header.get("options") or {}
    return Procedure(scenario or record.scenario(), seed=record.header["seed"], patient=patient, render=render,
                     pixels=opts.get("pixels"), keep_events=keep_events)


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
