"""Reading session files: parse, recover a crash-truncated tail, verify the hash chain."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from trainer.core.errors import SessionError, TamperError
from trainer.core.scenario.loader import parse_scenario
from trainer.core.session.log import FORMAT, GENESIS, VERSION, line_hash

__all__ = ["SessionRecord", "read_session", "verify"]


@dataclass
class SessionRecord:
    """A session file as read.

    Attributes
    ----------
    path : Path
    header : dict
    entries : list of dict
        The action lines, in order.
    complete : bool
        An accepted ``finish`` was recorded.
    truncated : bool
        The last line was cut off (a crash while writing); it was dropped and the record
        holds everything up to the last whole line.
    good_bytes : int
        Length of the file up to the end of the last whole line (where appending resumes).
    """

    path: Path
    header: dict
    entries: list = field(default_factory=list)
    complete: bool = False
    truncated: bool = False
    good_bytes: int = 0

    @property
    def last_hash(self) -> str:
        return (self.entries[-1] if self.entries else self.header)["hash"]

    @property
    def actions(self) -> list:
        return [e["action"] for e in self.entries]

    def scenario(self):
        """The recorded scenario (parsed from the TOML text stored in the header)."""
        sid = self.header.get("scenario_id", "scenario")
        where = self.header.get("scenario_path") or f"{sid}.toml"
        return parse_scenario(self.header["scenario_toml"], Path(where))


def read_session(path, check: bool = True) -> SessionRecord:
    """Read a session file.

    Parameters
    ----------
    path : str or Path
    check : bool
        Verify the hash chain and the scenario hash (:func:`verify`).

    Raises
    ------
    SessionError
        Missing file, not JSON lines, wrong format or version, no header.
    TamperError
        (with ``check``) a broken hash chain or a scenario that does not match its hash.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise SessionError(f"{p}: cannot read the session file: {exc.strerror}") from None
    lines = raw.split(b"\n")
    truncated = False
    # a final fragment without its newline is a line cut off by a crash
    if lines and lines[-1] != b"":
        truncated = True
        lines = lines[:-1]
    else:
        lines = lines[:-1]
    good = sum(len(ln) + 1 for ln in lines)
    objs = []
    for i, ln in enumerate(lines, 1):
        try:
            obj = json.loads(ln.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SessionError(f"{p}:{i}: not a JSON line ({exc})") from None
        if not isinstance(obj, dict):
            raise SessionError(f"{p}:{i}: a session line must be a JSON object")
        objs.append(obj)
    if not objs:
        raise SessionError(f"{p}: empty session file (no header line)")
    header = objs[0]
    if header.get("kind") != "header" or header.get("format") != FORMAT:
        raise SessionError(f"{p}:1: not a vptrainer session header (format must be {FORMAT!r})")
    if header.get("version") != VERSION:
        raise SessionError(f"{p}:1: session format version {header.get('version')!r} is not supported; "
                           f"this vptrainer reads version {VERSION}")
    for i, obj in enumerate(objs[1:], 2):
        if obj.get("kind") != "action" or "action" not in obj or "accepted" not in obj:
            raise SessionError(f"{p}:{i}: not an action line (needs kind 'action', action, accepted)")
    entries = objs[1:]
    complete = any(e.get("accepted") and isinstance(e.get("action"), dict) and e["action"].get("type") == "finish"
                   for e in entries)
    rec = SessionRecord(p, header, entries, complete, truncated, good)
    if check:
        verify(rec)
    return rec


def verify(record: SessionRecord) -> None:
    """Check the hash chain line by line and the scenario text against its recorded hash.

    Raises
    ------
    TamperError
        Naming the first line (1-based) whose ``prev`` or ``hash`` does not match.
    """
    import hashlib

    p = record.path
    prev = GENESIS
    for i, line in enumerate([record.header, *record.entries], 1):
        if line.get("prev") != prev:
            raise TamperError(f"{p}:{i}: hash chain broken (prev does not match line {i - 1}'s hash); "
                              "the session was edited or lines were removed")
        h = line_hash(prev, line)
        if line.get("hash") != h:
            raise TamperError(f"{p}:{i}: hash chain broken (the line's content does not match its hash); "
                              "the session was edited")
        prev = h
    for i, e in enumerate(record.entries, 2):
        if e.get("seq") != i - 1:
            raise TamperError(f"{p}:{i}: seq {e.get('seq')!r} out of order; expected {i - 1}")
    text = record.header.get("scenario_toml", "")
    if hashlib.sha256(str(text).encode("utf-8")).hexdigest() != record.header.get("scenario_sha256"):
        raise TamperError(f"{p}:1: the scenario text does not match its recorded scenario_sha256")
