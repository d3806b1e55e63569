"""CSV cells a spreadsheet reads as text: the one guard of every CSV vptrainer writes (``assess --csv``,
``progress --csv``, the cohort view's *Export CSV…*).

A text cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some spreadsheets
skip before one of them) is read by Excel, LibreOffice and Google Sheets as a formula when the file is opened
(CSV/formula injection, OWASP).  Trainee names, case titles, session paths and assessment notes come from files
anyone can write (``--trainee '=HYPERLINK(...)'``), so such a cell is written with a leading apostrophe, which
the spreadsheet shows as text and hides.  Numbers (a negative trend, a CUSUM value) are not text and are written as
they are; quotes, commas and newlines inside a cell are the :mod:`csv` module's quoting.  Until round 39 no CSV
guarded its cells.
"""

from __future__ import annotations

__all__ = ["FORMULA_STARTS", "safe_cell", "safe_row"]

#: the first characters that make a spreadsheet read a cell as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """``value`` as it is, or a text starting with one of :data:`FORMULA_STARTS` behind an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values) -> list:
    """:func:`safe_cell` of each value."""
    return [safe_cell(v) for v in values]
