"""Writing session files: JSON lines, hash-chained, flushed and fsynced per line.

Format (docs/session-format.md): line 1 is the header, every further line one action.
Each line carries ``prev`` (the previous line's ``hash``; 64 zeros for the header) and
``hash`` = SHA-256 hex of ``prev + canonical_json(line without "hash")``.  Canonical JSON
is UTF-8, sorted keys, no spaces.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from trainer import __version__
from trainer.core.errors import SessionError

__all__ = ["FORMAT", "VERSION", "GENESIS", "canonical_json", "line_hash", "make_header", "make_entry",
           "SessionWriter"]

FORMAT = "vptrainer-session"
VERSION = 1
GENESIS = "0" * 64


def canonical_json(obj) -> str:
    """Sorted-key, compact JSON (non-finite floats written as NaN/Infinity, as Python reads them)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True)


def line_hash(prev: str, line: dict) -> str:
    """SHA-256 hex of ``prev`` + the canonical JSON of ``line`` without its ``hash`` key."""
    body = {k: v for k, v in line.items() if k != "hash"}
    return hashlib.sha256((prev + canonical_json(body)).encode("utf-8")).hexdigest()


def make_header(scenario, seed: int, trainee: str, started_at: str, options: dict | None = None) -> dict:
    """The header line (before ``prev``/``hash``); ``started_at`` is an ISO-8601 wall-clock time,
    the only wall-clock value in a session."""
    return {"kind": "header", "format": FORMAT, "version": VERSION, "scenario_id": scenario.id,
            "scenario_path": None if scenario.path is None else str(scenario.path),
            "scenario_toml": scenario.text, "scenario_sha256": scenario.sha256, "seed": int(seed),
            "trainee": str(trainee), "app_version": __version__, "started_at": started_at,
            "options": dict(options or {})}


def _loggable(action):
    """The action as given if it is JSON (NaN allowed), else its repr (never accepted anyway)."""
    try:
        canonical_json(action)
        return action
    except (TypeError, ValueError):
        return repr(action)[:2000]


def make_entry(seq: int, t_s: float, result) -> dict:
    """One action line from an ActionResult (before ``prev``/``hash``)."""
    e = {"kind": "action", "seq": int(seq), "t_s": round(float(t_s), 6), "action": _loggable(result.action),
         "accepted": bool(result.accepted), "duration_s": round(float(result.duration_s), 6),
         "summary": result.summary}
    if not result.accepted:
        e["reason"] = result.reason
    return e


class SessionWriter:
    """Appends hash-chained lines to a session file, flushing and fsyncing each one.

    Parameters
    ----------
    path : str or Path
    header : dict, optional
        For a new file: the header from :func:`make_header`.  The file must not exist.
    resume_from : tuple(str, int), optional
        For an existing file: ``(last hash, last seq)``; lines are appended.
    """

    def __init__(self, path, header: dict | None = None, resume_from: tuple[str, int] | None = None):
        self.path = Path(path)
        if (header is None) == (resume_from is None):
            raise ValueError("give either header (new file) or resume_from (append)")
        if header is not None:
            try:
                self._f = open(self.path, "x", encoding="utf-8", newline="\n")  # noqa: SIM115 - held open, closed by close()
            except FileExistsError:
                raise SessionError(f"{self.path}: the session file already exists; choose another path") from None
            except OSError as exc:
                raise SessionError(f"{self.path}: cannot create the session file: {exc.strerror}") from None
            self.prev = GENESIS
            self.seq = 0
            self._write(header)
        else:
            self.prev, self.seq = resume_from
            self._f = open(self.path, "a", encoding="utf-8", newline="\n")  # noqa: SIM115 - held open, closed by close()

    def _write(self, line: dict) -> dict:
        line = {**line, "prev": self.prev}
        line["hash"] = line_hash(self.prev, line)
        self._f.write(canonical_json(line) + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())
        self.prev = line["hash"]
        return line

    def append(self, t_s: float, result) -> dict:
        """Write the line for one applied action; returns it."""
        self.seq += 1
        return self._write(make_entry(self.seq, t_s, result))

    def close(self):
        if not self._f.closed:
            self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
