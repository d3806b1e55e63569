"""Parsing untrusted text with limits: clear errors instead of tracebacks (issue 18).

The standard parsers raise ``RecursionError`` on deeply nested input and ``ValueError``
on integers longer than 4300 digits; JSON accepts ``NaN`` and ``Infinity`` and keeps the
last of two equal keys.  These wrappers turn every such case into one readable message
(the caller adds file and line) and enforce documented limits:

=====================  ==========================  ======================================
limit                  value                       applies to
=====================  ==========================  ======================================
file size              :data:`MAX_TOML_BYTES`      scenario files (TOML)
lines                  :data:`MAX_TOML_LINES`      scenario files (TOML)
line length            :data:`MAX_JSON_LINE_BYTES` session and action lines (JSON)
nesting depth          :data:`MAX_DEPTH`           both
digits in a number     :data:`MAX_NUMBER_CHARS`    both
=====================  ==========================  ======================================
"""

from __future__ import annotations

import os
import re
from typing import Any

import tomllib

__all__ = [
    "MAX_DEPTH",
    "MAX_JSON_LINE_BYTES",
    "MAX_NUMBER_CHARS",
    "MAX_TOML_BYTES",
    "MAX_TOML_LINES",
    "LimitError",
    "depth",
    "not_a_regular_file",
    "loads_json",
    "loads_toml",
]

MAX_TOML_BYTES = 1_000_000        #: a scenario is a few kB; 1 MB is generous
MAX_TOML_LINES = 20_000
MAX_JSON_LINE_BYTES = 4_000_000   #: a session header holds the scenario text (a few kB, 1 MB at most)
MAX_DEPTH = 32                    #: no vptrainer file nests deeper than 4
MAX_NUMBER_CHARS = 100            #: a double needs at most ~25 characters

_LONG_NUMBER = re.compile(r"(?<![\w.\"])[-+]?\d[\d_]{" + str(MAX_NUMBER_CHARS) + ",}")


def not_a_regular_file(path) -> str | None:
    """Why ``path`` cannot be read as a file (a FIFO, a device, a socket, a folder), or None.

    Checked before opening: opening a FIFO waits for a writer and a device such as
    ``/dev/zero`` never ends, so every file vptrainer reads must be a regular file.
    ``None`` also when ``path`` cannot be examined (opening it then reports why).
    """
    import stat

    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
        return None
    kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "not a regular file")
    return f"is {kind}; expected a regular file"


class LimitError(ValueError):
    """Text that breaks a parser limit or is not valid; ``str()`` is one line without the file name."""


def depth(obj: Any) -> int:
    """Nesting depth of lists/dicts (a scalar is 0), computed without recursion."""
    best = 0
    stack = [(obj, 0)]
    while stack:
        o, d = stack.pop()
        if isinstance(o, dict):
            o = list(o.values())
        if isinstance(o, (list, tuple)):
            d += 1
            best = max(best, d)
            if d > MAX_DEPTH:
                return d
            stack.extend((v, d) for v in o)
    return best


def _too_deep() -> LimitError:
    return LimitError(f"nested deeper than {MAX_DEPTH} levels of arrays/tables; expected a flat structure")


def loads_toml(text: str) -> dict:
    """``tomllib.loads`` with size, line, depth and number-length limits.

    Raises
    ------
    LimitError
        With ``line N:`` at the start of the message when the line is known.
    tomllib.TOMLDecodeError
        Plain syntax errors (the caller already reports those with their line).
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_TOML_BYTES:
        raise LimitError(f"file too long: {size} bytes; expected at most {MAX_TOML_BYTES} bytes")
    n_lines = text.count("\n") + 1
    if n_lines > MAX_TOML_LINES:
        raise LimitError(f"{n_lines} lines; expected at most {MAX_TOML_LINES} lines")
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise _too_deep() from None
    except tomllib.TOMLDecodeError:
        raise
    except ValueError as exc:               # an integer beyond Python's 4300-digit limit
        m = _LONG_NUMBER.search(text)
        if m:
            line = text.count("\n", 0, m.start()) + 1
            start = text.rfind("\n", 0, m.start()) + 1
            key = text[start:m.start()].split("=")[0].strip() or "value"
            raise LimitError(f"line {line}: {key} = {m.group(0)[:12]}... ({len(m.group(0))} digits) is not allowed; "
                             f"expected a number of at most {MAX_NUMBER_CHARS} characters") from None
        raise LimitError(f"a value that cannot be read ({str(exc).split(';')[0]})") from None
    if depth(data) > MAX_DEPTH:
        raise _too_deep()
    return data


def _no_constant(name: str):
    raise LimitError(f"{name} is not a number; expected a finite number")


def _no_duplicates(pairs: list) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise LimitError(f"duplicate key {k!r}; each key may appear once in an object")
            seen.add(k)
    return d


def loads_json(text: str | bytes, constants: bool = False) -> Any:
    """``json.loads`` that rejects NaN/Infinity, duplicate keys, deep nesting, huge numbers and lines.

    ``constants=True`` lets NaN/Infinity through (session lines record refused actions as given).

    Raises
    ------
    LimitError
        One line, without the file name (the caller adds ``file:line``).
    """
    import json

    if len(text) > MAX_JSON_LINE_BYTES:
        raise LimitError(f"line too long: {len(text)} bytes; expected at most {MAX_JSON_LINE_BYTES} bytes")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LimitError(f"not UTF-8 text (byte {exc.start})") from None
    try:
        obj = json.loads(text, parse_constant=None if constants else _no_constant, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise _too_deep() from None
    except json.JSONDecodeError as exc:
        raise LimitError(f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    except LimitError:
        raise
    except ValueError as exc:               # "Exceeds the limit (4300 digits) for integer string conversion"
        raise LimitError(f"a number that cannot be read ({str(exc).split(';')[0]}); expected at most "
                         f"{MAX_NUMBER_CHARS} characters") from None
    # nesting deeper than MAX_DEPTH needs more than MAX_DEPTH brackets (a C-speed count first)
    if text.count("[") + text.count("{") > MAX_DEPTH and depth(obj) > MAX_DEPTH:
        raise _too_deep()
    if "\\u" in text:                     # an escaped lone surrogate cannot be written back as UTF-8
        _check_strings(obj)
    return obj


def _check_strings(obj: Any) -> None:
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, str):
            try:
                o.encode("utf-8")
            except UnicodeEncodeError:
                raise LimitError("a string with an unpaired \\u surrogate escape; expected valid Unicode") from None
        elif isinstance(o, dict):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif isinstance(o, list):
            stack.extend(o)
