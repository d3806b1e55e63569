"""The X-ray beam: tube potential, filtration and the effective (mean) photon energy.

The renderer is mono-energetic at the spectrum's mean energy (FACTS.md 5.2 recommends
a mono-energetic approximation at 45-50 keV).  Mean energies come from the SpekPy
table in FACTS.md 5.2 (tungsten anode, 3 mm Al, with or without 0.1 mm Cu), linearly
interpolated in kVp and in copper thickness, and linearly extrapolated in kVp
outside 70-90 kVp.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.core.errors import ParameterError

__all__ = ["Beam", "KVP_RANGE", "mean_energy_kev"]

#: Tube potentials a mobile C-arm offers (kVp); FACTS.md 5.2 uses 60-90 kVp for the spine.
KVP_RANGE = (50.0, 125.0)
#: Tabulated filtrations: copper thickness (mm) added to 3 mm Al.
_CU_MM = (0.0, 0.1)
#: FACTS.md 5.2 SpekPy table: kVp -> mean energy (keV) for 3 mm Al, and 3 mm Al + 0.1 mm Cu.
_KVP_AL = np.array([70.0, 80.0, 90.0])
_MEAN_AL = np.array([40.3, 43.8, 47.1])
_KVP_CU = np.array([80.0, 90.0])
_MEAN_CU = np.array([48.4, 51.9])
#: FACTS.md 5.2 first half-value layers (mm Al), same rows.
_HVL_AL = np.array([2.66, 3.03, 3.42])
_HVL_CU = np.array([4.58, 5.14])


def _lin(x, xs, ys) -> float:
    """Piecewise-linear interpolation with linear extrapolation at both ends."""
    xs = np.asarray(xs, float)
    ys = np.asarray(ys, float)
    if x <= xs[0]:
        return float(ys[0] + (x - xs[0]) * (ys[1] - ys[0]) / (xs[1] - xs[0]))
    if x >= xs[-1]:
        return float(ys[-1] + (x - xs[-1]) * (ys[-1] - ys[-2]) / (xs[-1] - xs[-2]))
    return float(np.interp(x, xs, ys))


def mean_energy_kev(kvp: float, cu_mm: float = 0.1) -> float:
    """Mean photon energy (keV) of the spectrum at ``kvp`` behind 3 mm Al + ``cu_mm`` Cu."""
    al = _lin(kvp, _KVP_AL, _MEAN_AL)
    cu = _lin(kvp, _KVP_CU, _MEAN_CU)
    f = cu_mm / _CU_MM[1]
    return al + f * (cu - al)


@dataclass(frozen=True)
class Beam:
    """A tube setting.

    Parameters
    ----------
    kvp : float
        Tube potential, 50 to 125 kVp (FACTS.md 5.2 defaults: 80 AP, 90 lateral).
    cu_mm : float
        Added copper filtration on top of the fixed 3 mm Al, 0 to 0.1 mm (default 0.1,
        FACTS.md 5.2 recommended simulator default).
    """

    kvp: float = 80.0
    cu_mm: float = 0.1

    def __post_init__(self):
        k = self.kvp
        if isinstance(k, bool) or not isinstance(k, (int, float)) or not (KVP_RANGE[0] <= k <= KVP_RANGE[1]):
            raise ParameterError("kvp", k, f"a tube potential from {KVP_RANGE[0]:g} to {KVP_RANGE[1]:g} kVp")
        c = self.cu_mm
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not (_CU_MM[0] <= c <= _CU_MM[1]):
            raise ParameterError("cu_mm", c, "0 to 0.1 mm of added copper (the tabulated filtrations, FACTS.md 5.2)")
        object.__setattr__(self, "kvp", float(k))
        object.__setattr__(self, "cu_mm", float(c))

    @property
    def effective_kev(self) -> float:
        """Mean photon energy (keV) used as the mono-energetic effective energy."""
        return mean_energy_kev(self.kvp, self.cu_mm)

    @property
    def hvl_mm_al(self) -> float:
        """First half-value layer (mm Al), interpolated like the mean energy."""
        al = _lin(self.kvp, _KVP_AL, _HVL_AL)
        cu = _lin(self.kvp, _KVP_CU, _HVL_CU)
        return al + self.cu_mm / _CU_MM[1] * (cu - al)
