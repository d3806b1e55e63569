"""Verify and score one recorded session: shared by ``assess`` and its batch mode."""

from __future__ import annotations

__all__ = ["assess", "seal_verifier", "seal_verdict", "unfinished_json"]


def assess(path, render: bool = False, ct_root=None, verifier=None, require_seal: bool = False):
    """Read, verify and replay a session; return ``(record, procedure, report, seal)``.

    Two passes over the file, each streamed (memory does not grow with the session's
    length, docs/bad-input.md "Limits"): the first checks the hash chain, the scenario hash
    and the seals of every line; the second replays the actions (re-checking the chain, so a
    file changed in between is caught) and feeds each action's events to a streaming scorer,
    which keeps no event history unless ``render`` (the debrief's figures need them).
    A CT scenario's folder is looked up inside ``ct_root`` (default: the session file's
    folder), never where the header points.

    Parameters
    ----------
    path : str or Path
    render : bool
        Render the shots and keep the events (for the HTML/PDF debrief).
    ct_root : str or Path, optional
    verifier : Sealer, optional
        The key to verify the seals with (:func:`seal_verifier`).
    require_seal : bool
        A session that is not sealed and verified is tampered.

    Raises
    ------
    TamperError
        Broken hash chain, scenario hash mismatch, a broken seal (or none, with
        ``require_seal``), or a replay that disagrees with the record.
    SessionError
        The file cannot be read as a session.
    """
    from trainer.core.scoring import Scorer, context_for_procedure
    from trainer.core.scoring.context import build_context
    from trainer.core.session.reader import read_session
    from trainer.core.session.replay import procedure_for, replay
    from trainer.core.session.seal import SealScan

    scan = SealScan(verifier)
    record = read_session(path, keep_entries=False, on_line=scan.feed)      # pass 1: chain, hashes, seals
    seal = seal_verdict(path, scan.result, require_seal)
    scenario = record.scenario(ct_root=ct_root)
    parts = None
    if getattr(scenario, "ct", None) is None:
        # sessions of one case share their patient (the on-disk cache skips the build), and the
        # sessions assessed in one process its wall model and renderer too
        from trainer.core.anatomy.cache import cached_patient, patient_key
        from trainer.core.procedure.shared_parts import shared_parts

        parts = shared_parts(patient_key(scenario.anatomy), lambda: cached_patient(scenario.anatomy))
    proc = procedure_for(record, render=render, scenario=scenario, keep_events=render, parts=parts)
    # the context known before the first action; the final cement and leaks are added at the end
    scorer = Scorer(build_context(scenario, patient=proc.patient), keep_events=render)
    replay(record, procedure=proc, on_result=lambda res: scorer.feed_all(res.events))   # pass 2
    report = scorer.use_final_context(context_for_procedure(proc)).report()
    return record, proc, report, seal


def seal_verifier(args):
    """The seal verifier from ``--seal-key`` or ``$VPTRAINER_SEAL_KEY`` (None when neither is given)."""
    from trainer.core.session.seal import load_key, sealer_from_env

    key = getattr(args, "seal_key", None)
    return load_key(key) if key else sealer_from_env()


def seal_verdict(path, chk, require: bool = False):
    """``chk`` (a SealCheck), or TamperError for a broken seal (or none, with ``require``)."""
    from trainer.core.errors import TamperError

    if chk.state == "broken":
        raise TamperError(f"{path}: {chk.message}")
    if require and chk.state != "verified":
        raise TamperError(f"{path}: {chk.message} (--require-seal)")
    return chk


def unfinished_json(out: dict) -> dict:
    """An unfinished session is never passed: the report says so."""
    out = dict(out)
    out["passed"] = False
    out["unfinished"] = True
    return out
