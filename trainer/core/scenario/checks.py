"""Collecting validation problems: every message names file, line, field, value and what is allowed."""

from __future__ import annotations

import difflib
import json

from trainer.core.errors import ScenarioError
from trainer.core.scenario.schema import REQUIRED, SECTIONS, FieldSpec
from trainer.core.scenario.textpos import key_lines, line_of

__all__ = ["MAX_SHOWN", "Checker", "shown", "show"]

#: a refused value is shown in its message up to about this many characters (then cut, saying how long it is)
MAX_SHOWN = 200


def show(value) -> str:
    """A value as it is written in TOML (strings quoted, booleans lower-case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {show(v)}" for k, v in value.items()) + "}"
    return repr(value)


def shown(value) -> str:
    """A value as :func:`show` writes it, cut after about :data:`MAX_SHOWN` characters for a message.

    Parameters
    ----------
    value : object
        A TOML value.

    Returns
    -------
    str
        :func:`show`'s text when short; else its first items (a list), characters (a string) or text, then
        ``... (N items)`` / ``... (N characters)``: a field of 500 entries was echoed whole into the one line
        refusing it (9 kB, the fault lost at its end; hostile35).
    """
    text = show(value)
    if len(text) <= MAX_SHOWN:
        return text
    if isinstance(value, (list, tuple)):
        head = ""
        for v in value:
            part = show(v)
            if len(head) + len(part) > MAX_SHOWN:
                break
            head += part + ", "
        return f"[{head}... ({len(value)} items)]"
    if isinstance(value, str):
        return show(value[:MAX_SHOWN])[:-1] + f'... ({len(value)} characters)"'
    if isinstance(value, dict):
        return f"{text[:MAX_SHOWN]}... ({len(value)} keys)}}"
    return text[:MAX_SHOWN] + "..."


class Checker:
    """Collects the problems of one file.

    Parameters
    ----------
    where : str
        File name used in every message.
    text : str
        The TOML text (for line numbers).
    strict : bool
        When False, recoverable problems become warnings and the default is used.
    """

    def __init__(self, where: str, text: str, strict: bool = True):
        self.where = where
        self.lines = key_lines(text)
        self.strict = strict
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def line(self, path: str) -> int:
        return line_of(self.lines, path)

    def _add(self, path: str, message: str, recoverable: bool) -> None:
        text = f"{self.where}:{self.line(path)}: {message}"
        if recoverable and not self.strict:
            self.warnings.append(text + " (lenient mode: ignored, default used)")
        else:
            self.errors.append(text)

    def bad(self, path: str, value, allowed: str, recoverable: bool = True, what: str = "not allowed") -> None:
        """A value is wrong: ``file:line: field = value: what; expected allowed``."""
        self._add(path, f"{path} = {shown(value)}: {what}; expected {allowed}", recoverable)

    def missing(self, path: str, allowed: str) -> None:
        """A required field or section is absent."""
        self._add(path, f"{path} is missing; expected {allowed}", False)

    def unknown(self, path: str, known, where_text: str, kind: str = "field") -> None:
        """A field or section the format does not have (with a did-you-mean)."""
        key = path.rsplit(".", 1)[-1]
        known = list(known)
        close = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        self._add(path, f"{path}: unknown {kind} in {where_text}; {hint}expected one of: {', '.join(known)}", True)

    def table(self, name: str, raw: dict, spec: dict[str, FieldSpec] | None = None, label: str | None = None) -> dict:
        """Check the plain fields of one table; return them with defaults filled in.

        Sub-table fields (kind ``table``) are left to the caller.
        """
        spec = SECTIONS[name] if spec is None else spec
        label = label or f"[{name}]"
        out: dict = {}
        for key, value in raw.items():
            path = f"{name}.{key}"
            s = spec.get(key)
            if s is None:
                self.unknown(path, spec, label)
                continue
            if s.kind == "table":
                continue
            ok, v = s.check(value)
            if ok:
                out[key] = v
            else:
                self.bad(path, value, s.allowed(), recoverable=s.default is not REQUIRED)
        for key, s in spec.items():
            if key in out or s.kind == "table":
                continue
            if s.default is REQUIRED:
                if key not in raw:
                    self.missing(f"{name}.{key}", s.allowed())
                out[key] = None
            else:
                out[key] = s.default
        return out

    def finish(self) -> None:
        """Raise :class:`ScenarioError` with every error collected, if any."""
        if self.errors:
            raise ScenarioError(self.where, self.errors)
