"""The real-CT tests' shared builds (``realct_memo``) and the averaged slices' label rule (``realct_sources``):
a kept result is the one the same inputs built, never another's, and the one-sort majority is the rule the
docstring states (the label more than half of a slab's slices hold, else the tie)."""

from __future__ import annotations

import numpy as np
import pytest
import realct_memo
import realct_sources as sources
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.anatomy.grid import Grid


def test_a_kept_result_is_read_back_only_for_the_same_inputs(tmp_path, monkeypatch):
    monkeypatch.setenv(realct_memo.ENV_DIR, str(tmp_path))
    built = []

    def build(a, tag):
        built.append(tag)
        return {"sum": int(a.sum()), "tag": tag, "a": a.copy()}

    a = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    grid = Grid((2, 3, 4), (1.0, 1.0, 2.5), (0.0, 0.0, 0.0))
    first = realct_memo.memo("t", (a, grid, 20.0), lambda: build(a, "first"))
    again = realct_memo.memo("t", (a.copy(), grid, 20.0), lambda: build(a, "again"))
    assert built == ["first"] and again["tag"] == first["tag"] == "first" and again["sum"] == int(a.sum())
    assert again is not first
    again["a"][...] = 0                                         # a caller's copy is its own
    assert realct_memo.memo("t", (a, grid, 20.0), lambda: build(a, "third"))["a"].sum() == a.sum()
    # anything that shapes the result is part of the key: one voxel, the dtype, the grid, an argument's type
    b = a.copy()
    b[1, 2, 3] += 1
    other_grid = Grid((2, 3, 4), (1.0, 1.0, 5.0), (0.0, 0.0, 0.0))
    for parts, tag in (((b, grid, 20.0), "voxel"), ((a.astype(np.int32), grid, 20.0), "dtype"),
                       ((a, other_grid, 20.0), "grid"), ((a, grid, 20), "int angle"), ((a, grid, -20.0), "angle")):
        realct_memo.memo("t", parts, lambda tag=tag: build(a, tag))
    assert built == ["first", "voxel", "dtype", "grid", "int angle", "angle"]
    assert not list(tmp_path.glob("*.part"))                    # every entry renamed into place


def test_an_unreadable_entry_is_built_again_and_a_lost_folder_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(realct_memo.ENV_DIR, str(tmp_path))
    assert realct_memo.memo("t", (1.0,), lambda: "built") == "built"
    (entry,) = tmp_path.glob("t-*.pickle")
    entry.write_bytes(entry.read_bytes()[:5])                   # truncated
    assert realct_memo.memo("t", (1.0,), lambda: "again") == "again"
    assert realct_memo.memo("t", (1.0,), lambda: "third") == "again"    # written over
    monkeypatch.setenv(realct_memo.ENV_DIR, str(tmp_path / "gone"))
    assert realct_memo.memo("t", (1.0,), lambda: "no folder") == "no folder"


def test_without_the_run_folder_nothing_is_kept(monkeypatch):
    monkeypatch.delenv(realct_memo.ENV_DIR, raising=False)
    built = []
    for _ in range(2):
        realct_memo.memo("t", (1.0,), lambda: built.append(1))
    assert built == [1, 1]


def test_an_input_without_a_digest_is_refused():
    with pytest.raises(TypeError, match="no digest for object"):
        realct_memo.digest(object())


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 5), st.integers(1, 4), st.randoms(use_true_random=False))
def test_averaged_slices_take_the_label_more_than_half_hold(n, slabs, rnd):
    labels = np.array([[[rnd.choice((0, 7, 9, 31)) for _ in range(3)] for _ in range(2)]
                       for _ in range(n * slabs)], np.uint8)
    ct = sources.RealCT("t", np.zeros(labels.shape, np.int16), labels,
                        Grid(labels.shape, (1.0, 1.0, 2.5), (0.0, 0.0, 0.0)), "test")
    out = sources.thick(ct, n).labels
    for s in range(slabs):
        for j in range(2):
            for i in range(3):
                held = list(labels[s * n:(s + 1) * n, j, i])
                winner = [v for v in set(held) if held.count(v) * 2 > n]
                assert out[s, j, i] == (winner[0] if winner else sources.TIE), (held, out[s, j, i])
