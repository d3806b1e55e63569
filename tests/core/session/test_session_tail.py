"""Where a session file's last whole line ends, read backwards a block at a time (round 28).

The reader's tail check read the last line's longest allowed length (``MAX_JSON_LINE_BYTES``) in one piece, so for
any session shorter than that the whole file sat in memory at once, and an assessment's traced peak grew with the
session's length (tests/core/session/test_streamed_assess.py, seen once the renderer volumes stopped dominating
the peak).  Oracle: ``bytes.rfind`` over the whole file's last ``MAX_JSON_LINE_BYTES + 2`` bytes.
"""

from __future__ import annotations

import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.parse_limits import MAX_JSON_LINE_BYTES
from trainer.core.session import reader


def _oracle(data: bytes) -> tuple[int, bool]:
    window = data[-(MAX_JSON_LINE_BYTES + 2):]
    i = window.rfind(b"\n")
    good = len(data) - len(window) + i + 1 if i >= 0 else 0
    return good, good < len(data)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"x")), max_size=12),
       fragment=st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"y")))
def test_the_tail_is_the_end_of_the_last_whole_line(tmp_path_factory, lines, fragment):
    data = b"".join(line + b"\n" for line in lines) + fragment
    p = tmp_path_factory.mktemp("tail") / "s.jsonl"
    p.write_bytes(data)
    old = reader._TAIL_BLOCK_BYTES
    try:
        for block in (1, 7, 64 * 1024):          # blocks far shorter than the lines, and the product's
            reader._TAIL_BLOCK_BYTES = block
            assert reader._tail(p) == _oracle(data), (block, data)
    finally:
        reader._TAIL_BLOCK_BYTES = old


def test_no_newline_within_the_longest_line_reads_no_whole_line(tmp_path):
    data = b'{"a": 1}\n' + b"z" * (MAX_JSON_LINE_BYTES + 2)
    p = tmp_path / "s.jsonl"
    p.write_bytes(data)
    assert reader._tail(p) == (0, True) == _oracle(data)


def test_the_tail_of_a_long_session_reads_about_one_block(tmp_path):
    line = b'{"kind": "action", "seq": 1, "action": {"type": "wait", "s": 0.5}, "accepted": true}\n'
    data = line * 20_000                                        # 1.7 MB
    p = tmp_path / "s.jsonl"
    p.write_bytes(data)
    tracemalloc.start()
    try:
        got = reader._tail(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == (len(data), False)
    assert peak < 3 * reader._TAIL_BLOCK_BYTES, peak          # one read of the whole line limit before
