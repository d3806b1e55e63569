"""The CSV formula guard (:mod:`trainer.core.csv_cells`), read back with the stdlib csv module."""

import csv
import io

import pytest

from trainer.core.csv_cells import safe_cell, safe_row


@pytest.mark.parametrize("text", ["=1+2", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("a","b")'])
def test_a_text_a_spreadsheet_would_run_is_written_behind_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-1.5, -3, 0, "", "a=b", "WARNING: x | note: y", "/tmp/-x", None, True])
def test_numbers_and_other_texts_are_kept(value):
    assert safe_cell(value) is value


def test_a_row_reads_back_whole():
    row = ["=cmd|' /C calc'!A0", 'a "quoted", text\nover two lines', -0.25, "@x"]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(safe_row(row))
    (back,) = csv.reader(io.StringIO(buf.getvalue(), newline=""))
    assert back == ["'=cmd|' /C calc'!A0", 'a "quoted", text\nover two lines', "-0.25", "'@x"]
