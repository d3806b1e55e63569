"""Verify and score one recorded session: shared by ``assess`` and its batch mode."""

from __future__ import annotations

import itertools

__all__ = ["assess", "seal_verifier", "seal_status", "unfinished_json"]


def assess(path, render: bool = False, ct_root=None):
    """Read, verify and replay a session; return ``(record, procedure, report)``.

    The session is streamed (memory does not grow with its length); a CT scenario's folder
    is looked up inside ``ct_root`` (default: the session file's folder), never where the
    header points.

    Raises
    ------
    TamperError
        Broken hash chain, scenario hash mismatch, or a replay that disagrees with the record.
    SessionError
        The file cannot be read as a session.
    """
    from trainer.core.scoring import score
    from trainer.core.session.reader import read_session
    from trainer.core.session.replay import replay

    record = read_session(path, keep_entries=False)
    scenario = record.scenario(ct_root=ct_root)
    patient = None
    if getattr(scenario, "ct", None) is None:
        # sessions of one case share their patient: the on-disk cache skips the build
        from trainer.core.anatomy.cache import cached_patient

        patient = cached_patient(scenario.anatomy)
    proc = replay(record, render=render, patient=patient, scenario=scenario)
    return record, proc, score(proc)


def seal_verifier(args):
    """The seal verifier from ``--seal-key`` or ``$VPTRAINER_SEAL_KEY`` (None when neither is given)."""
    from trainer.core.session.seal import load_key, sealer_from_env

    key = getattr(args, "seal_key", None)
    return load_key(key) if key else sealer_from_env()


def seal_status(path, verifier, require: bool = False):
    """Check a session's seals; raises TamperError for a broken seal (or none, with ``require``)."""
    from trainer.core.errors import TamperError
    from trainer.core.session.reader import read_session
    from trainer.core.session.seal import check_seals

    rec = read_session(path, keep_entries=False)
    # streamed (a list of every line would hold a million-line session in memory)
    chk = check_seals(itertools.chain((rec.header,), rec.iter_entries()), verifier)
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
