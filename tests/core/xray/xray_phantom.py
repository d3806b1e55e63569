"""A small analytic spine phantom built directly on Grid/Volume (no anatomy builder).

Fine 0.5 mm box around a vertebra (body with cortical shell, pedicles, posterior arch,
adjacent vertebrae and discs) inside a coarse 2 mm torso that is empty inside the fine
box, as the Patient contract requires.  Used by the closed-form and accuracy tests.
"""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.anatomy.patient import Patient

FINE_LO = (-40.0, -32.0, -44.0)
FINE_HI = (40.0, 72.0, 44.0)


def _axes(grid: Grid):
    x = grid.axis_mm("x")[None, None, :]
    y = grid.axis_mm("y")[None, :, None]
    z = grid.axis_mm("z")[:, None, None]
    return x, y, z


def _torso(x, y, z):
    hu = np.full(np.broadcast(x, y, z).shape, -1000, np.int16)
    e = ((x / 150.0) ** 2 + ((y + 30.0) / 110.0) ** 2)
    hu[np.broadcast_to(e <= 1.0, hu.shape)] = -90
    inner = ((x / 135.0) ** 2 + ((y + 30.0) / 95.0) ** 2) <= 1.0
    hu[np.broadcast_to(inner, hu.shape)] = 40
    return hu


def _vertebra(hu, x, y, z, zc, trab_hu, wedge=0.0):
    """Paint a vertebra centred at height ``zc`` (mm)."""
    top = 13.0 - wedge * np.clip((16.0 - y) / 32.0, 0, 1) * 26.0   # anterior height loss
    body = ((x / 22.0) ** 2 + (y / 16.0) ** 2 <= 1.0) & (z - zc >= -13.0) & (z - zc <= top)
    core = ((x / 20.8) ** 2 + (y / 14.8) ** 2 <= 1.0) & (z - zc >= -11.8) & (z - zc <= top - 1.2)
    hu[body] = 1200
    hu[core] = trab_hu
    for sx in (-1.0, 1.0):
        ped = (((x - sx * 14.0) / 4.5) ** 2 + ((z - zc - 4.0) / 7.5) ** 2 <= 1.0) & (y > 12.0) & (y < 32.0)
        ped_core = (((x - sx * 14.0) / 3.0) ** 2 + ((z - zc - 4.0) / 6.0) ** 2 <= 1.0) & (y > 14.0) & (y < 30.0)
        hu[ped] = 1100
        hu[ped_core] = trab_hu + 60
    lamina = (np.abs(x) < 15.0) & (y >= 30.0) & (y < 36.0) & (np.abs(z - zc) < 10.0)
    spinous = (np.abs(x) < 3.0) & (y >= 30.0) & (y < 62.0) & (z - zc > -12.0) & (z - zc < 6.0)
    hu[lamina | spinous] = 900


def make_phantom(trab_hu: int = 100, wedge: float = 0.3, fine_mm: float = 0.5, coarse_mm: float = 2.0) -> Patient:
    """Build the phantom patient (origin at the target body centre, LPS, prone)."""
    lo = np.array(FINE_LO) + fine_mm / 2
    hi = np.array(FINE_HI) - fine_mm / 2
    fg = Grid.from_bounds(lo, hi, fine_mm)
    x, y, z = _axes(fg)
    hu = np.broadcast_to(_torso(x, y, z), fg.shape).copy()
    disc = ((x / 22.0) ** 2 + (y / 16.0) ** 2 <= 1.0)
    for zc in (-18.0, 18.0):
        hu[np.broadcast_to(disc & (np.abs(z - zc) < 5.0), hu.shape)] = 80
    for zc in (-36.0, 36.0):
        _vertebra(hu, *np.broadcast_arrays(x, y, z), zc=zc, trab_hu=trab_hu + 40)
    _vertebra(hu, *np.broadcast_arrays(x, y, z), zc=0.0, trab_hu=trab_hu, wedge=wedge)
    labels = np.where(hu > -500, 3, 0).astype(np.uint8)
    fine = Volume(hu, labels, fg)

    clo = np.array([-160.0, -150.0, -120.0]) + coarse_mm / 2
    chi = np.array([160.0, 100.0, 120.0]) - coarse_mm / 2
    cg = Grid.from_bounds(clo, chi, coarse_mm)
    x, y, z = _axes(cg)
    chu = np.broadcast_to(_torso(x, y, z), cg.shape).copy()
    X, Y, Z = np.broadcast_arrays(x, y, z)
    for zc in (-108.0, -72.0, 72.0, 108.0):
        _vertebra(chu, X, Y, Z, zc=zc, trab_hu=trab_hu + 40)
    inside = ((FINE_LO[0] < X) & (FINE_HI[0] > X) & (FINE_LO[1] < Y) & (FINE_HI[1] > Y)
              & (FINE_LO[2] < Z) & (FINE_HI[2] > Z))
    chu[inside] = -1000
    context = Volume(chu, np.where(chu > -500, 3, 0).astype(np.uint8), cg)
    return Patient(volume=fine, landmarks=None, context=[context], source="test phantom")
