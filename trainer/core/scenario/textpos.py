"""Line numbers of TOML keys, for error messages (tomllib gives none).

:func:`key_lines` scans the text once and maps each dotted path (``"anatomy.grade"``,
``"patient.medications[1].name"``, ``"patient.labs"`` for a header) to the line where it
is written.  It understands table headers, arrays of tables, dotted keys and multi-line
strings; values inside inline tables fall back to the line of their key
(:func:`line_of`).
"""

from __future__ import annotations

import re

__all__ = ["key_lines", "line_of"]

_PART = r'(?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\')'
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER = re.compile(rf"^\s*(\[\[|\[)\s*({_DOTTED})\s*(\]\]|\])\s*(#.*)?$")
_KEY = re.compile(rf"^\s*({_DOTTED})\s*=")


def _parts(dotted: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.findall(_PART, dotted)]


def key_lines(text: str) -> dict[str, int]:
    """Map dotted key paths to 1-based line numbers (first occurrence wins)."""
    out: dict[str, int] = {}
    prefix = ""
    counts: dict[str, int] = {}
    in_string: str | None = None
    for n, line in enumerate(text.splitlines(), 1):
        if in_string:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        h = _HEADER.match(line)
        if h:
            name = ".".join(_parts(h.group(2)))
            if h.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                prefix = f"{name}[{counts[name]}]"
            else:
                prefix = name
            out.setdefault(prefix, n)
            out.setdefault(name, n)
            continue
        k = _KEY.match(line)
        if k:
            path = prefix
            for part in _parts(k.group(1)):
                path = f"{path}.{part}" if path else part
                out.setdefault(path, n)
            rest = line[k.end():]
            for q in ('"""', "'''"):
                if rest.count(q) % 2 == 1:
                    in_string = q
                    break
    return out


def line_of(lines: dict[str, int], path: str) -> int:
    """Line of ``path``, or of its nearest written parent; 1 if nothing matches."""
    p = path
    while p:
        if p in lines:
            return lines[p]
        cut = max(p.rfind("."), p.rfind("["))
        if cut <= 0:
            break
        p = p[:cut]
    return lines.get(p, 1)
