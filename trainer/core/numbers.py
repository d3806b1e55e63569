"""The one check of a number read from a file, an option or a header (issue 18).

``nan < lo`` and ``nan > hi`` are both false, so a range check written as "reject if below or
above" lets NaN through; huge integers overflow float conversions.  Every reader therefore
asks :func:`number_ok` (or raises through :func:`check_number`): the value must be a real
``int``/``float`` (never a bool or a string), finite, an integer when one is wanted, within
:data:`MAX_ABS` and inside the given inclusive (or lower-open) range.  Messages come from
:func:`allowed_text` so they read the same everywhere:
``file:line: field = value is not allowed; expected a number from lo to hi unit``.
"""

from __future__ import annotations

import math
from typing import Any

from trainer.core.errors import ParameterError

__all__ = ["MAX_ABS", "allowed_text", "check_number", "is_number", "number_ok", "shown"]

#: No quantity vptrainer reads is anywhere near this; larger values are refused before any
#: arithmetic (a 5000-digit integer would otherwise overflow float conversions).
MAX_ABS = 1e15


def is_number(value: Any, integer: bool = False) -> bool:
    """A finite int or float (not bool) of magnitude <= :data:`MAX_ABS`; a whole int if ``integer``."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -MAX_ABS <= value <= MAX_ABS
    if isinstance(value, float) and not integer:
        return math.isfinite(value) and abs(value) <= MAX_ABS
    return False


def number_ok(value: Any, lo: float | None = None, hi: float | None = None, *, integer: bool = False,
              lo_open: bool = False) -> bool:
    """Whether ``value`` is a finite number (integer if asked) inside ``[lo, hi]`` (``(lo, hi]`` if lo_open)."""
    if not is_number(value, integer):
        return False
    if lo is not None and not (value > lo if lo_open else value >= lo):
        return False
    return hi is None or value <= hi


def _g(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def allowed_text(lo: float | None = None, hi: float | None = None, *, integer: bool = False, unit: str = "",
                 lo_open: bool = False) -> str:
    """What is allowed, in words: ``an integer from 0 to 10 (NRS)``, ``a finite number >= 0 mm``."""
    kind = "an integer" if integer else "a finite number"
    u = f" {unit}" if unit else ""
    if lo is not None and hi is not None:
        return f"{kind} from {_g(lo)}{' (exclusive)' if lo_open else ''} to {_g(hi)}{u}"
    if lo is not None:
        return f"{kind} {'>' if lo_open else '>='} {_g(lo)}{u}"
    if hi is not None:
        return f"{kind} <= {_g(hi)}{u}"
    return kind + u


def shown(value: Any) -> str:
    """``repr`` of a value for a message, shortened (a 5000-digit integer or a long string)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        s = str(value)
        return f"{s[:12]}...({len(s.lstrip('-'))} digits)"
    r = repr(value)
    return r if len(r) <= 80 else r[:77] + "..."


def check_number(name: str, value: Any, lo: float | None = None, hi: float | None = None, *,
                 integer: bool = False, unit: str = "", lo_open: bool = False,
                 source: str | None = None) -> float | int:
    """``value`` as float (int if ``integer``), or :class:`ParameterError` naming ``source: name = value``."""
    if not number_ok(value, lo, hi, integer=integer, lo_open=lo_open):
        raise ParameterError(name, _Shown(shown(value)), allowed_text(lo, hi, integer=integer, unit=unit, lo_open=lo_open),
                             source=source)
    return int(value) if integer else float(value)


class _Shown(str):
    """A shortened value whose repr is itself (so ParameterError prints it unquoted)."""

    def __repr__(self) -> str:
        return str(self)
