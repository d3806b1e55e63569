"""Walls the trocar tip crosses, pedicle breaches and the medial-wall margin.

Walls are found from label changes between consecutive tip samples (every
:data:`~trainer.core.procedure.tissue.SAMPLE_MM`) and named from the landmarks:

``bone_entry`` / ``bone_exit``
    soft tissue to bone (always ``bone_entry``: the cortical entry), or bone to anything
    outside the pedicles' span (posterior elements, ribs, adjacent vertebrae).
``pedicle_medial`` / ``pedicle_lateral`` / ``pedicle_superior`` / ``pedicle_inferior``
    the tip leaves the pedicle (or the posterior elements next to it: within its span
    between the posterior entry and the body junction and within :data:`NEAR_RHO` isthmus
    radii of its axis) into anything that is not bone, or re-enters it from the canal, a
    foramen or a vein.  The wall is the larger of
    the normalised offsets from the pedicle axis in the pedicle's cross-section frame
    (medial-lateral offset over half the isthmus width, cranio-caudal offset over half its
    height; :class:`~trainer.core.anatomy.landmarks.PedicleLandmarks`).
``body_posterior`` / ``body_anterior`` / ``body_lateral`` / ``endplate_superior`` / ``endplate_inferior``
    the tip enters or leaves the vertebral body (cortex, cancellous bone, cleft): the
    wall is the nearest of the posterior wall, anterior wall, lateral wall and endplates
    given by the landmarks.  Entering the body from the pedicle is ``body_posterior``.

Breach (FACTS.md section 2, Gertzbein-Robbins): how far the trocar's *outer surface*
reaches outside the bone around the pedicle, ``max(0, radius + d)`` over the shaft
samples along the pedicle (from 5 mm in front of its posterior entry to 2 mm before the
body junction, within 2.5 isthmus radii of its axis), where
``d`` is the signed distance (positive outside) of the shaft axis to bone (any bone
label, and the body with its basivertebral vein).  Grades: 0 inside, 1 under 2 mm, 2 from 2 to 4 mm,
3 over 4 mm.  The medial margin is ``half width - medial offset - radius`` in the
isthmus ellipse (negative when the outer surface is past the medial wall line).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage

from trainer.core.anatomy.breach import PEDICLE_WALLS, gr_grade
from trainer.core.anatomy.labels import BONE_LABELS, Label
from trainer.core.anatomy.landmarks import PedicleLandmarks
from trainer.core.anatomy.patient import Patient
from trainer.core.procedure.distance import LazyDistance
from trainer.core.procedure.tissue import BODY_LABELS, is_bone, is_soft, tissue_name

__all__ = ["WALLS", "PEDICLE_WALLS", "gr_grade", "PedicleFrame", "WallModel", "Crossing"]

WALLS = ("bone_entry", "bone_exit", "pedicle_medial", "pedicle_lateral", "pedicle_superior",
         "pedicle_inferior", "body_posterior", "body_anterior", "body_lateral", "endplate_superior",
         "endplate_inferior")

#: How far from a pedicle's axis (in isthmus radii) a bone/soft boundary still counts as its wall.
NEAR_RHO = 2.0
#: Shaft samples further than this (isthmus radii) from the pedicle axis are not "in" it.
BREACH_RHO = 2.5
#: The breach is measured between the entry zone (facet and articular-process surfaces
#: just in front of the cortical entry) and the junction zone (where the pedicle meets the
#: posterior body wall, whose surface faces the canal): mm after the entry / before the junction.
BREACH_SKIP_ENTRY_MM = 5.0
BREACH_SKIP_JUNCTION_MM = 2.0
#: A planned line's clearance (:meth:`WallModel.line_breach_mm`): the largest step between its samples along the
#: breach zone (mm) and the points round the trocar's outer surface at each sample.
LINE_SAMPLE_MM = 0.25
LINE_RING_POINTS = 12
#: Margin (mm) of the distance-transform box around the breach zone.
_SDF_MARGIN_MM = 6.0
_PEDICLE = {"left": int(Label.PEDICLE_LEFT), "right": int(Label.PEDICLE_RIGHT)}
_BODY = np.zeros(256, bool)
_BODY[[int(v) for v in BODY_LABELS]] = True
#: What counts as "inside" for the breach distance: any bone, and the body with its vein.
_HOST = np.zeros(256, bool)
_HOST[[*[int(v) for v in BONE_LABELS], *[int(v) for v in BODY_LABELS]]] = True


class PedicleFrame:
    """The cross-section frame of one pedicle: axial ``t``, medial ``m`` and superior ``s`` (mm)."""

    def __init__(self, ped: PedicleLandmarks):
        self.ped = ped
        self.centre = np.asarray(ped.centre_mm, float)
        a = np.asarray(ped.axis, float)
        self.axis = a / np.linalg.norm(a)
        medial = np.array([-1.0 if ped.side == "left" else 1.0, 0.0, 0.0])
        m = medial - self.axis * (medial @ self.axis)
        self.medial = m / np.linalg.norm(m)
        s = np.cross(self.axis, self.medial)
        self.superior = s if s[2] >= 0 else -s
        self.half_w = float(ped.width_mm) / 2.0
        self.half_h = float(ped.height_mm) / 2.0
        self.t_entry = float((np.asarray(ped.entry_mm, float) - self.centre) @ self.axis)
        self.t_junction = float((np.asarray(ped.body_junction_mm, float) - self.centre) @ self.axis)

    def coords(self, points_mm) -> np.ndarray:
        """(..., 3) points -> (..., 3) ``(t, m, s)`` mm in the pedicle frame."""
        d = np.asarray(points_mm, float) - self.centre
        return np.stack([d @ self.axis, d @ self.medial, d @ self.superior], axis=-1)

    def wall_of(self, point_mm) -> str:
        """Which pedicle wall a point near the pedicle surface belongs to."""
        _, m, s = self.coords(point_mm)
        if abs(m) / self.half_w >= abs(s) / self.half_h:
            return "pedicle_medial" if m > 0 else "pedicle_lateral"
        return "pedicle_superior" if s > 0 else "pedicle_inferior"


@dataclass(frozen=True)
class Crossing:
    """One label change of the tip that is a wall crossing."""

    wall: str
    side: str | None        #: pedicle side for pedicle walls and bone entry near a pedicle
    point_mm: tuple
    inward: bool
    tissue_from: str
    tissue_to: str
    fraction: float = 0.0   #: where along the sampled path (0 start, 1 end)


class _SignedDistance:
    """``edt(~inside) - edt(inside)`` (float32 mm, positive outside) on a box, computed per voxel on demand.

    The same numbers as the full scipy transforms (:mod:`trainer.core.procedure.distance`).
    """

    def __init__(self, inside: np.ndarray, sampling):
        self.shape = inside.shape
        self.inside = inside
        self._to_inside = LazyDistance(inside, sampling)       # from outside voxels
        self._to_outside = LazyDistance(~inside, sampling)     # from inside voxels

    def at(self, kji) -> np.ndarray:
        """Signed distances (float32 (M,)) at box indices ``kji`` (M, 3)."""
        kji = np.asarray(kji, np.int64).reshape(-1, 3)
        return (self._to_inside.at(kji) - self._to_outside.at(kji)).astype(np.float32)

    def full(self) -> np.ndarray:
        """The whole box (slow; for tests)."""
        return (self._to_inside.full() - self._to_outside.full()).astype(np.float32)


class _ConstantDistance:
    """The signed distance of a box that is all inside or all outside."""

    def __init__(self, shape, value: float):
        self.shape = shape
        self.value = np.float32(value)

    def at(self, kji) -> np.ndarray:
        return np.full(len(np.asarray(kji).reshape(-1, 3)), self.value, np.float32)

    def full(self) -> np.ndarray:
        return np.full(self.shape, self.value, np.float32)


class WallModel:
    """Classifies label changes into walls and measures pedicle breaches for one patient."""

    def __init__(self, patient: Patient):
        self.patient = patient
        lm = patient.landmarks
        self.lm = lm
        self.frames = {"left": PedicleFrame(lm.pedicle_left), "right": PedicleFrame(lm.pedicle_right)}
        self._sdf: dict[str, tuple] = {}
        self._sdf_full: dict[str, tuple] = {}

    # -- crossings --------------------------------------------------------------------------
    def crossings(self, points_mm: np.ndarray, labels: np.ndarray, side: str) -> list[Crossing]:
        """Wall crossings along consecutive tip samples ``points_mm`` with ``labels``."""
        lab = np.array(labels, np.uint8)
        # one-sample blips (a path grazing a voxel corner) are aliasing, not crossings
        if len(lab) >= 3:
            blip = (lab[:-2] == lab[2:]) & (lab[1:-1] != lab[:-2])
            lab[1:-1][blip] = lab[:-2][blip]
        idx = np.flatnonzero(lab[1:] != lab[:-1])
        out = []
        n = max(1, len(lab) - 1)
        for i in idx:
            c = self._classify(int(lab[i]), int(lab[i + 1]), points_mm[i], points_mm[i + 1], side)
            if c is not None:
                out.append(replace(c, fraction=(i + 0.5) / n))
        return out

    def near_pedicle(self, point_mm) -> str | None:
        """The pedicle whose wall a point belongs to: within its span (posterior entry to
        body junction) and at most :data:`NEAR_RHO` normalised radii from its axis."""
        best, best_rho = None, NEAR_RHO
        for side, fr in self.frames.items():
            t, m, s = fr.coords(np.asarray(point_mm, float))
            if not (fr.t_entry + 2.0 < t <= fr.t_junction + 1.0):
                continue
            rho = float(np.hypot(m / fr.half_w, s / fr.half_h))
            if rho <= best_rho:
                best, best_rho = side, rho
        return best

    def _classify(self, a: int, b: int, pa, pb, side: str) -> Crossing | None:
        bone_a, bone_b = bool(is_bone(a)), bool(is_bone(b))
        body_a, body_b = bool(_BODY[a]), bool(_BODY[b])
        ped = {v: k for k, v in _PEDICLE.items()}
        mid = tuple(round(float(v), 3) for v in (np.asarray(pa) + np.asarray(pb)) / 2)
        ta, tb = tissue_name(a), tissue_name(b)
        if body_a and body_b:
            return None                      # cortex <-> cancellous <-> vein inside the body
        if body_b or body_a:
            inward = body_b
            if (a in ped and inward) or (b in ped and not inward):
                return Crossing("body_posterior", ped.get(a if inward else b), mid, inward, ta, tb)
            if bone_a and bone_b:
                return None
            return Crossing(self._body_wall(np.asarray(mid)), None, mid, inward, ta, tb)
        if bone_a == bone_b:
            return None                      # soft <-> soft, or pedicle <-> posterior elements
        inward = bone_b
        bone = b if inward else a
        other = a if inward else b
        from_soft = inward and bool(is_soft(other))
        if (bone in ped or bone == int(Label.POSTERIOR_ELEMENTS)) and not from_soft:
            near = self.near_pedicle(mid)
            if near is not None:
                return Crossing(self.frames[near].wall_of(np.asarray(mid)), near, mid, inward, ta, tb)
        if bone in ped or bone == int(Label.POSTERIOR_ELEMENTS):
            pside = ped.get(bone) or self.near_pedicle(mid)
            return Crossing("bone_entry" if inward else "bone_exit", pside, mid, inward, ta, tb)
        return Crossing("bone_entry" if inward else "bone_exit", None, mid, inward, ta, tb)

    def _body_wall(self, p: np.ndarray) -> str:
        lm = self.lm
        c = np.asarray(lm.body_centre_mm, float)
        d = {
            "body_posterior": abs(p[1] - lm.posterior_wall_y_mm),
            "body_anterior": abs(p[1] - lm.anterior_wall_y_mm),
            "endplate_superior": abs(p[2] - lm.superior_endplate_z_mm),
            "endplate_inferior": abs(p[2] - lm.inferior_endplate_z_mm),
            "body_lateral": abs(abs(p[0] - c[0]) - lm.body_width_mm / 2.0),
        }
        return min(d, key=lambda name: d[name])

    # -- breach and margin ------------------------------------------------------------------
    def prepare(self, side: str) -> None:
        """Set up the breach distance map of a pedicle now (a few hundredths of a second)."""
        self._sdf_for(side)

    def _sdf_for(self, side: str):
        """Signed distance (mm, positive outside bone) on a box around the breach zone.

        Returns ``(k0, sdf)``: the box's first fine-grid index and a :class:`_SignedDistance`
        evaluated only where the shaft samples fall (the values of the full transform).
        """
        if side in self._sdf:
            return self._sdf[side]
        fr = self.frames[side]
        vol = self.patient.volume
        g = vol.grid
        # the box holds the breach zone (span x BREACH_RHO radii) plus a margin for the transform
        ang = np.linspace(0.0, 2 * np.pi, 16, endpoint=False)
        ring = (np.cos(ang)[:, None] * fr.medial * BREACH_RHO * fr.half_w
                + np.sin(ang)[:, None] * fr.superior * BREACH_RHO * fr.half_h)
        ends = [fr.centre + fr.axis * (fr.t_entry + BREACH_SKIP_ENTRY_MM),
                fr.centre + fr.axis * (fr.t_junction - BREACH_SKIP_JUNCTION_MM)]
        corners = np.concatenate([e + ring for e in ends])
        lo = corners.min(axis=0) - _SDF_MARGIN_MM
        hi = corners.max(axis=0) + _SDF_MARGIN_MM
        klo = np.clip(np.floor(g.mm_to_index(lo)).astype(int), 0, np.asarray(g.shape) - 1)
        khi = np.clip(np.ceil(g.mm_to_index(hi)).astype(int), 0, np.asarray(g.shape) - 1)
        k0, k1 = np.minimum(klo, khi), np.maximum(klo, khi) + 1
        lab = vol.labels[k0[0]:k1[0], k0[1]:k1[1], k0[2]:k1[2]]
        inside = _HOST[lab]
        # pedicle-frame coordinates by broadcasting the three grid axes (float32)
        ox, oy, oz = (np.asarray(g.origin_mm) - fr.centre).astype(np.float32)
        dx, dy, dz = (np.float32(v) for v in g.spacing_xyz_mm)
        x = (ox + dx * np.arange(k0[2], k1[2], dtype=np.float32))[None, None, :]
        y = (oy + dy * np.arange(k0[1], k1[1], dtype=np.float32))[None, :, None]
        z = (oz + dz * np.arange(k0[0], k1[0], dtype=np.float32))[:, None, None]

        def comp(u):
            u = u.astype(np.float32)
            return x * u[0] + y * u[1] + z * u[2]

        # the posterior end face of the pedicle is the planned entry, not a wall: a virtual
        # tube of the isthmus ellipse behind it counts as inside
        tube = ((comp(fr.medial) / fr.half_w) ** 2 + (comp(fr.superior) / fr.half_h) ** 2 <= 1.0) & \
               (comp(fr.axis) <= fr.t_entry + 1.0)
        inside = inside | tube
        sp = np.asarray(g.spacing_zyx_mm)
        sdf: _ConstantDistance | _SignedDistance
        if inside.all() or not inside.any():
            sdf = _ConstantDistance(inside.shape, -50.0 if inside.all() else 50.0)
        else:
            sdf = _SignedDistance(inside, sp)
        self._sdf[side] = (k0, sdf)
        return self._sdf[side]

    def along_pedicle(self, side: str, points_mm) -> np.ndarray:
        """Mask of points within the pedicle's axial span (entry to body junction)."""
        t = self.frames[side].coords(points_mm)[..., 0]
        return (t >= self.frames[side].t_entry) & (t <= self.frames[side].t_junction)

    def breach(self, side: str, shaft_mm: np.ndarray, radius_mm: float) -> tuple[float, np.ndarray | None]:
        """Largest excursion (mm) of the outer surface outside the bone around the pedicle,
        and the shaft point where it occurs (None when no sample is along the pedicle)."""
        pts = np.asarray(shaft_mm, float).reshape(-1, 3)
        fr = self.frames[side]
        tms = fr.coords(pts)
        rho = np.hypot(tms[:, 1] / fr.half_w, tms[:, 2] / fr.half_h)
        t = tms[:, 0]
        span = (t >= fr.t_entry + BREACH_SKIP_ENTRY_MM) & (t <= fr.t_junction - BREACH_SKIP_JUNCTION_MM)
        pts = pts[span & (rho <= BREACH_RHO)]
        if len(pts) == 0:
            return 0.0, None
        k0, sdf = self._sdf_for(side)
        kji = np.rint(self.patient.volume.grid.mm_to_index(pts)).astype(int) - k0
        ok = np.all((kji >= 0) & (kji < np.asarray(sdf.shape)), axis=1)
        d = np.full(len(pts), 25.0)                    # beyond the box: far outside
        d[ok] = sdf.at(kji[ok])
        i = int(np.argmax(d))
        return float(max(0.0, d[i] + radius_mm)), pts[i]

    def _full_sdf_for(self, side: str):
        """``(k0, signed distance on the whole box)`` of :meth:`_sdf_for` (float32 mm), for interpolation."""
        if side not in self._sdf_full:
            k0, sdf = self._sdf_for(side)
            self._sdf_full[side] = (k0, sdf.full())
        return self._sdf_full[side]

    def line_breach_mm(self, side: str, pivot_mm, direction, radius_mm: float) -> float:
        """How far (mm) a straight trocar's outer surface reaches outside the bone around the pedicle, for
        planning a line (continuous in the line and in the landmarks).

        The line through ``pivot_mm`` along ``direction`` is sampled every :data:`LINE_SAMPLE_MM` or less from
        exactly the breach zone's start to its end (axial positions in the pedicle frame), and at each sample
        :data:`LINE_RING_POINTS` points on the trocar's outer surface (``radius_mm`` across the line) read the
        signed distance to the bone interpolated trilinearly between voxel centres.  Unlike :meth:`breach`
        (the scoring's: nearest voxel, the shaft axis's own samples) a line or a landmark moved by a tenth of
        a voxel moves it by about a tenth of a voxel, and a surface the line goes into (the bone in front of
        the entry, across the line's path) is not read as a wall beside it.  Where every such surface is a
        wall beside the line it equals :meth:`breach` (the same voxel-centre convention), to the sampling.

        Parameters
        ----------
        side : str
            ``'left'`` or ``'right'``.
        pivot_mm, direction : (3,) float
            A point of the line (mm) and its direction.
        radius_mm : float
            The trocar's radius plus any clearance wanted (mm).

        Returns
        -------
        float
            0 when the outer surface stays in the bone along the zone; else the excursion (mm).
        """
        fr = self.frames[side]
        d = np.asarray(direction, float)
        pts = self._zone_samples(side, pivot_mm, d)
        if len(pts) == 0:
            return 0.0
        # the trocar's outer surface: a ring of radius_mm round each sample, across the line
        u = np.cross(d, fr.superior)
        u /= np.linalg.norm(u)
        v = np.cross(d, u)
        v /= np.linalg.norm(v)
        ang = np.linspace(0.0, 2 * np.pi, LINE_RING_POINTS, endpoint=False)
        ring = radius_mm * (np.cos(ang)[:, None] * u + np.sin(ang)[:, None] * v)
        pts = (pts[:, None, :] + ring[None]).reshape(-1, 3)
        k0, full = self._full_sdf_for(side)
        idx = self.patient.volume.grid.mm_to_index(pts) - k0
        # trilinear between voxel centres; beyond the box: far outside
        val = ndimage.map_coordinates(full, idx.T, order=1, mode="constant", cval=25.0)
        # :meth:`breach` reads the distance between voxel centres, half a voxel beyond the labelled surface on
        # either side: on the same convention a ring point is in the bone up to a voxel's signed distance
        h = float(np.min(self.patient.volume.grid.spacing_xyz_mm))
        return float(max(0.0, val.max() - h))

    def _zone_samples(self, side: str, pivot_mm, direction) -> np.ndarray:
        """Points (mm) of the line through ``pivot_mm`` along ``direction`` every :data:`LINE_SAMPLE_MM` or less from
        exactly the breach zone's start to its end (axial positions in the pedicle frame), within
        :data:`BREACH_RHO` isthmus radii of the axis (empty when the line runs across the pedicle)."""
        fr = self.frames[side]
        pivot = np.asarray(pivot_mm, float)
        d = np.asarray(direction, float)
        t0, t1 = fr.t_entry + BREACH_SKIP_ENTRY_MM, fr.t_junction - BREACH_SKIP_JUNCTION_MM
        da = float(d @ fr.axis)
        if t1 < t0 or abs(da) < 1e-6:
            return np.zeros((0, 3))
        t = np.linspace(t0, t1, int(np.ceil((t1 - t0) / LINE_SAMPLE_MM)) + 1)
        pts = pivot + ((t - float((pivot - fr.centre) @ fr.axis)) / da)[:, None] * d
        tms = fr.coords(pts)
        return pts[np.hypot(tms[:, 1] / fr.half_w, tms[:, 2] / fr.half_h) <= BREACH_RHO]

    def line_scored_breach_mm(self, side: str, pivot_mm, direction, radius_mm: float) -> float:
        """The breach (mm) the scoring would read on a trocar pushed along a straight line: :meth:`breach` (nearest
        voxel, the shaft axis's samples) on the line sampled every :data:`LINE_SAMPLE_MM` over the breach zone.

        A trocar's shaft samples (every 0.5 mm from its skin point, wherever each push ends) lie on the line, so
        this reads the voxels any push along it can read; :meth:`line_breach_mm` is the continuous reading a
        search steps through, which can pass a line this reads as a graze (docs/realct-log.md, round 27, graze27).

        Parameters
        ----------
        side : {'left', 'right'}
            The pedicle.
        pivot_mm, direction : (3,) float
            The line: a point of it (mm) and its direction (any length).
        radius_mm : float
            The trocar's radius (mm), with no clearance added: the scoring's own.

        Returns
        -------
        float
            0 when the scoring reads no breach along the zone; else the excursion (mm).
        """
        pts = self._zone_samples(side, pivot_mm, direction)
        return self.breach(side, pts, radius_mm)[0] if len(pts) else 0.0

    def breach_mm(self, side: str, shaft_mm: np.ndarray, radius_mm: float) -> float:
        """Largest excursion (mm) of the outer surface outside the bone around the pedicle."""
        return self.breach(side, shaft_mm, radius_mm)[0]

    def medial_margin_mm(self, side: str, shaft_mm: np.ndarray, radius_mm: float) -> float | None:
        """Smallest distance (mm) from the outer surface to the medial wall line of the
        isthmus ellipse, over shaft samples along the pedicle; None if none are there."""
        pts = np.asarray(shaft_mm, float).reshape(-1, 3)
        fr = self.frames[side]
        pts = pts[self.along_pedicle(side, pts)]
        if len(pts) == 0:
            return None
        m = fr.coords(pts)[:, 1]
        return float(np.min(fr.half_w - m - radius_mm))
