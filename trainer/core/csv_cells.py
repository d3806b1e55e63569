"""CSV cells a spreadsheet reads as text: the one guard of every CSV vptrainer writes (``assess --csv``,
``progress --csv``, the cohort view's *Export CSV…*).

A text cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some spreadsheets
skip before one of them) is read by Excel, LibreOffice and Google Sheets as a formula when the file is opened
(CSV/formula injection, OWASP).  Trainee names, case titles, session paths and assessment notes come from files
anyone can write (``--trainee '=HYPERLINK(...)'``), so such a cell is written with a leading apostrophe, which
the spreadsheet shows as text and hides.  Numbers (a negative trend, a CUSUM value) are not text and are written as
they are; quotes, commas and newlines inside a cell are the :mod:`csv` module's quoting.  Until round 39 no CSV
guarded its cells.  A lone surrogate (an undecodable byte of a session's file name) is written as its escape,
``\\udcff``, as stderr names it (:func:`~trainer.core.one_line.utf8_text`): until round 41 it stopped the CSV's UTF-8
write with a traceback.
"""

from __future__ import annotations

from trainer.core.one_line import utf8_text

__all__ = ["FORMULA_STARTS", "safe_cell", "safe_row"]

#: the first characters that make a spreadsheet read a cell as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """``value`` as it is, or a text starting with one of :data:`FORMULA_STARTS` behind an apostrophe; a text's
    lone surrogates written as their escapes (:func:`~trainer.core.one_line.utf8_text`)."""
    if not isinstance(value, str):
        return value
    value = utf8_text(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def safe_row(values) -> list:
    """:func:`safe_cell` of each value."""
    return [safe_cell(v) for v in values]
