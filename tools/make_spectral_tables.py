"""Regenerate ``assets/spectra.csv`` and ``assets/spectral_mu.csv`` with SpekPy and xraydb.

The renderer reads these two tables at run time (numpy only, milliseconds), because
SpekPy takes about 2 s to import and 1.3 s per spectrum: too slow for a scenario build.
The tests recompute a few rows with the libraries and compare (tests/core/xray/test_xray_spectrum.py).

* ``spectra.csv``: SpekPy 2.x tungsten-anode spectra (12 deg target, 1 keV bins centred
  at 10.5 ... 124.5 keV), photons per keV per mAs at 1 m, behind 3 mm Al (the C-arm's
  fixed filtration).  Added copper is applied at run time by Beer-Lambert.
* ``spectral_mu.csv``: mass attenuation (cm^2/g, xraydb ``mu_elam``: Elam/Ravel/Sieber,
  photoelectric + coherent + incoherent) at the same bin centres for water, ICRU-44
  cortical bone, soft tissue, stainless steel 304, PMMA, BaSO4, Al, Cu and CsI, with
  the densities used for linear attenuation.

Usage: ``python tools/make_spectral_tables.py`` (needs spekpy and xraydb: the test extra).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ASSETS = Path(__file__).resolve().parents[1] / "assets"
KEV = np.arange(10, 125) + 0.5                         #: bin centres (keV)
KVPS = np.arange(50, 130, 5)                            #: tabulated tube potentials

#: compositions by weight fraction (ICRU-44 for the tissues) and densities (g/cm3)
MATERIALS = {
    "water": ({"H": 0.111894, "O": 0.888106}, 1.00),
    "cortical_bone": ({"H": 0.034, "C": 0.155, "N": 0.042, "O": 0.435, "Na": 0.001, "Mg": 0.002,
                       "P": 0.103, "S": 0.003, "Ca": 0.225}, 1.92),
    "soft_tissue": ({"H": 0.102, "C": 0.143, "N": 0.034, "O": 0.708, "Na": 0.002, "P": 0.003,
                     "S": 0.003, "Cl": 0.002, "K": 0.003}, 1.06),
    "stainless_steel": ({"Fe": 0.70, "Cr": 0.19, "Ni": 0.09, "Mn": 0.02}, 7.9),
    "pmma": ({"C": 0.599848, "H": 0.080538, "O": 0.319614}, 1.19),
    "baso4": ({"Ba": 0.588420, "S": 0.137368, "O": 0.274212}, 4.5),
    "aluminium": ({"Al": 1.0}, 2.699),
    "copper": ({"Cu": 1.0}, 8.96),
    "csi": ({"Cs": 0.511549, "I": 0.488451}, 4.51),
}


def spectrum(kvp: float, al_mm: float = 3.0) -> np.ndarray:
    """SpekPy photons per keV per mAs at 1 m in the bins of :data:`KEV`."""
    import spekpy

    s = spekpy.Spek(kvp=float(kvp), th=12, dk=1.0)
    s.filter("Al", al_mm)
    k, f = s.get_spectrum()
    out = np.zeros(KEV.size)
    idx = np.rint(np.asarray(k) - 0.5).astype(int) - 10     # SpekPy bin centres are k.5 with dk=1
    ok = (idx >= 0) & (idx < KEV.size)
    out[idx[ok]] = np.asarray(f)[ok]
    return out


def mass_mu(material: str) -> np.ndarray:
    """Mass attenuation (cm^2/g) of a material of :data:`MATERIALS` by the mixture rule."""
    import xraydb

    comp, _ = MATERIALS[material]
    return sum(w * np.asarray(xraydb.mu_elam(el, KEV * 1000.0)) for el, w in comp.items())


def main():
    import spekpy
    import xraydb

    rows = [f"# SpekPy {getattr(spekpy, '__version__', '2')} tungsten spectra, 12 deg, 3 mm Al; "
            "photons/keV/mAs at 1 m; 1 keV bins; regenerate with tools/make_spectral_tables.py",
            "kvp," + ",".join(f"e{e:g}" for e in KEV)]
    for kvp in KVPS:
        rows.append(f"{kvp:g}," + ",".join(f"{v:.6g}" for v in spectrum(kvp)))
    (ASSETS / "spectra.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    rows = [f"# xraydb {xraydb.__version__} mu_elam mass attenuation (cm2/g) by the mixture rule; "
            "ICRU-44 tissues; regenerate with tools/make_spectral_tables.py",
            "material,density_g_cm3," + ",".join(f"e{e:g}" for e in KEV)]
    for name, (_, rho) in MATERIALS.items():
        rows.append(f"{name},{rho:g}," + ",".join(f"{v:.6g}" for v in mass_mu(name)))
    (ASSETS / "spectral_mu.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
