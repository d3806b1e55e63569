"""``benchmarks/cement_calibration.py --set key=value``: the sweep overrides reach the model.

Oracle: a vein system that never drains the body (``closed_p = 1``, docs/cement.md "Veins")
cannot carry a venous leak, so a bone that leaks through its basivertebral vein with the
asset values leaks no B or S cement once both systems are closed by an override.
"""

import sys
from dataclasses import replace

import pytest
from bench_loader import load_benchmark

from trainer.core.procedure.cement.calibration import CONDITIONS, run_seed
from trainer.core.scenario.rheology import load_config

_B = "flow.tissue.basivertebral_vein.closed_p"
_S = "flow.tissue.segmental_vein.closed_p"


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("cement_calibration")


def test_an_override_closing_both_vein_systems_removes_the_venous_leak(bench):
    cond = replace(CONDITIONS["expert"], total_ml=2.0)
    assert "B" in run_seed(cond, 0)[2.0]["kinds"]          # this bone leaks through its basivertebral vein
    tissue = load_config()["flow"]["tissue"]
    before = (tissue["basivertebral_vein"]["closed_p"], tissue["segmental_vein"]["closed_p"])
    sets = bench.parse_sets([f"{_B}=1", f"{_S}=1.0"])
    assert sets == [(_B.split("."), 1.0), (_S.split("."), 1.0)]
    try:
        bench.apply_sets(sets)
        kinds = run_seed(cond, 0)[2.0]["kinds"]
    finally:
        bench.apply_sets([(_B.split("."), before[0]), (_S.split("."), before[1])])
    assert not kinds & {"B", "S"}
    assert "B" in run_seed(cond, 0)[2.0]["kinds"]          # restored: the cached config is shared


@pytest.mark.parametrize("item", ["flow.tissue.nope.closed_p=1", "flowx", "flow.noise_sigma=abc",
                                  "flow.tissue.cancellous.nope=1", "flow.tissue=1"])
def test_a_bad_override_is_a_one_line_error_and_exit_2(bench, item, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["cement_calibration.py", "--seeds", "1", "--only", "expert", "--set", item])
    assert bench.main() == 2
    out = capsys.readouterr().out.strip()
    assert out.startswith("error: --set") and "\n" not in out
