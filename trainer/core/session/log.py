"""Writing session files: JSON lines, hash-chained, flushed and fsynced.

Format (docs/session-format.md): line 1 is the header, every further line one action.
Each line carries ``prev`` (the previous line's ``hash``; 64 zeros for the header) and
``hash``.  Version 2 (written since issue 18) hashes the exact bytes of the line: the line
is ``canonical_json(line without "hash")`` with ``,"hash":"<hex>"}`` put in place of its
closing brace, and ``hash`` = SHA-256 hex of ``prev`` + those canonical bytes, so any
change to a byte (including a duplicated key or re-ordered keys) breaks the chain.
Version 1 (read, and appended to on resume) hashed the re-serialised object instead.
Canonical JSON is UTF-8, sorted keys, no spaces.

Durability: a writer fsyncs every ``sync_every`` lines (1 = each line, the default) and
always on close; :class:`SessionWriter` documents the guarantee.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from trainer import __version__
from trainer.core.errors import SessionError

__all__ = ["FORMAT", "GENESIS", "READABLE_VERSIONS", "VERSION", "SessionWriter", "canonical_json", "encode_line",
           "line_hash", "make_entry", "make_header"]

FORMAT = "vptrainer-session"
VERSION = 2
READABLE_VERSIONS = (1, 2)
GENESIS = "0" * 64
HASH_SUFFIX_LEN = len(',"hash":"') + 64 + 2        #: the bytes after the hashed body in a version 2 line


def canonical_json(obj) -> str:
    """Sorted-key, compact JSON (non-finite floats written as NaN/Infinity, as Python reads them)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True)


def line_hash(prev: str, line: dict) -> str:
    """SHA-256 hex of ``prev`` + the canonical JSON of ``line`` without its ``hash`` key."""
    body = {k: v for k, v in line.items() if k != "hash"}
    return hashlib.sha256((prev + canonical_json(body)).encode("utf-8")).hexdigest()


def encode_line(prev: str, line: dict, version: int = VERSION) -> tuple[str, str]:
    """``(text without newline, hash)`` of one session line chained to ``prev``."""
    body = {**{k: v for k, v in line.items() if k != "hash"}, "prev": prev}
    if version == 1:
        h = line_hash(prev, body)
        return canonical_json({**body, "hash": h}), h
    text = canonical_json(body)
    h = hashlib.sha256((prev + text).encode("utf-8")).hexdigest()
    return f'{text[:-1]},"hash":"{h}"}}', h


def make_header(scenario, seed: int, trainee: str, started_at: str, options: dict | None = None,
                ct_series: dict | None = None) -> dict:
    """The header line (before ``prev``/``hash``); ``started_at`` is an ISO-8601 wall-clock time,
    the only wall-clock value in a session.  ``ct_series``: a CT scenario's series fingerprint
    (:func:`~trainer.core.anatomy.ct_patient.series_fingerprint`), recorded so that a replay on a changed
    series is refused; absent for a synthetic patient."""
    extra = {} if ct_series is None else {"ct_series": dict(ct_series)}
    return {**extra, "kind": "header", "format": FORMAT, "version": VERSION, "scenario_id": scenario.id,
            # absolute: a hint for finding a CT scenario's folder, never resolved against a working directory
            "scenario_path": None if scenario.path is None else str(Path(scenario.path).resolve()),
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
    e = {"kind": "action", "seq": int(seq), "t_s": round(float(t_s), 6), "action": result.action,
         "accepted": bool(result.accepted), "duration_s": round(float(result.duration_s), 6),
         "summary": result.summary}
    if not result.accepted:
        e["reason"] = result.reason
    return e


class SessionWriter:
    """Appends hash-chained lines to a session file.

    Crash guarantee: every line is written to the operating system at once (flushed); it
    is forced to disk (fsync) every ``sync_every`` lines and on close.  A crash of vptrainer
    itself loses nothing; a power failure or kernel crash loses at most the last
    ``sync_every - 1`` action lines (and can cut the last line short, which readers drop).
    Every line kept is a whole, chained line, so the session stays verifiable and resumable.

    Parameters
    ----------
    path : str or Path
    header : dict, optional
        For a new file: the header from :func:`make_header`.  The file must not exist.
    resume_from : tuple(str, int), optional
        For an existing file: ``(last hash, last seq)``; lines are appended.
    version : int
        Format version of the lines (an appended file keeps its own version).
    sync_every : int
        fsync after this many lines (1: every line, the GUI's default).
    sealer : trainer.core.session.seal.Sealer, optional
        Seal every line with this key (the header then says ``sealed_with``).
    """

    def __init__(self, path, header: dict | None = None, resume_from: tuple[str, int] | None = None,
                 version: int = VERSION, sync_every: int = 1, sealer=None):
        self.path = Path(path)
        self.sealer = sealer
        if header is not None and sealer is not None:
            header = {**header, "sealed_with": sealer.declaration}
        self.version = int(version)
        self.sync_every = max(1, int(sync_every))
        self._unsynced = 0
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
            assert resume_from is not None
            self.prev, self.seq = resume_from
            self._f = open(self.path, "a", encoding="utf-8", newline="\n")  # noqa: SIM115 - held open, closed by close()

    def _write(self, line: dict) -> dict:
        try:
            line, text, h = self._encode(line)
        except (TypeError, ValueError):         # an action that is not JSON: recorded as its text
            line, text, h = self._encode({**line, "action": _loggable(line.get("action"))})
        line = {**line, "prev": self.prev, "hash": h}
        self._f.write(text + "\n")
        self._f.flush()
        self._unsynced += 1
        if self._unsynced >= self.sync_every:
            self.sync()
        self.prev = h
        return line

    def _encode(self, line: dict) -> tuple[dict, str, str]:
        if self.sealer is not None:              # trainer.core.session.seal: a keyed seal of the body
            line = {**line, "seal": self.sealer.seal_line(line, self.prev)}
        text, h = encode_line(self.prev, line, self.version)
        return line, text, h

    def sync(self) -> None:
        """Force the lines written so far to disk."""
        if self._unsynced and not self._f.closed:
            os.fsync(self._f.fileno())
        self._unsynced = 0

    def append(self, t_s: float, result) -> dict:
        """Write the line for one applied action; returns it."""
        self.seq += 1
        return self._write(make_entry(self.seq, t_s, result))

    def close(self):
        if not self._f.closed:
            self._f.flush()
            self.sync()
            self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
