"""Iliac wings and sacrum: the pelvis around an L4-L5 patient (label PELVIS).

Shapes are placeholders [NV] anchored on a few published landmarks:

* **Iliac crests** at the intercristal (Tuffier's) line: on imaging it crosses the L4 body or
  its inferior endplate in men and the L5 body or its superior endplate in women (Snider 2008,
  *Spine* 33:E161, 200 AP and 60 prone radiographs); L4 or L4-L5 in 86.7 % of 75 prone
  fluoroscopy patients (Chakraverty 2007, *J Anat* 210:232).  Here the crest top lies 4 mm above
  the middle of the L4-L5 disc in men and 4 mm below it in women.
* **Posterior superior iliac spines** about 40 mm lateral to the midline, 12 mm behind the L5
  laminae; intercristal width about 260 mm (crest tops about 130 mm from the midline).
* **Sacrum**: alae reaching about 52 mm from the midline (sacral base about 105 mm wide), the
  sacroiliac joints against them, four pairs of sacral foramina (S1-S4) and the sacral canal;
  the segments below S1 taper over about 95 mm and recede backwards (sacral kyphosis, simplified:
  the column itself is straight, docs/anatomy.md).

Each iliac wing is a curved plate: its crest follows an elliptic arc from the posterior
superior iliac spine round the side to the anterior superior iliac spine (highest at the
side), and below the crest the plate slopes medially (the iliac fossa), 5 mm thick with a
14 mm crest lip and a thicker posterior part (up to 19 mm: iliac tuberosity, sacroiliac joint).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.core.anatomy.canvas import Canvas
from trainer.core.anatomy.labels import Label

__all__ = ["Pelvis", "pelvis_for_column", "CREST_ABOVE_DISC_MM"]

#: crest top above (men) or below (women) the middle of the L4-L5 disc (Snider 2008, see above)
CREST_ABOVE_DISC_MM = {"male": 4.0, "female": -4.0}
_PSI_TOP_DEG = 100.0     #: where along the arc (0 posterior .. 160 anterior) the crest is highest
_PSI_END_DEG = 160.0
_WING_HEIGHT_MM = 100.0  #: crest to the pelvic brim, beyond the context volume
_FOSSA_SLOPE = 0.55      #: medial shift of the plate per mm below the crest
_SI_CONVERGENCE = 0.15   #: medial shift of the posterior (sacroiliac) edge per mm below the crest top
_SACRUM_LENGTH_MM = 95.0
#: the soft-tissue labels the pelvis may replace (it never paints over the spine)
_SOFT = (Label.FAT, Label.MUSCLE, Label.SOFT_TISSUE)


@dataclass(frozen=True)
class Pelvis:
    """Geometry of the pelvis (mm, LPS) for one patient."""

    crest_top_z_mm: float     #: highest point of the iliac crests
    psis_y_mm: float          #: posterior superior iliac spine depth
    s1_top_z_mm: float        #: S1 superior endplate (at the body centre); nan when S1 is absent
    s1_bottom_z_mm: float
    s1_half_depth_mm: float
    scale: float

    # -- iliac wings ---------------------------------------------------------------------
    @property
    def arc(self):
        """(x centre, y centre, x radius, y radius) of the crest's arc (mm, left side)."""
        rx, ry = 88.0 * self.scale, 72.0 * self.scale
        return 42.0 * self.scale, self.psis_y_mm - ry, rx, ry

    def crest_z(self, psi_deg):
        """Height (mm) of the crest at arc angle ``psi_deg`` (0 = PSIS, 160 = ASIS)."""
        post = 40.0 * ((_PSI_TOP_DEG - psi_deg) / _PSI_TOP_DEG) ** 2
        ant = 35.0 * ((psi_deg - _PSI_TOP_DEG) / (_PSI_END_DEG - _PSI_TOP_DEG)) ** 2
        return self.crest_top_z_mm - np.where(psi_deg < _PSI_TOP_DEG, post, ant) * self.scale

    def crest_point(self, psi_deg: float, side_sign: float = 1.0) -> np.ndarray:
        """A point (x, y, z mm) on the crest's outer edge."""
        xc, yc, rx, ry = self.arc
        p = np.radians(psi_deg)
        return np.array([side_sign * (xc + rx * np.sin(p)), yc + ry * np.cos(p), float(self.crest_z(psi_deg))])

    def wing_mask(self, side_sign: float):
        xc, yc, rx, ry = self.arc
        r_mean = 0.5 * (rx + ry)
        sc = self.scale

        def f(x, y, z):
            # the sacroiliac joints converge caudally: the arc's centre moves medially below the crest
            u = (side_sign * x - xc + _SI_CONVERGENCE * np.maximum(self.crest_top_z_mm - z, 0.0)) / rx
            v = (y - yc) / ry
            rho = np.sqrt(u * u + v * v)
            psi = np.degrees(np.arctan2(u, v))
            h = self.crest_z(psi) - z
            rho_s = 1.0 - _FOSSA_SLOPE * h / r_mean
            thick = (5.0 + 9.0 * np.exp(-np.maximum(h, 0.0) / 10.0)
                     + 14.0 * np.clip((50.0 - psi) / 50.0, 0.0, 1.0)) * sc
            return ((psi >= 0.0) & (psi <= _PSI_END_DEG) & (h >= 0.0) & (h <= _WING_HEIGHT_MM * sc)
                    & (np.abs(rho - rho_s) * r_mean <= 0.5 * thick))

        lo = np.array([min(side_sign * (xc - 5.0), side_sign * (xc + rx + 10.0)), yc - ry - 10.0,
                       self.crest_top_z_mm - _WING_HEIGHT_MM * sc - 1.0])
        hi = np.array([max(side_sign * (xc - 5.0), side_sign * (xc + rx + 10.0)), yc + ry + 15.0,
                       self.crest_top_z_mm + 10.0])
        return f, lo, hi

    # -- sacrum ----------------------------------------------------------------------------
    @property
    def has_sacrum(self) -> bool:
        return bool(np.isfinite(self.s1_top_z_mm))

    def sacrum_mask(self):
        sc = self.scale
        b = self.s1_half_depth_mm
        zt, zb = self.s1_top_z_mm, self.s1_bottom_z_mm
        length = _SACRUM_LENGTH_MM * sc

        def f(x, y, z):
            ax = np.abs(x)
            # alae: lateral masses of S1, their upper surface sloping down laterally
            ala = (((ax - 34.0 * sc) / (18.0 * sc)) ** 2 + ((y - 0.15 * b) / (b + 4.0)) ** 2 <= 1.0) \
                & (z <= zt - 2.0 - 0.4 * np.maximum(ax - 20.0 * sc, 0.0)) & (z >= zb - 6.0)
            # S2-S5: tapering and receding backwards
            t = np.clip((zb - z) / length, 0.0, 1.0)
            w = (52.0 - 40.0 * t) * sc
            yc = 0.3 * b + 30.0 * t * sc
            d = (b + 6.0) * (1.0 - 0.45 * t)
            low = ((ax / w) ** 2.5 + (np.abs(y - yc) / d) ** 2.5 <= 1.0) & (z <= zb + 1.0) & (z >= zb - length)
            return ala | low

        lo = np.array([-56.0 * sc, -b - 10.0, zb - length - 1.0])
        hi = np.array([56.0 * sc, b + 36.0 * sc + 10.0, zt + 2.0])
        return f, lo, hi

    def foramina(self):
        """(centre x, z, radius) of the left sacral foramina S1-S4 (mm); mirrored on the right."""
        sc = self.scale
        return [((22.0 - 2.0 * k) * sc, self.s1_bottom_z_mm + 2.0 - 22.0 * k * sc, (4.5 - 0.4 * k) * sc)
                for k in range(4)]

    def paint(self, cv: Canvas):
        """Paint the wings and the sacrum over soft tissue only (the spine is painted later and wins)."""
        for s in (1.0, -1.0):
            f, lo, hi = self.wing_mask(s)
            cv.paint(lo, hi, f, Label.PELVIS, only=_SOFT)
        if not self.has_sacrum:
            return
        f, lo, hi = self.sacrum_mask()
        cv.paint(lo, hi, f, Label.PELVIS, only=_SOFT)
        b = self.s1_half_depth_mm
        sc = self.scale
        for xf, zf, r in self.foramina():
            for s in (1.0, -1.0):
                def hole(x, y, z, xf=s * xf, zf=zf, r=r):
                    # the anterior foramina: channels through the front 60 % of the sacrum only
                    t = np.clip((self.s1_bottom_z_mm - zf) / (_SACRUM_LENGTH_MM * sc), 0.0, 1.0)
                    y_back = 0.3 * b + 30.0 * t * sc + 0.2 * (b + 6.0) * (1.0 - 0.45 * t)
                    return ((x - xf) ** 2 + (z - zf) ** 2 <= r * r) & (y <= y_back)

                cv.paint((s * xf - r, -b - 20.0, zf - r), (s * xf + r, b + 50.0 * sc, zf + r), hole, Label.FAT,
                         only=(Label.PELVIS,))
        length = _SACRUM_LENGTH_MM * sc
        zb = self.s1_bottom_z_mm

        def canal(x, y, z):
            t = np.clip((zb - z) / length, 0.0, 1.0)
            yc = 0.3 * b + 30.0 * t * sc + (b + 6.0) * (1.0 - 0.45 * t) * 0.55
            return (x / (11.0 * sc * (1.0 - 0.6 * t))) ** 2 + ((y - yc) / (5.0 * sc)) ** 2 <= 1.0

        cv.paint((-12.0 * sc, 0.0, zb - 0.8 * length), (12.0 * sc, b + 45.0 * sc, zb + 2.0), canal, Label.CANAL,
                 only=(Label.PELVIS,))


def pelvis_for_column(col, sex: str, scale: float) -> Pelvis | None:
    """The pelvis of a column that holds L4 and L5 (None otherwise).

    Parameters
    ----------
    col : Column
    sex : str
        ``female`` or ``male`` (crest height, :data:`CREST_ABOVE_DISC_MM`).
    scale : float
        Linear size factor (sex x ``size_scale``).
    """
    by_level = {v.dims.level: v for v in col.vertebrae}
    l4, l5 = by_level.get("L4"), by_level.get("L5")
    if l4 is None or l5 is None:
        return None
    z0 = np.float64(0.0)
    disc_mid = 0.5 * (float(l4.body.bottom(z0, z0)) + float(l5.body.top(z0, z0)))
    s1 = by_level.get("S1")
    if s1 is not None:
        s1_top, s1_bot, s1_b = float(s1.body.top(z0, z0)), float(s1.body.bottom(z0, z0)), s1.body.b
    else:
        s1_top = s1_bot = float("nan")
        s1_b = l5.body.b
    return Pelvis(crest_top_z_mm=disc_mid + CREST_ABOVE_DISC_MM[sex] * scale,
                  psis_y_mm=l5.lamina_outer_y + 12.0 * scale, s1_top_z_mm=s1_top, s1_bottom_z_mm=s1_bot,
                  s1_half_depth_mm=s1_b, scale=scale)
