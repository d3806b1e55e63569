"""The vertebral body as an implicit shape: outline, endplate surfaces and fractures.

Local frame: x, y as in patient LPS; z relative to the body's reference height
``zc`` (absolute z = ``zc`` + local z).  The cross-section is a superellipse of
half-width ``W/2`` and anterior half-depth ``D/2`` with a slightly concave posterior
wall (the wall lies at ``y = D/2`` at the midline); the lateral walls have a waist.
Heights vary linearly from the posterior (``Hp``) to the anterior wall (``Ha``); the
endplates are concave in their central part (FACTS.md 1.2, Wang 2012: caudal endplate
of the disc, i.e. the vertebra's superior endplate, about 0.7 mm; cranial endplate of
the disc, i.e. the vertebra's inferior endplate, about 1.5 mm).

Fractures (FACTS.md 1.6) act on the heights with the fractional loss ``f``:
``wedge`` lowers the superior endplate anteriorly (anterior height x (1 - f), posterior
unchanged), ``biconcave`` depresses both endplates centrally (middle height x (1 - f)),
``crush`` lowers the whole superior endplate (every height x (1 - f)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.core.anatomy.morphometry import VertebraDims

__all__ = ["BodyShape", "SUPERIOR_CONCAVITY_MM", "INFERIOR_CONCAVITY_MM"]

SUPERIOR_CONCAVITY_MM = 0.7   #: FACTS.md 1.2 (Wang 2012), vertebra's superior endplate
INFERIOR_CONCAVITY_MM = 1.5   #: FACTS.md 1.2 (Wang 2012), vertebra's inferior endplate
_CONCAVE_RADIUS = 0.8         #: concave zone, fraction of the semi-axes (central ~70-80 %)
_POSTERIOR_BOW_MM = 2.0       #: posterior wall concavity at the midline
_EXPONENT = 2.2               #: superellipse exponent, anterior half of the cross-section
_EXPONENT_POST = 3.5          #: posterior half (flatter posterior wall and corners)
#: anterior and posterior wall concavity at mid-height, fraction of the half-depth (thoracic, lumbar)
_SAGITTAL_WAIST = {True: 0.03, False: 0.05}


@dataclass(frozen=True)
class BodyShape:
    """One vertebral body.

    Parameters
    ----------
    dims : VertebraDims
    zc : float
        Absolute z (mm) of the body's local origin.
    morphology : str or None
        ``'wedge'``, ``'biconcave'``, ``'crush'`` or None (intact).
    loss : float
        Fractional height loss (0 for intact).
    """

    dims: VertebraDims
    zc: float = 0.0
    morphology: str | None = None
    loss: float = 0.0

    @property
    def a(self) -> float:
        return 0.5 * self.dims.endplate_width_mm

    @property
    def b(self) -> float:
        return 0.5 * self.dims.body_depth_mm

    @property
    def posterior_y(self) -> float:
        return self.b

    @property
    def intact_middle_height_mm(self) -> float:
        d = self.dims
        return 0.5 * (d.posterior_height_mm + d.anterior_height_mm) - SUPERIOR_CONCAVITY_MM - INFERIOR_CONCAVITY_MM

    @staticmethod
    def waist_for(thoracic: bool) -> float:
        """Lateral wall concavity at mid-height, fraction of the half-width."""
        return 0.05 if thoracic else 0.08

    def waist(self) -> float:
        return self.waist_for(self.dims.thoracic)

    # -- cross-section -------------------------------------------------------------
    def outline(self, x, y, grow_mm: float = 0.0, scale=1.0, post_scale=None, ant_scale=None):
        """True inside the (grown, scaled) cross-section; ``ant_scale`` and ``post_scale``
        (default ``scale``) scale the anterior and posterior half-depths separately."""
        post_scale = scale if post_scale is None else post_scale
        ant_scale = scale if ant_scale is None else ant_scale
        a = self.a * scale + grow_mm
        bpost = (self.b + _POSTERIOR_BOW_MM) * post_scale + grow_mm
        bant = self.b * ant_scale + grow_mm
        post = y > 0
        by = np.where(post, bpost, bant)
        e = np.where(post, _EXPONENT_POST, _EXPONENT)
        inside = (np.abs(x) / a) ** e + (np.abs(y) / by) ** e <= 1.0
        wall = self.b * post_scale + grow_mm + _POSTERIOR_BOW_MM * (x / a) ** 2
        return inside & (y <= wall)

    def _bump(self, x, y, r0):
        r2 = (x / self.a) ** 2 + (y / self.b) ** 2
        return np.clip(1.0 - r2 / (r0 * r0), 0.0, 1.0)

    # -- endplates -----------------------------------------------------------------
    def _intact(self, x, y):
        d = self.dims
        v = np.clip((self.b - y) / (2 * self.b), 0.0, 1.0)      # 0 posterior .. 1 anterior
        h = d.posterior_height_mm + (d.anterior_height_mm - d.posterior_height_mm) * v
        bump = self._bump(x, y, _CONCAVE_RADIUS)
        return 0.5 * h - SUPERIOR_CONCAVITY_MM * bump, -0.5 * h + INFERIOR_CONCAVITY_MM * bump

    def surfaces_local(self, x, y):
        """(top, bottom): local z (mm) of the superior and inferior endplate surfaces."""
        top, bot = self._intact(x, y)
        f = self.loss
        if f > 0 and self.morphology == "wedge":
            v = np.clip((self.b - y) / (2 * self.b), 0.0, 1.0)
            top = top - f * self.dims.anterior_height_mm * v
        elif f > 0 and self.morphology == "biconcave":
            bump = self._bump(x, y, _CONCAVE_RADIUS)   # the central endplate; the epiphyseal rim stays (FACTS.md 1.2)
            half = 0.5 * f * self.intact_middle_height_mm
            top = top - half * bump
            bot = bot + half * bump
        elif f > 0 and self.morphology == "crush":
            top = top - f * (top - bot)
        return top, bot

    def top(self, x, y):
        """Absolute z (mm) of the superior endplate surface."""
        return self.zc + self.surfaces_local(x, y)[0]

    def bottom(self, x, y):
        """Absolute z (mm) of the inferior endplate surface."""
        return self.zc + self.surfaces_local(x, y)[1]

    def middle_local_z(self) -> float:
        """Local z of the middle of the body at its centre (x = y = 0)."""
        t, b = self.surfaces_local(np.float64(0.0), np.float64(0.0))
        return float(0.5 * (t + b))

    def z_range(self) -> tuple[float, float]:
        """Absolute (lowest, highest) z the body can reach (mm)."""
        d = self.dims
        h = max(d.posterior_height_mm, d.anterior_height_mm)
        return self.zc - 0.5 * h - 0.5, self.zc + 0.5 * h + 0.5

    def box(self, grow_mm: float = 0.0):
        """Bounding box (lo, hi) of the body (x, y, z mm)."""
        z0, z1 = self.z_range()
        g = grow_mm + 0.5
        return (np.array([-self.a - g, -self.b - g, z0 - g]),
                np.array([self.a + g, self.b + _POSTERIOR_BOW_MM + g, z1 + g]))

    def mask(self, x, y, z):
        """True inside the body (absolute coordinates)."""
        top, bot = self.surfaces_local(x, y)
        zl = z - self.zc
        hm = 0.5 * self.dims.posterior_height_mm
        u = np.clip(zl / hm, -1.0, 1.0)
        # concave anterior and lateral walls with flared endplate rims (hourglass profile); the
        # posterior wall keeps a shallow concavity (single line on a true lateral)
        # (the anterior concavity stays under 1 mm: heights are measured 1 mm inside the walls)
        rim = 1.0 - np.abs(u) ** 3
        scale = 1.0 - self.waist() * rim
        ant_scale = 1.0 - _SAGITTAL_WAIST[self.dims.thoracic] * rim
        post_scale = 1.0 - _SAGITTAL_WAIST[self.dims.thoracic] * (1.0 - u * u)
        return (zl <= top) & (zl >= bot) & self.outline(x, y, scale=scale, post_scale=post_scale,
                                                        ant_scale=ant_scale)
