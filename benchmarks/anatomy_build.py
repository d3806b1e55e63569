"""Benchmark: build the default synthetic patient (L1 Genant 2 wedge, 0.5 mm) - budget 2 s (DESIGN.md section 7).

Also times reading a 300-slice 512 x 512 CT series back in (budget 5 s) when run with --dicom.
Prints one JSON object per measurement: {name, p50_ms, p95_ms, budget_ms, n}.
Usage: .venv/bin/python benchmarks/anatomy_build.py [--n 7] [--dicom]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import numpy as np

from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.params import AnatomyParams


def _stats(name, times_s, budget_ms):
    t = np.asarray(times_s) * 1000.0
    return {"name": name, "p50_ms": round(float(np.percentile(t, 50)), 1),
            "p95_ms": round(float(np.percentile(t, 95)), 1), "budget_ms": budget_ms, "n": int(t.size)}


def bench_build(n: int):
    times = []
    for i in range(n):
        params = AnatomyParams(level="L1", fracture_grade=2.0, morphology="wedge", seed=7 + i, voxel_mm=0.5)
        t0 = time.perf_counter()
        build_patient(params)
        times.append(time.perf_counter() - t0)
    return _stats("anatomy_build_l1_0.5mm", times, 2000)


def bench_dicom(n: int):
    from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
    from trainer.core.anatomy.grid import Grid, Volume

    g = Grid(shape=(300, 512, 512), spacing_xyz_mm=(0.7, 0.7, 1.0), origin_mm=(-180.0, -180.0, -150.0))
    rng = np.random.default_rng(0)
    hu = rng.integers(-1000, 1500, size=g.shape, dtype=np.int16)
    times = []
    with tempfile.TemporaryDirectory() as d:
        write_ct_series(Volume(hu=hu, labels=np.zeros(g.shape, np.uint8), grid=g), d, uid_seed="bench")
        for _ in range(n):
            t0 = time.perf_counter()
            read_ct_series(d)
            times.append(time.perf_counter() - t0)
    return _stats("dicom_read_300x512x512", times, 5000)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=7)
    ap.add_argument("--dicom", action="store_true")
    a = ap.parse_args(argv)
    build_patient(AnatomyParams())  # warm-up (imports, table)
    print(json.dumps(bench_build(a.n)))
    if a.dicom:
        print(json.dumps(bench_dicom(max(1, a.n // 2))))


if __name__ == "__main__":
    main()
