"""From an assessed session to the attempt the trainee store keeps."""

from __future__ import annotations

import hashlib
from pathlib import Path

from trainer.core.records.store import AttemptRecord

__all__ = ["attempt_from_assessment", "file_sha256", "seal_status_of"]


def file_sha256(path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def seal_status_of(report: dict, header: dict) -> str:
    """What the seal check said: the report's ``seal.status`` when the assessment checked one,
    'sealed-unchecked' for a sealed header that nothing verified, else 'unsealed'."""
    seal = report.get("seal")
    if isinstance(seal, dict) and seal.get("status"):
        return str(seal["status"])
    if isinstance(seal, str) and seal:
        return seal
    return "sealed-unchecked" if header.get("seal") else "unsealed"


def attempt_from_assessment(session_path, header: dict, report: dict, complete: bool,
                            session_sha256: str | None = None) -> AttemptRecord:
    """The :class:`AttemptRecord` of one assessed session.

    Parameters
    ----------
    session_path : path-like
    header : dict
        The session's header line.
    report : dict
        ``ScoreReport.to_json()`` of the replayed session.
    complete : bool
        The session recorded an accepted finish.
    session_sha256 : str, optional
        Hash of the file as assessed (computed from the file when not given).
    """
    sha = session_sha256 or file_sha256(session_path)
    return AttemptRecord.from_report(report, header, Path(session_path).resolve(), sha,
                                     seal_status=seal_status_of(report, header), complete=complete)
