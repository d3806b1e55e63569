"""Reading session files: parse, recover a crash-truncated tail, verify the hash chain.

The file is read line by line (streaming): :func:`read_session` checks the whole chain in
one pass; with ``keep_entries=False`` it keeps only the header, the count and the last
line, and :meth:`SessionRecord.iter_entries` reads the actions again (re-verifying the
chain) when they are replayed, so memory does not grow with the length of the session.

Limits (docs/bad-input.md): a line is at most
:data:`~trainer.core.parse_limits.MAX_JSON_LINE_BYTES` bytes, at most
:data:`MAX_SESSION_LINES` lines; JSON objects with duplicate keys, nesting deeper than
:data:`~trainer.core.parse_limits.MAX_DEPTH` or integers longer than Python reads are
refused with ``file:line`` in the message.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from trainer import SCENARIOS_DIR
from trainer.core.errors import ScenarioError, SessionError, TamperError
from trainer.core.parse_limits import MAX_JSON_LINE_BYTES, LimitError, loads_json, not_a_regular_file
from trainer.core.scenario.loader import parse_scenario
from trainer.core.session.ct_lookup import MAX_SEARCH_DEPTH, find_recorded_series, holds_recorded_series
from trainer.core.session.header import check_header
from trainer.core.session.log import FORMAT, GENESIS, HASH_SUFFIX_LEN, READABLE_VERSIONS, line_hash

__all__ = ["MAX_SESSION_LINES", "SessionRecord", "builtin_scenario_mismatch", "line_ends_note", "read_session",
           "scenario_file_mismatch", "verify"]

#: Longest session read (a real procedure has a few hundred actions).
MAX_SESSION_LINES = 10_000_000


def _same_file(a: str, b: str) -> bool:
    """Whether paths ``a`` and ``b`` lead to one file (False when either leads nowhere)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


@dataclass
class SessionRecord:
    """A session file as read.

    Attributes
    ----------
    path : Path
    header : dict
    entries : list of dict or None
        The action lines, in order (None when read with ``keep_entries=False``: use
        :meth:`iter_entries`).
    complete : bool
        An accepted ``finish`` was recorded.
    truncated : bool
        The last line was cut off (a crash while writing); it was dropped and the record
        holds everything up to the last whole line.
    good_bytes : int
        Length of the file up to the end of the last whole line (where appending resumes).
    version : int
        Format version of the file (1 or 2, docs/session-format.md).
    n_entries : int
    last_entry : dict or None
    ct_series_found : Path or None
        Set by :meth:`scenario` when the CT series was found by the session's recorded fingerprint in
        another folder than the one the scenario's ``[ct] folder`` names (:mod:`.ct_lookup`).
    crlf_lines : int
        Whole lines that ended in CR LF, verified without the CR (:func:`line_ends_note`; read with ``check``).
    """

    path: Path
    header: dict
    entries: list | None = field(default_factory=list)
    complete: bool = False
    truncated: bool = False
    good_bytes: int = 0
    version: int = 1
    n_entries: int = 0
    last_entry: dict | None = None
    ct_series_found: Path | None = None
    crlf_lines: int = 0

    def __post_init__(self):
        if self.entries and not self.n_entries:
            self.n_entries = len(self.entries)
            self.last_entry = self.entries[-1]

    @property
    def named(self) -> str:
        """The session file as every assessment note names it: the path it was read by, made absolute, and, when
        a symbolic link lies on that path, the file it leads to: ``/a/links/s.jsonl (linked to /a/cases/s.jsonl)``.

        A note is kept in the trainee store and read later, from another folder, where the name given on the
        command line pointed nowhere (until round 40 ``assess cases/s.jsonl --store`` kept "cases/s.jsonl").  The
        path given is what the assessor typed or chose; the file is what the store records (its ``session_path``,
        resolved) and what is left when the link is deleted.  Until round 41 a note named the link only.  The same
        words in ``assess``'s stderr, its report's notes, ``assess --csv``'s ``notes`` and the trainer's review,
        debrief and resume offer, which all read this.

        Returns
        -------
        str
            The absolute path, with `` (linked to FILE)`` when the resolved file differs.
        """
        given = os.path.abspath(self.path)
        try:
            real = os.path.realpath(self.path, strict=True)
        except OSError:                  # gone since it was read, or a link loop: the path as given
            return given
        if real != given and not _same_file(given, real):
            # "links/../cases/s.jsonl" with links a link to a folder elsewhere: abspath drops "links/.." by its
            # letters and named another file, or none; the path joined as given names the one read (hostile41)
            given = os.path.join(os.getcwd(), str(self.path))
        return given if real == given else f"{given} (linked to {real})"

    @property
    def last_hash(self) -> str:
        return (self.last_entry if self.last_entry is not None else self.header)["hash"]

    @property
    def actions(self) -> list:
        return [e["action"] for e in self.iter_entries()]

    def iter_entries(self) -> Iterator[dict]:
        """The action lines in order; streamed from the file (chain re-verified) when not kept."""
        if self.entries is not None:
            yield from self.entries
            return
        last = None
        for n, obj in _scan(self.path, check=True, limit_bytes=self.good_bytes):
            if n > 1:
                last = obj
                yield obj
        if (last or {}).get("hash") != (self.last_entry or {}).get("hash"):
            raise TamperError(f"{self.path}: the session file changed while it was being read")

    def scenario_roots(self, ct_root=None, allowed_roots=()) -> list[Path]:
        """Folders a CT scenario's ``[ct] folder`` may be resolved in, most specific first.

        The allowed roots are ``ct_root`` (default: the session file's folder) and
        ``allowed_roots`` (folders the local user trusts, e.g. the GUI's scenario folders).
        The header's ``scenario_path`` (a relative one resolves against the session file's
        folder, never the working directory) is only a hint: its folder is tried first when
        the file there lies inside an allowed root (symlinks resolved) and holds exactly the
        embedded scenario text.  Nothing outside the allowed roots is ever used.
        """
        roots = self._allowed_roots(ct_root, allowed_roots)
        out: list[Path] = []
        p = self.scenario_file(ct_root, allowed_roots)
        if p is not None and _file_sha256(p) == self.header.get("scenario_sha256"):
            out.append(p.parent)
        for r in roots:
            if r not in out:
                out.append(r)
        return out

    def _allowed_roots(self, ct_root=None, allowed_roots=()) -> list[Path]:
        roots = [(Path(ct_root) if ct_root is not None else Path(self.path).resolve().parent).resolve()]
        return roots + [Path(r).resolve() for r in allowed_roots if r]

    def scenario_file(self, ct_root=None, allowed_roots=()) -> Path | None:
        """The file the header's ``scenario_path`` names (a relative one against the session file's folder), when
        it lies inside an allowed root (:meth:`scenario_roots`; symlinks resolved) and is a regular file of at
        most 1 MB; else None.  Nothing outside the allowed roots is ever read."""
        hint = self.header.get("scenario_path")
        if not isinstance(hint, str) or not hint or "\0" in hint:
            return None
        try:
            p = (Path(self.path).resolve().parent / hint).resolve()     # an absolute hint stays as it is
            inside = any(p.parent == r or r in p.parent.parents for r in self._allowed_roots(ct_root, allowed_roots))
            return p if inside and p.is_file() and p.stat().st_size <= 1_000_000 else None
        except (OSError, ValueError):
            return None                           # an unreadable hint is no hint

    def scenario(self, ct_root=None, allowed_roots=()):
        """The recorded scenario, parsed from the TOML text stored in the header.

        A ``[ct] folder`` resolves inside one of :meth:`scenario_roots` (default: the session
        file's folder), never simply where the header's ``scenario_path`` points; errors name
        the session file.
        """
        sid = self.header.get("scenario_id", "scenario")
        roots = self.scenario_roots(ct_root, allowed_roots)
        first: ScenarioError | None = None
        for root in roots:
            virtual = root / f"{sid}.toml"
            try:
                return self._with_recorded_series(parse_scenario(self.header["scenario_toml"], virtual), roots)
            except ScenarioError as exc:
                if first is None:
                    first_virtual, first = virtual, exc
                if not any("ct.folder" in p for p in exc.problems):
                    break                         # not about the CT folder: the same in any root
        assert first is not None
        found = find_recorded_series(self.header.get("ct_series"), roots)
        if found is not None:
            with contextlib.suppress(ScenarioError):   # another problem than the folder: report the first one
                return self._parse_on(found, sid)
        label = f"{self.path}: embedded scenario {sid!r}"
        problems = [p.replace(str(first_virtual), label) for p in first.problems]
        if any("ct.folder" in p for p in problems):
            where = ", ".join(str(r) for r in roots)
            searched = ""
            if isinstance(self.header.get("ct_series"), dict):
                searched = (f"; the series it was recorded on (SeriesInstanceUID "
                            f"{self.header['ct_series'].get('series_uid')}) is not in their subfolders either "
                            f"(searched {MAX_SEARCH_DEPTH} levels deep)")
            looked = (f"the CT folder of a session is looked up in {where} (next to the session unless the assessor "
                      f"allows another folder with --ct-root){searched}")
            # one line: the folder problem and where it was looked for belong together
            problems = [f"{p}; {looked}" if "ct.folder" in p else p for p in problems]
        raise ScenarioError(label, problems) from None

    def _parse_on(self, series_folder: Path, sid: str):
        """The embedded scenario read on ``series_folder`` (the recorded series found by its fingerprint)."""
        scenario = parse_scenario(self.header["scenario_toml"], series_folder.parent / f"{sid}.toml",
                                  ct_series_folder=series_folder)
        self.ct_series_found = series_folder
        return scenario

    def _with_recorded_series(self, scenario, roots):
        """``scenario``, or the same text read on the recorded series found elsewhere in ``roots`` when the
        folder its ``[ct] folder`` names does not hold that series (renamed, or another series under the
        same name); sets :attr:`ct_series_found`."""
        rec = self.header.get("ct_series")
        ct = getattr(scenario, "ct", None)
        if ct is None or not isinstance(rec, dict) or holds_recorded_series(ct.folder, rec):
            return scenario
        found = find_recorded_series(rec, roots)
        if found is None:
            return scenario                       # the replay says what differs
        return self._parse_on(found, scenario.id)


def _file_sha256(p: Path) -> str | None:
    try:
        return hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError:
        return None


def builtin_scenario_mismatch(record: SessionRecord) -> str | None:
    """A message if the session names a built-in scenario id but embeds a different text, else None."""
    sid = record.header.get("scenario_id")
    p = SCENARIOS_DIR / f"{sid}.toml"
    if not isinstance(sid, str) or not p.is_file():
        return None
    try:
        builtin = p.read_text(encoding="utf-8")
    except OSError:
        return None
    if builtin == record.header.get("scenario_toml"):
        return None
    return (f"the scenario embedded in {record.named} differs from the built-in scenario {sid!r} "
            f"({p}); it was scored as embedded, not as the built-in case")


def scenario_file_mismatch(record: SessionRecord, ct_root=None, allowed_roots=()) -> str | None:
    """A message if the scenario file the session was recorded on (its header's ``scenario_path``, read only inside
    the allowed roots: :meth:`SessionRecord.scenario_file`) has changed since: its SHA-256 differs from the copy the
    session embeds.  None when it is unchanged, not found there, or the built-in file
    (:func:`builtin_scenario_mismatch` speaks for that).  Round 38 (firstuse37's #8): an instructor who edits a
    target band and re-assesses old sessions was told nothing."""
    p = record.scenario_file(ct_root, allowed_roots)
    if p is None or p == (SCENARIOS_DIR / f"{record.header.get('scenario_id')}.toml").resolve():
        return None
    sha = _file_sha256(p)
    if sha is None or sha == record.header.get("scenario_sha256"):
        return None
    return (f"the scenario file {p} has changed since {record.named} was recorded on it; it was scored against the "
            "copy the session recorded, not the edited file (vptrainer offers no way to score a session against "
            "another version of its case)")


def line_ends_note(record: SessionRecord) -> str | None:
    """One line saying that the session's line ends were CR LF and its content was verified without the CR, or
    None when every line ends in LF (as written)."""
    n = record.crlf_lines
    if not n:
        return None
    total = record.n_entries + 1
    which = "its lines end" if n >= total else f"{n} of its {total} lines end"
    return (f"{record.named}: {which} in CR LF (Windows line ends, from an editor, a mail program or git on the way), "
            "not the LF it was written with: the content was verified without the CR")


def _raw_lines(path: Path, limit_bytes: int | None = None) -> Iterator[tuple[int, bytes, bool, int]]:
    """``(line number, bytes without newline, ends with newline, offset after the line)``."""
    bad = not_a_regular_file(path)
    if bad:
        raise SessionError(f"{path}: cannot read the session file: it {bad}")
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the with block below
    except OSError as exc:
        raise SessionError(f"{path}: cannot read the session file: {exc.strerror}") from None
    with fh:
        offset = 0
        n = 0
        while True:
            if limit_bytes is not None and offset >= limit_bytes:
                return
            raw = fh.readline(MAX_JSON_LINE_BYTES + 2)
            if not raw:
                return
            n += 1
            if n > MAX_SESSION_LINES:
                raise SessionError(f"{path}:{n}: more than {MAX_SESSION_LINES} lines; expected a session of at most "
                                   f"{MAX_SESSION_LINES} lines")
            whole = raw.endswith(b"\n")
            if not whole and len(raw) > MAX_JSON_LINE_BYTES:
                raise SessionError(f"{path}:{n}: line too long (more than {MAX_JSON_LINE_BYTES} bytes); "
                                   f"expected at most {MAX_JSON_LINE_BYTES} bytes a line")
            offset += len(raw)
            yield n, (raw[:-1] if whole else raw), whole, offset


class _Chain:
    """Verifies one line after another: version 1 (re-serialised object) or 2 (exact bytes)."""

    def __init__(self, path: Path, prev: str = GENESIS, version: int = 1):
        self.path = path
        self.prev = prev
        self.version = version
        self.crlf_lines = 0

    def check(self, n: int, raw: bytes, obj: dict) -> None:
        """Verify line ``n`` (``raw`` without its LF).  A line ending in CR LF (Windows line ends: an editor, a
        mail program or git's autocrlf on the way) is verified without its CR: the chain hashes the LF bytes the
        writer wrote and the seal signs the parsed body, which a CR does not change (JSON whitespace), so the same
        content verifies and any edit of it still breaks the chain.  Counted in :attr:`crlf_lines`; until round
        38 such a file was refused with "restore LF line ends"."""
        if not raw.endswith(b"\r"):
            self._check(n, raw, obj)
            return
        self.crlf_lines += 1
        try:
            self._check(n, raw[:-1], obj)
        except TamperError as exc:
            raise TamperError(f"{exc} (its line ends are CR LF, verified without the CR)") from None

    def _check(self, n: int, raw: bytes, obj: dict) -> None:
        p = self.path
        if obj.get("prev") != self.prev:
            raise TamperError(f"{p}:{n}: hash chain broken (prev does not match line {n - 1}'s hash); "
                              "the session was edited or lines were removed")
        if self.version >= 2:
            # the hash covers the exact bytes before the final ',"hash":"..."}'
            suffix = raw[-HASH_SUFFIX_LEN:]
            h = hashlib.sha256(self.prev.encode("ascii") + raw[:-HASH_SUFFIX_LEN] + b"}").hexdigest()
            ok = (suffix.startswith(b',"hash":"') and suffix.endswith(b'"}') and suffix[9:73] == h.encode()
                  and obj.get("hash") == h)
        else:
            h = line_hash(self.prev, obj)
            ok = obj.get("hash") == h
        if not ok:
            raise TamperError(f"{p}:{n}: hash chain broken (the line's content does not match its hash); "
                              "the session was edited")
        self.prev = h


def _scan(path: Path, check: bool, limit_bytes: int | None = None,
          chain: _Chain | None = None) -> Iterator[tuple[int, dict]]:
    """Parse and (with ``check``) verify every whole line; yields ``(line number, object)``.

    A final fragment without its newline is not yielded (a line cut off by a crash).  ``chain``: the
    verifier to use (to read its :attr:`_Chain.crlf_lines` afterwards).
    """
    chain = chain if chain is not None else _Chain(path)
    for n, raw, whole, _ in _raw_lines(path, limit_bytes):
        if not whole:
            return
        try:
            obj = loads_json(raw, constants=True)   # refused actions may hold NaN (never trusted)
        except LimitError as exc:
            raise SessionError(f"{path}:{n}: not a JSON line ({exc})") from None
        if not isinstance(obj, dict):
            raise SessionError(f"{path}:{n}: a session line must be a JSON object")
        if n == 1:
            _check_header_kind(path, obj)
            check_header(obj, str(path))
            chain.version = obj["version"]
        elif obj.get("kind") != "action" or "action" not in obj or "accepted" not in obj:
            raise SessionError(f"{path}:{n}: not an action line (needs kind 'action', action, accepted)")
        if check:
            chain.check(n, raw, obj)
            if n > 1 and (isinstance(obj.get("seq"), bool) or obj.get("seq") != n - 1):
                raise TamperError(f"{path}:{n}: seq {obj.get('seq')!r} out of order; expected {n - 1}")
        yield n, obj


def _check_header_kind(path: Path, header: dict) -> None:
    if header.get("kind") != "header" or header.get("format") != FORMAT:
        raise SessionError(f"{path}:1: not a vptrainer session header (format must be {FORMAT!r})")
    v = header.get("version")
    if isinstance(v, bool) or v not in READABLE_VERSIONS:
        raise SessionError(f"{path}:1: session format version {v!r} is not supported; "
                           f"this vptrainer reads versions {', '.join(map(str, READABLE_VERSIONS))}")


def read_session(path, check: bool = True, keep_entries: bool = True, on_line=None) -> SessionRecord:
    """Read a session file.

    Parameters
    ----------
    path : str or Path
    check : bool
        Verify the hash chain and the scenario hash (:func:`verify`).
    keep_entries : bool
        Keep every action line in memory (``record.entries``); False streams them again
        from the file in :meth:`SessionRecord.iter_entries` (bounded memory).
    on_line : callable, optional
        Called with every whole line's object (the header first) in the same pass, after
        that line's chain check (e.g. :meth:`trainer.core.session.seal.SealScan.feed`).

    Raises
    ------
    SessionError
        Missing file, not JSON lines, wrong format or version, no header, a header field of
        the wrong type.
    TamperError
        (with ``check``) a broken hash chain or a scenario that does not match its hash.
    """
    p = Path(path)
    if p.is_dir():
        raise SessionError(f"{p}: is a folder; expected a session file (.jsonl)")
    header = None
    entries: list | None = [] if keep_entries else None
    n_entries = 0
    last = None
    complete = False
    chain = _Chain(p)
    for n, obj in _scan(p, check, chain=chain):
        if on_line is not None:
            on_line(obj)
        if n == 1:
            header = obj
            continue
        n_entries += 1
        last = obj
        if entries is not None:
            entries.append(obj)
        a = obj.get("action")
        if obj.get("accepted") is True and isinstance(a, dict) and a.get("type") == "finish":
            complete = True
    if header is None:
        try:
            size = p.stat().st_size
        except OSError:
            size = 0
        if size:            # until round 40 "empty" for any file without a line end (hostile40: 10 bytes of binary)
            raise SessionError(f"{p}: no whole header line ({size} bytes without a line end); expected a session "
                               "file, its header line ending in a newline (cut off while it was written, or not a "
                               "session)")
        raise SessionError(f"{p}: empty session file (no header line)")
    good, truncated = _tail(p)
    rec = SessionRecord(p, header, entries, complete, truncated, good, version=header["version"],
                        n_entries=n_entries, last_entry=last, crlf_lines=chain.crlf_lines)
    if check:
        _verify_scenario_hash(rec)
    return rec


def _tail(p: Path) -> tuple[int, bool]:
    """``(bytes up to the last newline, whether a fragment follows it)``."""
    # read backwards a block at a time: one read of the last line's longest allowed length held the whole
    # file in memory when it was shorter than that (an assessment's peak grew with the session; round 28)
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            end = size
            while end > 0 and size - end < MAX_JSON_LINE_BYTES + 2:
                start = max(0, end - _TAIL_BLOCK_BYTES, size - MAX_JSON_LINE_BYTES - 2)
                fh.seek(start)
                i = fh.read(end - start).rfind(b"\n")
                if i >= 0:
                    good = start + i + 1
                    return good, good < size
                end = start
    except OSError as exc:
        raise SessionError(f"{p}: cannot read the session file: {exc.strerror}") from None
    return 0, size > 0


#: the block :func:`_tail` reads backwards at a time (bytes)
_TAIL_BLOCK_BYTES = 64 * 1024


def _verify_scenario_hash(record: SessionRecord) -> None:
    text = record.header.get("scenario_toml", "")
    if hashlib.sha256(str(text).encode("utf-8")).hexdigest() != record.header.get("scenario_sha256"):
        raise TamperError(f"{record.path}:1: the scenario text does not match its recorded scenario_sha256")


def verify(record: SessionRecord) -> None:
    """Check the hash chain line by line and the scenario text against its recorded hash.

    Raises
    ------
    TamperError
        Naming the first line (1-based) whose ``prev`` or ``hash`` does not match.
    """
    deque(_scan(record.path, check=True, limit_bytes=record.good_bytes), maxlen=0)   # check every line
    _verify_scenario_hash(record)
