"""Linear attenuation of the materials in the picture, at a given photon energy.

* Anatomy is described by CT numbers only (so CT-derived patients work the same way):
  HU <= 0 is an air/water mixture, HU > 0 a water/cortical-bone mixture whose bone
  fraction reproduces the HU at the CT's effective energy (the usual bilinear model).
* Cement is PMMA + BaSO4 (default 20 wt% BaSO4 in the cured cement: a "30 wt% BaSO4 in
  powder" vertebroplasty cement holds about 19 wt%, FACTS.md 1.5), mixed by mass for
  mu/rho and by volume for density.
* The trocar is stainless steel (density 7.9 g/cm3, FACTS.md 5.3).

Mass attenuation coefficients are read from ``assets/attenuation.csv`` (FACTS.md 5.3)
and interpolated log-log in energy.  All linear coefficients returned here are per mm.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from trainer import ASSETS_DIR
from trainer.core.errors import ParameterError

__all__ = ["mass_attenuation_cm2_g", "density_g_cm3", "mu_per_mm", "HuModel", "hu_model",
           "cement_mu_per_mm", "steel_mu_per_mm", "CT_EFFECTIVE_KEV", "CEMENT_BASO4_WT"]

#: Effective energy of a 120 kVp diagnostic CT, at which HU are defined (FACTS.md 1.5 uses
#: 70 keV for its cortical-bone HU estimate).
CT_EFFECTIVE_KEV = 70.0
#: Default BaSO4 mass fraction of cured cement (FACTS.md 1.5, Lewis et al. 2007: about 19 wt%).
CEMENT_BASO4_WT = 0.20
_ENERGY_RANGE = (30.0, 100.0)


@lru_cache(maxsize=1)
def _table() -> tuple[np.ndarray, dict, dict]:
    path = ASSETS_DIR / "attenuation.csv"
    rows = [r for r in path.read_text(encoding="utf-8").splitlines() if r and not r.startswith("#")]
    reader = csv.reader(rows)
    header = next(reader)
    kev = np.array([float(h[3:]) for h in header[2:]])
    mu_rho, dens = {}, {}
    for r in reader:
        mu_rho[r[0]] = np.array([float(v) for v in r[2:]])
        if r[1]:
            dens[r[0]] = float(r[1])
    return kev, mu_rho, dens


def _check_kev(kev: float) -> float:
    if not (_ENERGY_RANGE[0] <= kev <= _ENERGY_RANGE[1]):
        raise ParameterError("energy_kev", kev, f"{_ENERGY_RANGE[0]:g} to {_ENERGY_RANGE[1]:g} keV "
                             "(the range of assets/attenuation.csv)")
    return float(kev)


def mass_attenuation_cm2_g(material: str, kev: float) -> float:
    """mu/rho (cm^2/g) of a tabulated material at ``kev`` (log-log interpolation).

    Parameters
    ----------
    material : str
        A row of ``assets/attenuation.csv``, e.g. ``'water'``, ``'cortical_bone'``, ``'baso4'``.
    kev : float
        Photon energy, 30 to 100 keV.  (Interpolation across the Ba K-edge at 37.4 keV is
        not meaningful; beam effective energies are 40-52 keV.)
    """
    energies, table, _ = _table()
    if material not in table:
        raise ParameterError("material", material, f"one of {', '.join(sorted(table))}")
    kev = _check_kev(kev)
    return float(np.exp(np.interp(np.log(kev), np.log(energies), np.log(table[material]))))


def density_g_cm3(material: str) -> float:
    """Density (g/cm^3) of a tabulated material (FACTS.md 5.3)."""
    _, _, dens = _table()
    if material not in dens:
        raise ParameterError("material", material, f"one of {', '.join(sorted(dens))} (materials with a density)")
    return dens[material]


def mu_per_mm(material: str, kev: float) -> float:
    """Linear attenuation coefficient (1/mm) of a tabulated material at its tabulated density."""
    return mass_attenuation_cm2_g(material, kev) * density_g_cm3(material) / 10.0


def cement_mu_per_mm(kev: float, baso4_wt: float = CEMENT_BASO4_WT) -> float:
    """Linear attenuation (1/mm) of cured PMMA cement with ``baso4_wt`` mass fraction of BaSO4.

    mu/rho follows the mixture rule by mass; the density mixes PMMA (1.19) and BaSO4 (4.5)
    by volume (FACTS.md 1.5 and 5.3).
    """
    if not (0.0 <= baso4_wt <= 0.4):
        raise ParameterError("baso4_wt", baso4_wt, "0 to 0.4 (FACTS.md 1.5: 10-40 % BaSO4)")
    w = float(baso4_wt)
    mr = w * mass_attenuation_cm2_g("baso4", kev) + (1 - w) * mass_attenuation_cm2_g("pmma", kev)
    rho = 1.0 / (w / density_g_cm3("baso4") + (1 - w) / density_g_cm3("pmma"))
    return mr * rho / 10.0


def steel_mu_per_mm(kev: float) -> float:
    """Linear attenuation (1/mm) of the stainless-steel trocar."""
    return mu_per_mm("stainless_steel", kev)


@dataclass(frozen=True)
class HuModel:
    """Piecewise-linear HU -> mu (1/mm) at one beam energy.

    ``mu = water * (1 + min(HU, 0) / 1000) + bone_slope * max(HU, 0)``, clipped at 0.
    """

    kev: float
    water_per_mm: float
    bone_slope_per_mm_hu: float

    def mu(self, hu) -> np.ndarray:
        """Linear attenuation (1/mm, float32) for CT numbers ``hu`` (any shape)."""
        h = np.asarray(hu, np.float32)
        neg = np.minimum(h, 0.0)
        pos = np.maximum(h, 0.0)
        out = (np.float32(self.water_per_mm) * (1.0 + neg * np.float32(1e-3))
               + np.float32(self.bone_slope_per_mm_hu) * pos)
        return np.maximum(out, 0.0, dtype=np.float32)

    def table(self, hu_min: int = -1024, hu_max: int = 4095) -> np.ndarray:
        """Lookup table ``mu[hu - hu_min]`` for integer HU (float32)."""
        return self.mu(np.arange(hu_min, hu_max + 1))


@lru_cache(maxsize=16)
def hu_model(kev: float) -> HuModel:
    """The HU -> mu model at beam energy ``kev``.

    Bone HU at the CT energy: ``HU_bone = 1000 (mu_bone - mu_water) / mu_water`` at
    :data:`CT_EFFECTIVE_KEV` (about 1560 HU for ICRU-44 cortical bone, FACTS.md 1.5), so a
    voxel of ``HU`` > 0 holds a bone volume fraction ``HU / HU_bone``.
    """
    w_ct = mu_per_mm("water", CT_EFFECTIVE_KEV)
    b_ct = mu_per_mm("cortical_bone", CT_EFFECTIVE_KEV)
    hu_bone = 1000.0 * (b_ct - w_ct) / w_ct
    w = mu_per_mm("water", kev)
    b = mu_per_mm("cortical_bone", kev)
    return HuModel(float(kev), w, (b - w) / hu_bone)
