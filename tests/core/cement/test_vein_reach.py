"""``benchmarks/cement_vein_reach.py``: the segmental-channel diagnosis runs the calibration's injections.

Oracles: the calibration protocol itself (``calibration.run_seed``, an independent code path with the
same seeds) for which leaks each run ends with; the anatomy (a vein system that does not drain the body
cannot be entered); counts of a hand-built list of runs.
"""

import pytest
from bench_loader import load_benchmark

from trainer.core.procedure.cement.calibration import CONDITIONS, run_seed


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("cement_vein_reach")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_run_ends_with_the_leaks_the_calibration_protocol_books(bench, seed):
    got = bench.run_seed("off_midline_7mm", seed)
    kinds = run_seed(CONDITIONS["off_midline_7mm"], seed)[0.5]["kinds"]
    assert got["S_leak"] == ("S" in kinds)
    assert got["B_leak"] == ("B" in kinds)
    # a vein system that does not drain the body is never entered, and cement in a leak came through a vein
    for v in ("S", "B"):
        assert got[f"{v}_open"] or not got[f"{v}_entered"]
        assert got[f"{v}_entered"] or not got[f"{v}_leak"]
    # the tip is 7 mm further out than the expert's 4 mm, so the body cement reaches at least that far out
    assert got["reach_mm"] >= 10.0 and got["gap_mm"] >= 0.0


def test_the_summary_counts_a_hand_built_list_of_runs(bench):
    runs = [{"reach_mm": r, "gap_mm": g, "S_open": so, "S_entered": se, "S_leak": sl, "B_open": True,
             "B_entered": be, "B_leak": False}
            for r, g, so, se, sl, be in [(15.0, 0.5, True, True, True, True), (17.0, 2.5, True, False, False, False),
                                         (16.0, 1.5, False, False, False, True)]]
    line = bench.summary_line("x", runs)
    assert line.startswith("x (3 seeds): reach 16.0 ")
    assert "gap to a segmental channel 1.5 " in line
    assert "S drains in 2, entered in 1, leaked in 1" in line
    assert "B drains in 3, entered in 2, leaked in 0" in line


def test_an_unknown_row_is_one_line_and_exit_2(bench, capsys):
    assert bench.main(["--rows", "expert,no_such_row", "--seeds", "1"]) == 2
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "no_such_row" in out[0]
