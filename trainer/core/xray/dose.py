"""Dose per shot and cumulative dose: entrance air kerma, dose-area product, fluoroscopy time.

Calibration (FACTS.md 5.1-5.2):

* Pulsed fluoroscopy at 7.5 pulses/s; a shot is one pulse or a short burst.
* Dose-area product: about 1.3 mGy.cm2 per pulse at the reference technique (80 kVp,
  uncollimated 30 x 30 cm field, average patient), so that about 5 min of fluoroscopy
  gives the documented median of about 2.9 Gy.cm2 per treated level.
* Entrance (reference-point) air kerma: 45 uGy per pulse at the same technique, inside the
  derived 40-135 uGy band.

The two documented figures are not geometrically consistent with an uncollimated 30 cm
field (45 uGy over the 125 cm2 the field covers at the interventional reference point
would be 5.6 mGy.cm2), because the clinical DAP figure includes collimation and low-dose
modes.  Both are honoured at the reference technique and both scale the same way:
with (kVp/80)^2 (tube output), with the automatic-brightness factor and the dose-level
setting; the DAP also with the collimated field area.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from trainer.core.errors import ParameterError
from trainer.core.xray.geometry import CArmGeometry

__all__ = ["PULSE_RATE_HZ", "KERMA_PER_PULSE_MGY", "DAP_PER_PULSE_GYCM2", "REFERENCE_KVP",
           "ShotDose", "DoseTotals", "shot_dose", "field_area_mm2"]

#: Pulsed fluoroscopy rate (FACTS.md 2 and 5.2: 7.5 pulses/s, Ortiz 2006); the one home of this number.
PULSE_RATE_HZ = 7.5
REFERENCE_KVP = 80.0
KERMA_PER_PULSE_MGY = 0.045      # 45 uGy (FACTS.md 5.2 derived band 40-135 uGy)
DAP_PER_PULSE_GYCM2 = 0.0013     # 1.3 mGy.cm2 (FACTS.md 5.2 recommended default)
_REFERENCE_FIELD_MM2 = 300.0 * 300.0


@dataclass(frozen=True)
class ShotDose:
    """Dose of one shot.

    Attributes
    ----------
    entrance_kerma_mgy : float
        Air kerma at the entrance reference point, mGy.
    dap_gycm2 : float
        Dose-area product, Gy.cm2.
    fluoro_s : float
        Beam-on time, s (pulses / 7.5).
    pulses : int
    """

    entrance_kerma_mgy: float
    dap_gycm2: float
    fluoro_s: float
    pulses: int

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class DoseTotals:
    """Cumulative dose of a session; ``add`` one :class:`ShotDose` per shot."""

    shots: int = 0
    pulses: int = 0
    fluoro_s: float = 0.0
    dap_gycm2: float = 0.0
    entrance_kerma_mgy: float = 0.0

    def add(self, shot: ShotDose) -> DoseTotals:
        """Accumulate one shot (returns self)."""
        self.shots += 1
        self.pulses += int(shot.pulses)
        self.fluoro_s += float(shot.fluoro_s)
        self.dap_gycm2 += float(shot.dap_gycm2)
        self.entrance_kerma_mgy += float(shot.entrance_kerma_mgy)
        return self

    def to_json(self) -> dict:
        """Plain JSON; floats rounded to 1e-9 so sums compare stably across platforms."""
        return {k: (round(v, 9) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def field_area_mm2(detector_mm: float, field_mm: tuple | None = None, iris_mm: float | None = None) -> float:
    """Area (mm2, at the detector) of the field the shutters (``(width, height)``, centred) and the
    iris (a centred circle of diameter ``iris_mm``) leave open on a ``detector_mm`` square detector."""
    w = h = float(detector_mm)
    if field_mm is not None:
        w, h = (max(0.0, min(float(v), detector_mm)) for v in field_mm)
    if iris_mm is None:
        return w * h
    r = float(iris_mm) / 2.0
    x = (np.arange(4000) + 0.5) / 4000 * w - w / 2          # midpoint rule across the width
    chord = 2.0 * np.sqrt(np.maximum(r * r - x * x, 0.0))
    return float(np.minimum(chord, h).sum() * (w / 4000))


def shot_dose(pulses: int, kvp: float = REFERENCE_KVP, geometry: CArmGeometry | None = None,
              field_mm: tuple | None = None, abc_factor: float = 1.0, dose_scale: float = 1.0,
              iris_mm: float | None = None) -> ShotDose:
    """Dose of a shot of ``pulses`` pulses.

    Parameters
    ----------
    pulses : int
        1 to 75 (a 10 s run at 7.5 pulses/s).
    kvp : float
        Tube potential.
    geometry : CArmGeometry, optional
        For the detector size (default: FACTS.md 5.2 C-arm).
    field_mm : (width, height) or None
        Collimated field at the detector (mm); None = the whole detector.
    abc_factor : float
        Tube-output factor chosen by the automatic brightness control (1 = reference patient).
    dose_scale : float
        Dose-level setting (0.5 low-dose mode, 1 normal, 2 high-quality).
    iris_mm : float or None
        Diameter of the iris (circular collimator) at the detector; None = open.

    The DAP is proportional to the open field area (:func:`field_area_mm2`): closing the
    shutters to half the field halves it; the entrance air kerma is unchanged.
    """
    if isinstance(pulses, bool) or not isinstance(pulses, int) or not (1 <= pulses <= 75):
        raise ParameterError("pulses", pulses, "an integer from 1 to 75")
    if not (0.05 <= dose_scale <= 10):
        raise ParameterError("dose_scale", dose_scale, "0.05 to 10")
    g = geometry or CArmGeometry()
    field_area = field_area_mm2(g.detector_mm, field_mm, iris_mm)
    # field area at the reference point scales like the field at the detector times (1/SID)^2
    area_factor = field_area / _REFERENCE_FIELD_MM2 * (1020.0 / g.sid_mm) ** 2
    tech = (kvp / REFERENCE_KVP) ** 2 * abc_factor * dose_scale * pulses
    return ShotDose(entrance_kerma_mgy=KERMA_PER_PULSE_MGY * tech,
                    dap_gycm2=DAP_PER_PULSE_GYCM2 * tech * area_factor,
                    fluoro_s=pulses / PULSE_RATE_HZ, pulses=int(pulses))
