"""benchmarks/pedicle_ovals.py's NumPy DRR and oval regions against hand computations."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from bench_loader import load_benchmark

from trainer.core.xray.geometry import CArmGeometry, Pose, frame_for

po = load_benchmark("pedicle_ovals")


def _grid(n: int, spacing_mm: float):
    """Voxel centre coordinates (x, y, z, mm) of an n^3 grid centred on the isocentre, and its origin."""
    c = (np.arange(n) - (n - 1) / 2) * spacing_mm
    z, y, x = np.meshgrid(c, c, c, indexing="ij")
    return x, y, z, np.full(3, c[0])


def test_water_cube_line_integral_is_chord_times_mu_water():
    # a 100-voxel water cube at 1 mm: voxel centres span 99 mm along the central ray, so mu_water * 99 mm
    x, y, z, origin = _grid(100, 1.0)
    hu = np.zeros(x.shape, np.float32)
    frame = frame_for(CArmGeometry().with_pixels(64), Pose(0.0, 0.0))
    li = po.numpy_drr([(hu, origin, np.ones(3))], frame, 64)
    centre = li[31:33, 31:33].mean()          # the four pixels round the central ray
    assert abs(centre - 0.0206 * 99.0) < 0.03, centre
    assert li[0, 0] == 0.0                    # a corner ray misses the cube (its half width at the source side ~26 px)


def test_bone_tube_along_the_beam_reads_as_a_ring():
    # a tube of cortex (1000 HU, radius 6-8 mm) along the AP beam round water: the ring band (0.75-1.05 of an
    # 8 mm oval) crosses cortex, the core (inside 0.5) water only, beside it (1.3-1.7) nothing but air
    x, y, z, origin = _grid(80, 0.5)
    r = np.hypot(x, z)
    hu = np.where(r <= 8.0, np.where(r >= 6.0, 1000.0, 0.0), -1000.0).astype(np.float32)
    frame = frame_for(CArmGeometry().with_pixels(128), Pose(0.0, 0.0))
    li = po.numpy_drr([(hu, origin, np.full(3, 0.5))], frame, 128)
    pedicle = SimpleNamespace(centre_mm=(0.0, 0.0, 0.0), width_mm=16.0, height_mm=16.0)
    row = po.oval_row({"drr": li}, {"drr": frame}, pedicle)
    # along 39.5 mm: cortex 2 * 0.0206 per mm, water 0.0206 per mm, air 0 (a ring ray grazes some water too)
    assert row["drr_ring-in"] > 0.2, row
    assert row["drr_ring-out"] > 1.0, row
