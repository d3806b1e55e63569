"""Type and range checks of a session header (issue 18): nothing in it is used unchecked.

A header is written by vptrainer, but a session file is input like any other: every field
the replay uses is checked here, with ``file:1: field = value is not allowed; expected ...``.
"""

from __future__ import annotations

import re

from trainer.core.errors import SessionError
from trainer.core.numbers import number_ok, shown

__all__ = ["HEADER_OPTIONS", "check_header"]

_HEX64 = re.compile(r"[0-9a-f]{64}")
#: Options a header may carry, with (lo, hi) of their integer values.
HEADER_OPTIONS = {"pixels": (64, 1024)}
MAX_SCENARIO_CHARS = 1_000_000


def _bad(where: str, name: str, value, allowed: str) -> SessionError:
    return SessionError(f"{where}:1: {name} = {shown(value)} is not allowed; expected {allowed}")


def check_header(header: dict, where: str) -> None:
    """Raise :class:`SessionError` for the first header field of the wrong type or range."""
    seed = header.get("seed")
    if not number_ok(seed, 0, 2**32 - 1, integer=True):
        raise _bad(where, "seed", seed, "an integer from 0 to 4294967295")
    text = header.get("scenario_toml")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_SCENARIO_CHARS:
        raise _bad(where, "scenario_toml", text if not isinstance(text, str) else text[:40],
                   f"the scenario's TOML text (a non-empty string of at most {MAX_SCENARIO_CHARS} characters)")
    digest = header.get("scenario_sha256")
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        raise _bad(where, "scenario_sha256", digest, "64 lower-case hex digits")
    sid = header.get("scenario_id")
    if not isinstance(sid, str) or not re.fullmatch(r"[^./\\\0][^/\\\0]{0,199}", sid):
        raise _bad(where, "scenario_id", sid, "a scenario id (a file name without folders, not starting with '.')")
    spath = header.get("scenario_path")
    if spath is not None and (not isinstance(spath, str) or len(spath) > 4096 or "\0" in spath):
        raise _bad(where, "scenario_path", spath, "a file path or null")
    for key in ("trainee", "app_version", "started_at"):
        v = header.get(key)
        if v is not None and (not isinstance(v, str) or len(v) > 200):
            raise _bad(where, key, v, "a string of at most 200 characters")
    ct = header.get("ct_series")
    if ct is not None:
        if not isinstance(ct, dict) or not isinstance(ct.get("sha256"), str) or not _HEX64.fullmatch(ct["sha256"]):
            raise _bad(where, "ct_series", ct, "an object with the series' sha256 (64 lower-case hex digits)")
        if not number_ok(ct.get("files"), 1, 100_000, integer=True):
            raise _bad(where, "ct_series.files", ct.get("files"), "an integer from 1 to 100000")
        for key in ("first_file", "last_file", "series_uid"):
            v = ct.get(key, "")
            if not isinstance(v, str) or len(v) > 4096 or "\0" in v:
                raise _bad(where, f"ct_series.{key}", v, "a string of at most 4096 characters")
    opts = header.get("options", {})
    if opts is None:
        opts = {}
    if not isinstance(opts, dict):
        raise _bad(where, "options", opts, "an object such as {\"pixels\": 256}")
    for k, v in opts.items():
        if k not in HEADER_OPTIONS:
            raise _bad(where, f"options.{k}", v, f"one of {', '.join(HEADER_OPTIONS)}")
        lo, hi = HEADER_OPTIONS[k]
        if not number_ok(v, lo, hi, integer=True):
            raise _bad(where, f"options.{k}", v, f"an integer from {lo} to {hi}")
