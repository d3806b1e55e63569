"""Does the cement reach a segmental vein's channel? Per calibration row (issue 14, docs/cement.md, round 10).

For each row of ``trainer.core.procedure.cement.calibration.CONDITIONS`` and each seed, the row's
injection is run as the calibration runs it (same tips, pushes and rng streams; no radiograph
reader) and, at the end, reported:

* the lateral reach of the body cement: the largest distance from the midline (mm) of cement in
  cancellous bone or cleft on the injected side;
* the gap: the smallest centre-to-centre distance (mm) between that cement and a segmental-vein
  voxel inside the body envelope (the nutrient channel; 0.5 mm = the next voxel);
* in the bones whose segmental system drains (``FlowField.veins_open["S"]``): how many had cement in
  a segmental channel voxel, and how many ended with an S leak; the same for the basivertebral vein.

Usage: ``PYTHONPATH=. nice python benchmarks/cement_vein_reach.py --rows expert,l3_crush --seeds 60 [--jobs 2]``.
Deterministic: the same seeds give the same numbers.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy.spatial import cKDTree

from trainer.core.procedure.cement.calibration import CONDITIONS, STEP_ML, patient_of, start_run
from trainer.core.procedure.cement.domain import BVEIN, CANC, CLEFT, SVEIN
from trainer.core.procedure.cement.flow import VoxelState


def _xyz(dom, flat: np.ndarray) -> np.ndarray:
    k, j, i = np.unravel_index(flat, dom.shape)
    return np.stack([dom.x_mm[i], dom.y_mm[j], dom.z_mm[k]], axis=1)


def run_seed(name: str, seed: int) -> dict:
    """One run of row ``name``: reach (mm), gap (mm), which veins drained, were entered and leaked."""
    cond = CONDITIONS[name]
    patient = patient_of(cond.scenario)
    m, pushes = start_run(cond, seed)
    for push in pushes:
        m.inject(STEP_ML, push.tip_mm, push.time_s)
    tip0 = pushes[-1].start_mm
    dom, flow = m.domain, m.flow
    filled = np.flatnonzero(np.frombuffer(bytes(flow.state), np.uint8) == VoxelState.FILLED)
    bone = filled[np.isin(dom.cls[filled], (CANC, CLEFT)) & dom.in_body[filled]]
    cx = float(patient.landmarks.body_centre_mm[0])
    side = 1.0 if tip0[0] >= cx else -1.0
    pts = _xyz(dom, bone)
    channel = np.flatnonzero((dom.cls == SVEIN) & dom.envelope)
    gap = float(cKDTree(_xyz(dom, channel)).query(pts)[0].min()) if channel.size and bone.size else float("inf")
    kinds = {k for lk in m.leaks for k in lk.kinds}
    cls_filled = dom.cls[filled]
    return {"reach_mm": float(((pts[:, 0] - cx) * side).max()) if bone.size else 0.0, "gap_mm": gap,
            "S_open": flow.veins_open["S"], "B_open": flow.veins_open["B"],
            "S_entered": bool((cls_filled == SVEIN).any()), "B_entered": bool((cls_filled == BVEIN).any()),
            "S_leak": "S" in kinds, "B_leak": "B" in kinds}


def summary_line(name: str, runs: list[dict]) -> str:
    """One line of medians (10th-90th percentile) and counts for row ``name``."""
    def spread(key):
        v = np.array([r[key] for r in runs])
        return f"{np.median(v):.1f} ({np.percentile(v, 10):.1f}-{np.percentile(v, 90):.1f})"
    parts = [f"{name} ({len(runs)} seeds): reach {spread('reach_mm')} mm, gap to a segmental channel {spread('gap_mm')} mm"]
    for v in ("S", "B"):
        drained = [r for r in runs if r[f"{v}_open"]]
        parts.append(f"{v} drains in {len(drained)}, entered in {sum(r[f'{v}_entered'] for r in drained)}, "
                     f"leaked in {sum(r[f'{v}_leak'] for r in drained)}")
    return "; ".join(parts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="expert,l3_crush,l4_fill_15pct,l4_wide_pedicles,t12_bipedicular,cleft")
    ap.add_argument("--seeds", type=int, default=60)
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args(argv)
    rows = [r for r in args.rows.split(",") if r]
    unknown = [r for r in rows if r not in CONDITIONS]
    if unknown or args.seeds < 1 or args.jobs < 1:
        print(f"error: --rows {','.join(unknown) or args.rows}: rows are {', '.join(CONDITIONS)}; "
              f"--seeds and --jobs must be at least 1 (got {args.seeds}, {args.jobs})")
        return 2
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            futures = {n: [pool.submit(run_seed, n, s) for s in range(args.seeds)] for n in rows}
            for n in rows:
                print(summary_line(n, [f.result() for f in futures[n]]), flush=True)
    else:
        for n in rows:
            print(summary_line(n, [run_seed(n, s) for s in range(args.seeds)]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
