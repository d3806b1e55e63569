"""Text made one printable line: control characters written as Python escapes.

A message names files and folders as the user's disk spells them, and a name may hold a newline,
a carriage return or a tab (a folder ``a\\nb`` made by a script, a name pasted from a document).
Printed as it is, the command line's one-line error broke over several lines, and a carriage return
overwrote its start on a terminal (hostile30, dedup33).  :func:`one_line` writes every character
that is not printable (Unicode categories "Other" and "Separator" but the space: C0 and C1 controls,
DEL, line and paragraph separators, a lone surrogate of an undecodable file name) as ``repr`` writes
it (``\\n``, ``\\r``, ``\\t``, ``\\x1b``, ``\\u2028``, ``\\udcff``); every other character, backslashes
and quotes too, stays as it is, so a Windows path or a DICOM value ``1\\0\\0`` reads unchanged.

A file written as UTF-8 text (a CSV, an HTML report) keeps its lines but cannot hold a lone surrogate: a session
named with a byte that is not UTF-8 (``bad\\xff.jsonl``), or read through a link to such a name, stopped
``assess --csv`` and ``assess --html`` with a UnicodeEncodeError traceback (hostile41).  :func:`utf8_text` writes
only those characters as their escapes, as the stderr line names them.
"""

from __future__ import annotations

__all__ = ["one_line", "utf8_text"]


def one_line(text: str) -> str:
    """``text`` with each non-printable character (but the space) written as its Python escape.

    Parameters
    ----------
    text : str
        A message, e.g. a :class:`~trainer.core.errors.VPTrainerError`'s.

    Returns
    -------
    str
        One line: no newline, carriage return or other control character remains.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


def utf8_text(text: str) -> str:
    """``text`` with each lone surrogate (an undecodable byte of a file name) written as its Python escape.

    Parameters
    ----------
    text : str
        Text for a UTF-8 file: a CSV cell, an HTML report.

    Returns
    -------
    str
        Text UTF-8 can encode; newlines, tabs and every other character as they are (``bad\\udcff.jsonl`` for
        the name ``bad\\xff.jsonl``, as :func:`one_line` writes it on stderr).
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(repr(ch)[1:-1] if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    return text
