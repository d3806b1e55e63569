"""Files in a batch folder that are not sessions: a named pipe and a few bytes without a line end (round 40,
hostile40).

``vptrainer assess DIR --csv OUT.csv`` looks at each ``*.jsonl``'s first line to skip action plans.  That look
opened a FIFO, which waits for a writer: the batch froze before writing its CSV (the one-session ``assess FIFO``
already refused it, naming it, without opening it).  And a file holding bytes but no line end (a header cut off
while written, or binary junk) was "empty session file".

Oracles: whether anything opened the FIFO, told by a writer thread whose own open returns only when a reader
opens it; one-session ``assess FILE``'s one-line error as the batch row's ``message``; the file's size from
:func:`os.stat`; the CSV read back with the stdlib :mod:`csv` module.
"""

import csv
import os
import threading

from assess_cases import edit_title, run_assess, session_on_a_copy


def _rows(path) -> dict:
    with open(path, newline="", encoding="utf-8") as fh:
        return {os.path.basename(r["path"]): r for r in csv.DictReader(fh)}


def test_a_fifo_in_a_batch_folder_is_reported_without_being_opened(tmp_path, capsys):
    _toml, carl = session_on_a_copy(tmp_path)
    fifo = carl.parent / "pipe.jsonl"
    os.mkfifo(fifo)
    opened, done = threading.Event(), threading.Event()

    def writer():                       # its open returns only once something opens the FIFO to read it
        with open(fifo, "wb"):
            opened.set()
        done.set()

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        rc, _out, err = run_assess(capsys, carl.parent, "--csv", tmp_path / "out.csv")
        assert not opened.is_set()                     # failed before: the plan check opened it (and froze alone)
    finally:
        if not done.is_set():           # let the writer go: open the read end without waiting for it
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        t.join()
    rc1, _out, err1 = run_assess(capsys, fifo)
    said = err1.strip().removeprefix("vptrainer: error: ")
    assert rc1 == 2
    assert said == f"{fifo}: cannot read the session file: it is a FIFO (named pipe); expected a regular file"
    rows = _rows(tmp_path / "out.csv")
    assert rc == 2 and (rows["pipe.jsonl"]["status"], rows["pipe.jsonl"]["message"]) == ("error", said), err
    assert rows["carl.jsonl"]["status"] == "unfinished"


def test_bytes_without_a_line_end_are_not_called_an_empty_file(tmp_path, capsys):
    junk = tmp_path / "junk.jsonl"
    junk.write_bytes(b"\x00\xff garbage")
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    rc, _out, err = run_assess(capsys, junk)
    said = err.strip().removeprefix("vptrainer: error: ")
    assert rc == 2 and "\n" not in said
    # failed before: "junk.jsonl: empty session file (no header line)" for a file of 10 bytes
    assert said.startswith(f"{junk}: no whole header line ({os.stat(junk).st_size} bytes without a line end)")
    rc, _out, err = run_assess(capsys, empty)
    assert rc == 2 and err.strip() == f"vptrainer: error: {empty}: empty session file (no header line)"


def test_a_newline_in_a_session_s_path_keeps_each_stderr_line_one_line(tmp_path, capsys):
    """A session in a folder whose name holds a newline (made by a script): the case warning names the session by
    its absolute path (round 40), and one-session ``assess`` printed it over two lines; the batch's TAMPERED line
    too.  Each is one line now, the newline written ``\\n``; the CSV keeps the path as it is (the stdlib reader
    reads it back whole)."""
    toml, carl = session_on_a_copy(tmp_path, folder_name="odd\nname")
    edit_title(toml)
    capsys.readouterr()
    rc, _out, err = run_assess(capsys, carl)
    lines = err.splitlines()
    assert rc == 3 and all(ln.startswith("vptrainer assess: ") for ln in lines), lines   # failed before: split
    (warning,) = [ln for ln in lines if ln.startswith("vptrainer assess: WARNING: ")]
    assert f"since {str(carl).replace(chr(10), chr(92) + 'n')} was recorded" in warning
    lines = carl.read_bytes().split(b"\n")
    (carl.parent / "edited.jsonl").write_bytes(b"\n".join([*lines[:2], lines[2].replace(b'"ap"', b'"lateral"'),
                                                          *lines[3:]]))
    rc, _out, err = run_assess(capsys, carl.parent, "--csv", tmp_path / "out.csv")
    assert rc == 2 and all(ln.startswith("vptrainer assess: ") for ln in err.splitlines()), err
    rows = _rows(tmp_path / "out.csv")
    assert rows["edited.jsonl"]["status"] == "tampered" and rows["edited.jsonl"]["path"] == str(carl.parent /
                                                                                               "edited.jsonl")
