"""From an assessed session to the attempt the trainee store keeps.

The store (SQLite) keeps the session's resolved path as UTF-8 text: a file whose name, or a folder above it, holds a
byte that is not UTF-8 (a name from an old Latin-1 disk, ``r\\xe9sum\\xe9.jsonl``) is refused with one line naming
it (:func:`attempt_from_assessment`); until round 41 ``assess --store`` stopped with a UnicodeEncodeError traceback.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from trainer.core.errors import ParameterError
from trainer.core.records.store import AttemptRecord

__all__ = ["attempt_from_assessment", "file_sha256", "seal_status_of"]


def file_sha256(path) -> str:
    """SHA-256 (hex) of a session file's bytes as they were written: a CR before a line's LF is left out, so a copy
    whose line ends became CR LF on the way (verified without the CR, docs/session-format.md) is the same attempt
    and the same exported DICOM series as its LF file.  A file with LF line ends hashes as its plain bytes."""
    h = hashlib.sha256()
    held = b""                                    # a CR that ended a block: kept back until the next byte is seen
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.readline(1 << 20), b""):
            block = held + block
            held = b"\r" if block.endswith(b"\r") else b""
            h.update(block[:-2] + b"\n" if block.endswith(b"\r\n") else block[:len(block) - len(held)])
    h.update(held)
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

    Raises
    ------
    ParameterError
        When the session's resolved path holds an undecodable byte (the store keeps UTF-8 text).
    """
    resolved = Path(session_path).resolve()
    try:
        str(resolved).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParameterError("session_path", str(resolved), "a file name the trainee store can keep: UTF-8 text",
                             hint=f"character {exc.start + 1} is a byte that is not UTF-8; rename the session file, "
                             "or the folder holding it, to UTF-8 (e.g. letters, digits, - and _) to store it") from None
    sha = session_sha256 or file_sha256(session_path)
    return AttemptRecord.from_report(report, header, resolved, sha,
                                     seal_status=seal_status_of(report, header), complete=complete)
