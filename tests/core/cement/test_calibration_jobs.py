"""Running the calibration's seeds in worker processes, and without the model reader, changes no rate.

The slow band test (test_calibration.py) relies on both to fit CI's time: its rows run in two
spawned workers and only the expert row measures the reader.  The oracle is the plain serial
loop over :func:`run_seed` with the reader on, summarised by hand here.
"""

import pytest

from trainer.core.procedure.cement.calibration import CONDITIONS, run_conditions, run_seed

ROWS = {"expert": (2, 0), "high_viscosity": (3,)}         # unsorted seeds: order must be kept


def _serial():
    return {n: [run_seed(CONDITIONS[n], s) for s in seeds] for n, seeds in ROWS.items()}


def test_two_workers_and_no_reader_give_the_serial_rates():
    serial = _serial()
    # the reader measured at 3 mL only, as the band test asks: every rate at every mL is still the serial one
    pooled = run_conditions(ROWS, jobs=2, reader_rows={"expert"}, reader_ml=(3.0,))
    for name, runs in serial.items():
        for vol, got in pooled[name]["at_ml"].items():
            kinds = [r[vol]["kinds"] for r in runs]
            assert got["any"] == sum(bool(k) for k in kinds) / len(runs)
            for t in ("S", "B", "C", "D", "canal"):
                assert got[t] == sum(t in k for k in kinds) / len(runs), (name, vol, t)
            assert got["visible"] == sum(r[vol]["visible"] for r in runs) / len(runs)
            assert got["canal_c_mean"] == pytest.approx(sum(r[vol]["canal_c"] for r in runs) / len(runs), rel=1e-12)
    # the reader's figures: measured on the expert row, absent (not zero) where it was not run
    e3, runs = pooled["expert"]["at_ml"][3.0], [r[3.0] for r in serial["expert"]]
    assert e3["visible_reader"] == sum(r["visible_reader"] for r in runs) / 2
    # ... every one of them at 3 mL (the band test reads these), by hand from the serial runs' d'
    assert any(r["dprime"] for r in runs), "no leak at 3 mL: the reader was not exercised"
    assert e3["ct_per_radiograph_leak"] == sum(len(r["types"]) for r in runs) / max(1, sum(len(r["seen"]) for r in runs))
    for t in ("S", "B", "C", "D"):
        lateral = sum(r["dprime"].get(t, {}).get("lateral", 0.0) >= 5.0 for r in runs)
        assert e3["lateral_seen_share"][t] == lateral / max(1, sum(t in r["types"] for r in runs)), t
    # ... and not at the other mL, where it is absent, not zero
    assert pooled["expert"]["at_ml"][2.0]["visible_reader"] is None
    assert pooled["high_viscosity"]["at_ml"][3.0]["visible_reader"] is None
    assert pooled["high_viscosity"]["at_ml"][3.0]["seen_share"] is None
