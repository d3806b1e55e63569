"""One vertebra: body, pedicles, posterior elements, canal and foramina, painted on a canvas.

Geometry per level comes from :class:`~trainer.core.anatomy.morphometry.VertebraDims`.
Pedicles are elliptic tubes along their axis (width x height at the isthmus, flaring
towards the body and the articular mass); the isthmus' medial wall lies at
``x = +/- canal_width / 2`` so the interpedicular distance is the canal width.
The canal is flat in front (posterior body wall), full width in its anterior half and
narrows to the lamina apex; the laminae, articular masses, facets (superior and
inferior articular processes), transverse and spinous processes are capsules and
rings around it.  Dimensions not in the level table are documented constants [NV].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trainer.core.anatomy.body import BodyShape
from trainer.core.anatomy.canvas import Canvas, ellipsoid, segment_distance2
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.morphometry import level_row

__all__ = ["Vertebra", "PedicleGeom", "aniso_capsule"]

LAMINA_MM = {True: 5.0, False: 6.0}        #: lamina thickness, thoracic / lumbar [NV]
SPINOUS_LENGTH_MM = {True: 38.0, False: 30.0}   #: [NV]
SPINOUS_HALF_MM = {True: (2.7, 5.0), False: (3.6, 8.0)}   #: half thickness (x), half height [NV]
FACET_RADIUS_MM = {True: 4.5, False: 5.5}  #: articular process radius [NV]
#: transverse process semi-axes (y thickness, z height) in mm: lumbar processes are thin plates
#: (mostly cortex once the 1 mm shell is laid), thoracic ones stout and club-shaped [NV]
TP_RADII_MM = {True: (3.6, 4.5), False: (1.8, 4.0)}
#: the narrowest a pedicle is made to fit inside the body outline, as a fraction of the table width:
#: about the endosteal/outer width ratio at L4-L5 (Makino 2012 9.0 / 12.9 vs Zindrick 12.9 / 18.0, FACTS.md 1.2)
PEDICLE_FIT_FLOOR = 0.7
#: how far (mm) the pedicle's outer wall may reach beyond the endplate's half-width: its cortex, whose
#: inner border is the pedicle image on AP (Robertson 2000)
PEDICLE_FIT_ALLOWANCE_MM = 1.5


def pedicle_fit_factor(level: str) -> float:
    """Factor (<= 1) on a level's pedicle width that keeps the pedicle inside the body outline on AP.

    The pedicle's medial wall lies at the interpedicular distance (``canal_width / 2``) and its
    section across the axis is ``w`` wide, so on AP its outer wall projects at
    ``canal_width / 2 + w / cos(medial angle)``.  With Panjabi's L4-L5 means (canal 25.4 / 27.1,
    pedicle 14.1 / 18.6 mm at 20.5 / 27.5 deg, endplate 46.6 / 47.3) that lies 4-10 mm outside the
    body's half-width, whereas on AP radiographs the pedicles project inside the body (the
    radiological pedicle image is the inner cortical border, up to 3 mm inside the true cortex:
    Robertson 2000, *Spine* 25:709).  So the width is the table's where the outer wall then lies
    within ``PEDICLE_FIT_ALLOWANCE_MM`` (the pedicle cortex) of the body's half-width at its waist,
    and narrower where it does not: T9-T10 and L1 by 1-4 %, T11 x 0.87 (8.5 mm, Panjabi 1991's
    right T11 pedicle is 8.8), L3 x 0.90 (9.2 mm), L4 and L5 at the floor ``PEDICLE_FIT_FLOOR``
    (9.9 mm, between Lien's 11.6 and Makino's endosteal 9.0; 13.0 mm, Makino's endosteal 12.9).
    Computed on the table's means, so a jittered patient's widths keep their own spread.
    """
    row = level_row(level)
    half_width = 0.5 * row.endplate_width_mm * (1.0 - BodyShape.waist_for(level.startswith("T")))
    room = (half_width + PEDICLE_FIT_ALLOWANCE_MM - 0.5 * row.canal_width_mm) * np.cos(np.radians(row.medial_angle_deg))
    return float(min(1.0, max(room / row.pedicle_width_mm, PEDICLE_FIT_FLOOR)))


def fitted_pedicle_width_mm(dims) -> float:
    """Transverse width (mm) of the pedicle as built: ``dims.pedicle_width_mm`` x :func:`pedicle_fit_factor`."""
    return float(dims.pedicle_width_mm * pedicle_fit_factor(dims.level))


def aniso_capsule(p0, p1, radii):
    """Capsule with an elliptic section: the segment ``p0``-``p1`` dilated by semi-axes ``radii`` (x, y, z)."""
    r = np.asarray(radii, np.float32)
    q0 = np.asarray(p0, np.float32) / r
    q1 = np.asarray(p1, np.float32) / r

    def f(x, y, z):
        d2, _ = segment_distance2(x / r[0], y / r[1], z / r[2], q0, q1)
        return d2 <= 1.0

    lo = np.minimum(p0, p1) - r
    hi = np.maximum(p0, p1) + r
    return f, lo, hi


def spinous_plate(root, tip, half_x_mm: float, half_h_mm: float):
    """A sagittal plate from ``root`` to ``tip``: thin in x, ``2 * half_h_mm`` tall across its
    length (slightly tapering), with a thickened (bulbous) tip and rounded ends."""
    root = np.asarray(root, float)
    tip = np.asarray(tip, float)
    d = tip - root
    length = float(np.linalg.norm(d))
    u = d / length                       # along the process, in the y-z plane
    n = np.array([0.0, -u[2], u[1]])     # perpendicular to it in the sagittal plane

    def f(x, y, z):
        dy, dz = y - root[1], z - root[2]
        s = dy * u[1] + dz * u[2]
        v = dy * n[1] + dz * n[2]
        t = np.clip(s / length, 0.0, 1.0)
        hh = half_h_mm * (1.0 - 0.25 * t)
        hx = half_x_mm * (1.0 + 0.5 * t * t)
        # elliptic section in x: rounded upper and lower edges, so the AP shows an oval, not a bar
        hx = hx * np.sqrt(np.clip(1.0 - (v / hh) ** 2, 0.0, 1.0)) ** 0.5
        se = np.where(s < 0, -s, np.where(s > length, s - length, 0.0))
        return (np.abs(x) <= hx) & (se * se + np.maximum(np.abs(v) - hh + 1.5, 0.0) ** 2 <= 2.25) & (np.abs(v) <= hh)

    r = max(half_h_mm, 1.5 * half_x_mm) + 1.5
    return f, np.minimum(root, tip) - r, np.maximum(root, tip) + r


@dataclass(frozen=True)
class PedicleGeom:
    """A pedicle tube (mm, absolute coordinates)."""

    side: str
    centre: np.ndarray
    axis: np.ndarray
    width_mm: float
    height_mm: float
    s_post_mm: float       #: tube length behind the isthmus
    s_ant_mm: float        #: tube length in front of the isthmus
    medial_wall_x_mm: float
    lateral_wall_x_mm: float
    medial_clip_x_mm: float | None = None   #: |x| below which the tube is cut away (canal side)

    @property
    def e_w(self) -> np.ndarray:
        e = np.cross(self.axis, [0.0, 0.0, 1.0])
        return e / np.linalg.norm(e)

    @property
    def e_h(self) -> np.ndarray:
        return np.cross(self.e_w, self.axis)

    def radii(self, s):
        k = np.clip(s / 8.0, -2.0, 2.0) ** 2
        kw = np.where(s > 0, 0.25, 0.2)      # flares a little towards the body and into the articular mass
        return 0.5 * self.width_mm * (1.0 + kw * k), 0.5 * self.height_mm * (1.0 + 0.08 * k)

    def mask(self, x, y, z):
        c, a, ew, eh = self.centre, self.axis, self.e_w, self.e_h
        dx, dy, dz = x - c[0], y - c[1], z - c[2]
        s = dx * a[0] + dy * a[1] + dz * a[2]
        u = dx * ew[0] + dy * ew[1] + dz * ew[2]
        v = dx * eh[0] + dy * eh[1] + dz * eh[2]
        rw, rh = self.radii(s)
        m = (s >= -self.s_post_mm) & (s <= self.s_ant_mm) & ((u / rw) ** 2 + (v / rh) ** 2 <= 1.0)
        if self.medial_clip_x_mm is not None:
            m &= np.sign(c[0]) * x >= self.medial_clip_x_mm
        return m

    def x_extent(self) -> tuple[float, float]:
        """(min, max) x of the tube on the transverse line through the isthmus centre (mm)."""
        c = self.centre
        x = np.arange(c[0] - 40.0, c[0] + 40.0, 0.005)
        m = self.mask(x, np.full_like(x, c[1]), np.full_like(x, c[2]))
        xs = x[m]
        return float(xs.min()), float(xs.max())

    def box(self):
        ends = [self.centre - self.s_post_mm * self.axis, self.centre + self.s_ant_mm * self.axis]
        r = 0.5 * max(self.width_mm, self.height_mm) * 1.9
        return np.minimum(*ends) - r, np.maximum(*ends) + r


@dataclass
class Vertebra:
    """A whole vertebra around ``body`` (absolute coordinates via ``body.zc``).

    ``disc_above_mm`` is the mid-height of the disc above (the level above's ``disc_below``).
    """

    body: BodyShape
    disc_above_mm: float
    target: bool = False
    pedicles: dict = field(default_factory=dict)
    #: transverse pedicle width actually built (mm): :func:`fitted_pedicle_width_mm`
    pedicle_width_mm: float = field(init=False, default=0.0)

    def __post_init__(self):
        d = self.body.dims
        yP = self.body.posterior_y
        self.pedicle_width_mm = fitted_pedicle_width_mm(d)
        ph, pw = d.pedicle_height_mm, self.pedicle_width_mm
        t, b = self.body.surfaces_local(np.float64(0.0), np.float64(yP - 0.5))
        t, b = float(t), float(b)
        z_ist = min(b + 0.68 * (t - b), t - 0.5 * ph - 0.5)
        z_ist = max(z_ist, 0.5 * (t + b))
        self.z_isthmus = self.body.zc + z_ist
        self.y_isthmus = yP + 0.5 * d.canal_depth_mm
        th_m, th_s = np.radians(d.medial_angle_deg), np.radians(d.sagittal_angle_deg)
        cosm = np.cos(th_m)
        for side, s in (("left", 1.0), ("right", -1.0)):
            axis = np.array([-s * np.sin(th_m) * np.cos(th_s), -np.cos(th_m) * np.cos(th_s), -np.sin(th_s)])
            half_x = 0.5 * pw / cosm
            cx = s * (0.5 * d.canal_width_mm + half_x)
            c = np.array([cx, self.y_isthmus, self.z_isthmus])
            dy_ant = self.y_isthmus - (yP - 3.0)
            dy_post = yP + 0.95 * d.canal_depth_mm - self.y_isthmus
            k = 1.0 / (np.cos(th_m) * np.cos(th_s))
            geom = PedicleGeom(side=side, centre=c, axis=axis, width_mm=pw, height_mm=ph,
                               s_post_mm=dy_post * k, s_ant_mm=dy_ant * k, medial_wall_x_mm=0.0, lateral_wall_x_mm=0.0)
            # the tube flares, so its cut by the transverse line through the isthmus is wider than
            # pw / cos(medial angle): place it so that the medial wall lies exactly at the canal's edge
            lo_x, hi_x = geom.x_extent()
            medial = lo_x if s > 0 else hi_x
            shift = s * 0.5 * d.canal_width_mm - medial
            c = c + np.array([shift, 0.0, 0.0])
            self.pedicles[side] = PedicleGeom(
                side=side, centre=c, axis=axis, width_mm=pw, height_mm=ph,
                s_post_mm=dy_post * k, s_ant_mm=dy_ant * k,
                medial_wall_x_mm=float(medial + shift),
                lateral_wall_x_mm=float((hi_x if s > 0 else lo_x) + shift),
                medial_clip_x_mm=0.5 * d.canal_width_mm)

    # -- derived positions -----------------------------------------------------------
    @property
    def dims(self):
        return self.body.dims

    @property
    def lamina_mm(self) -> float:
        return LAMINA_MM[self.dims.thoracic] * self.dims.scale

    @property
    def canal_posterior_y(self) -> float:
        return self.body.posterior_y + self.dims.canal_depth_mm

    @property
    def lamina_outer_y(self) -> float:
        """Posterior surface of the laminae at the midline (mm)."""
        return self.canal_posterior_y + self.lamina_mm

    def canal_half_width(self, y, grow_mm: float = 0.0):
        """Half-width of the canal at ``y`` (mm); <= 0 outside its depth."""
        d = self.dims
        yP = self.body.posterior_y
        depth = d.canal_depth_mm + grow_mm
        v = (y - yP) / depth
        if d.thoracic and d.level != "T12":   # rounder (oval) thoracic canal; T12 is transitional
            g = np.sqrt(np.clip(1.0 - (np.abs(v - 0.5) / np.where(v <= 0.5, 0.75, 0.58)) ** 2, 0.0625, 1.0))
        else:            # lumbar: full width in front, narrowing to the lamina apex (shield / trefoil)
            g = np.where(v <= 0.5, 1.0, 1.0 - 0.75 * np.clip((v - 0.5) / 0.5, 0, 1) ** 1.5)
        hw = (0.5 * d.canal_width_mm + grow_mm) * g
        return np.where((v >= -0.15) & (v <= 1.0), hw, -1.0)

    def canal_mask(self, x, y, z):
        return np.abs(x) <= self.canal_half_width(y)

    def z_span(self) -> tuple[float, float]:
        """Absolute z range of the bony vertebra including articular processes (mm)."""
        z0, z1 = self.body.z_range()
        return z0 - 0.6 * self.dims.disc_below_mm - 4.0, z1 + 0.9 * self.disc_above_mm + 6.0

    def spinous_points(self, skin_y: float):
        d = self.dims
        root = np.array([0.0, self.canal_posterior_y + 0.3 * self.lamina_mm,
                         self.body.zc - 0.12 * d.posterior_height_mm])
        ang = np.radians(d.spinous_angle_deg)
        length = SPINOUS_LENGTH_MM[d.thoracic] * d.scale
        room = skin_y - 12.0 - root[1]
        length = max(6.0, min(length, room / max(np.cos(ang), 0.2)))
        tip = root + length * np.array([0.0, np.cos(ang), -np.sin(ang)])
        return root, tip

    def facet_x(self, side_sign: float) -> float:
        """x (mm) of the articular processes: the superior process' lateral edge 0.5 mm inside
        the pedicle's outer wall (BMC Musculoskelet Disord s12891-020-03751-y, FACTS.md 2)."""
        p = self.pedicles["left" if side_sign > 0 else "right"]
        rf = FACET_RADIUS_MM[self.dims.thoracic] * self.dims.scale
        return p.lateral_wall_x_mm - side_sign * (0.8 * rf + 2.0)

    def transverse_points(self, side_sign: float):
        d = self.dims
        p = self.pedicles["left" if side_sign > 0 else "right"]
        root = np.array([p.lateral_wall_x_mm - side_sign * 1.0, self.y_isthmus + 0.3 * d.canal_depth_mm,
                         self.z_isthmus])
        if d.thoracic:
            n = int(d.level[1:])
            root[2] -= 6.6 * np.clip((n - 6) / 6.0, 0, 1)     # McCormack 1995 (FACTS 1.3)
            direction = np.array([side_sign * np.cos(np.radians(28)), np.sin(np.radians(28)), 0.0])
        else:
            direction = np.array([side_sign * 1.0, 0.08, 0.0])
        tip = root + (d.tp_length_mm + 4.0 * d.scale) * direction
        return root, tip

    # -- painting ------------------------------------------------------------------------
    def paint_canal(self, cv: Canvas, z_lo: float, z_hi: float):
        d = self.dims
        yP = self.body.posterior_y
        lo = (-0.5 * d.canal_width_mm - 1, yP - 0.2 * d.canal_depth_mm, z_lo)
        hi = (0.5 * d.canal_width_mm + 1, yP + d.canal_depth_mm + 1, z_hi)
        cv.paint(lo, hi, self.canal_mask, Label.CANAL)

    def pedicle_z_extent(self) -> tuple[float, float]:
        """(bottom, top) z of the pedicles at the isthmus (mm)."""
        h = 0.5 * self.dims.pedicle_height_mm
        return self.z_isthmus - h, self.z_isthmus + h

    def paint_foramina(self, cv: Canvas, z_gap: float):
        """Both foramina under this vertebra's pedicles, centred at height ``z_gap``."""
        d = self.dims
        yP = self.body.posterior_y
        for s, lab in ((1.0, Label.FORAMEN_LEFT), (-1.0, Label.FORAMEN_RIGHT)):
            x = s * (0.5 * d.canal_width_mm + 0.5 * self.pedicle_width_mm)
            f, lo, hi = ellipsoid((x, yP + 0.35 * d.canal_depth_mm, z_gap),
                                  (0.5 * self.pedicle_width_mm + 3.0, 0.3 * d.canal_depth_mm + 2.5, 7.0 * d.scale))
            cv.paint(lo, hi, f, lab, only=(Label.MUSCLE, Label.FAT, Label.SOFT_TISSUE))

    def paint_posterior(self, cv: Canvas, label_pe: int, skin_y: float, label_ped=None):
        """Laminae, articular masses, facets, transverse and spinous processes; then the pedicles."""
        d = self.dims
        sc = d.scale
        yP = self.body.posterior_y
        zc = self.body.zc
        h = d.posterior_height_mm
        lam = self.lamina_mm
        y_front = self.y_isthmus - 0.05 * d.canal_depth_mm
        z0, z1 = zc - 0.6 * h, zc + 0.35 * h

        slope = 0.3      # laminae shingle: their edges run caudally as they go back [NV]

        def lamina(x, y, z):
            hw_out = self.canal_half_width(y, grow_mm=lam)
            zz = z + slope * (y - y_front)
            return ((np.abs(x) <= hw_out) & ~(np.abs(x) <= self.canal_half_width(y))
                    & (y >= y_front) & (zz >= z0) & (zz <= z1))

        w_out = 0.5 * d.canal_width_mm + lam
        y_back = yP + d.canal_depth_mm + lam
        cv.paint((-w_out, y_front, z0 - slope * (y_back - y_front)), (w_out, y_back, z1), lamina, label_pe)
        rf = FACET_RADIUS_MM[d.thoracic] * sc
        for s in (1.0, -1.0):
            p = self.pedicles["left" if s > 0 else "right"]
            # the articular mass continues the pedicle tube backwards (its centre follows the axis)
            y_mass = yP + 0.85 * d.canal_depth_mm
            x_mass = p.centre[0] + (p.centre[1] - y_mass) * p.axis[0] / p.axis[1]
            mass_c = (x_mass, y_mass, self.z_isthmus - 0.1 * h)
            f, lo, hi = ellipsoid(mass_c, (0.5 * self.pedicle_width_mm + 1.0, 5.0 * sc, 0.5 * d.pedicle_height_mm + 2.0))
            cv.paint(lo, hi, f, label_pe)
            xf = self.facet_x(s)
            yf = yP + 0.85 * d.canal_depth_mm
            sap = aniso_capsule((xf + s * 1.5, yf, self.z_isthmus),
                                (xf + s * 1.5, yf + 2.0, self.body.z_range()[1] + 0.9 * self.disc_above_mm + 3.0),
                                (rf * 0.8, rf, rf))
            iap = aniso_capsule((xf - s * 1.0, yf + 2.0, zc - 0.1 * h),
                                (xf - s * 1.0, yf + 3.5, self.body.z_range()[0] - 0.6 * d.disc_below_mm - 2.0),
                                (rf * 0.8, rf, rf))
            r, t = self.transverse_points(s)
            ry, rz = (v * sc for v in TP_RADII_MM[d.thoracic])
            tp = aniso_capsule(r, t, (ry, ry, rz))
            for f, lo, hi in (sap, iap):
                cv.paint(lo, hi, f, label_pe)
            cv.paint(tp[1], tp[2], tp[0], label_pe)
        root, tip = self.spinous_points(skin_y)
        hx, hz = SPINOUS_HALF_MM[d.thoracic]
        f, lo, hi = spinous_plate(root, tip, hx * sc, hz * sc)
        cv.paint(lo, hi, f, label_pe)
        for side, p in self.pedicles.items():
            lab = label_pe if label_ped is None else label_ped[side]
            lo, hi = p.box()
            cv.paint(lo, hi, p.mask, lab)

    def paint_body(self, cv: Canvas, label: int):
        lo, hi = self.body.box()
        return cv.paint(lo, hi, self.body.mask, label)
