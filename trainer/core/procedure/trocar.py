"""The trocar (bone-access cannula): placement on the skin, aiming, advancing, walls.

Geometry (documented in docs/procedure.md)
------------------------------------------
The trocar is a straight cylinder.  Its axis passes through the skin puncture
``skin_mm`` with unit ``direction`` (handle -> tip); the tip is at
``skin_mm + depth_mm * direction``, so the tip always lies on the axis.  Aiming pivots
about the skin puncture.

* Gauges (FACTS.md section 2): 11 G, outer diameter 3.0 mm (default); 13 G, 2.4 mm.
* Working length 100 to 150 mm (FACTS.md 2: "10-15 cm is typical"); default 120 mm.
  The tip can go at most ``length_mm`` below the skin.
* Aim: free while no part of the shaft is in bone; once the shaft is in bone a change of
  at most :data:`MAX_BONE_CORRECTION_DEG` (4 deg) per aim action is possible, and the tip
  must not sweep through a different tissue class on the way.  A larger change needs
  withdrawal into soft tissue first; an aim change made after the shaft had been in bone
  counts as a redirection.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from trainer.core.anatomy.grid import Grid
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.patient import Patient
from trainer.core.errors import ActionRefused
from trainer.core.procedure.tissue import SAMPLE_MM, is_bone, labels_at, run_names, tissue_name, volume_at
from trainer.core.procedure.walls import PEDICLE_WALLS, Crossing, WallModel, gr_grade

__all__ = ["GAUGES_MM", "DEFAULT_GAUGE", "DEFAULT_LENGTH_MM", "LENGTH_RANGE_MM", "MAX_BONE_CORRECTION_DEG",
           "Trocar", "find_skin", "place", "aim", "move", "angle_deg", "Move"]

#: Outer diameter (mm) by gauge (FACTS.md section 2).
GAUGES_MM = {11: 3.0, 13: 2.4}
DEFAULT_GAUGE = 11
DEFAULT_LENGTH_MM = 120.0
LENGTH_RANGE_MM = (100.0, 150.0)
#: Largest aim change per action while the shaft is held by bone (deg); "a few degrees".
MAX_BONE_CORRECTION_DEG = 4.0
#: How far back from the entry point the skin search starts (mm).
_SEARCH_BACK_MM = 400.0


def _tup(v) -> tuple:
    return tuple(round(float(x), 4) for x in np.asarray(v, float))


def angle_deg(a, b) -> float:
    """Angle (deg) between two unit vectors."""
    c = float(np.clip(np.dot(a, b), -1.0, 1.0))
    return float(np.degrees(np.arccos(c)))


@dataclass(frozen=True)
class Trocar:
    """An inserted trocar (immutable; every change makes a new one).

    Attributes
    ----------
    side : str
        ``'left'`` or ``'right'`` pedicle.
    gauge : int
        11 or 13.
    length_mm : float
        Working length.
    skin_mm : tuple
        Skin puncture (x, y, z) mm.
    direction : tuple
        Unit axis, handle -> tip.
    depth_mm : float
        Tip distance below the skin puncture along the axis (0 at the skin).
    tissue : str
        Tissue at the tip.
    shaft_tissues : tuple of str
        Tissues along the shaft from skin to tip (runs).
    been_in_bone : bool
        The shaft has been in bone during this insertion.
    entered_pedicle : bool
        The tip has been inside its pedicle during this insertion.
    max_breach_mm : float
        Largest pedicle breach of the outer surface so far in this insertion.
    max_breach_wall : str or None
        Which pedicle wall that breach is through (``'pedicle_medial'``...).
    min_medial_margin_mm : float or None
        Smallest outer-surface distance to the medial wall line so far (None: never along the pedicle).
    redirections : int
        Aim changes made after the shaft had been in bone.
    """

    side: str
    gauge: int
    length_mm: float
    skin_mm: tuple
    direction: tuple
    depth_mm: float = 0.0
    tissue: str = "skin"
    shaft_tissues: tuple = ()
    been_in_bone: bool = False
    entered_pedicle: bool = False
    max_breach_mm: float = 0.0
    max_breach_wall: str | None = None
    min_medial_margin_mm: float | None = None
    redirections: int = 0

    @property
    def outer_diameter_mm(self) -> float:
        return GAUGES_MM[self.gauge]

    @property
    def radius_mm(self) -> float:
        return GAUGES_MM[self.gauge] / 2.0

    @property
    def tip_mm(self) -> np.ndarray:
        return np.asarray(self.skin_mm) + self.depth_mm * np.asarray(self.direction)

    @property
    def grade(self) -> int:
        """Gertzbein-Robbins grade of the worst breach so far."""
        return gr_grade(self.max_breach_mm)

    def shaft_points(self, step_mm: float = 0.5) -> np.ndarray:
        """Points on the axis from the skin to the tip (mm)."""
        n = max(1, int(np.ceil(self.depth_mm / step_mm)))
        s = np.linspace(0.0, self.depth_mm, n + 1)
        return np.asarray(self.skin_mm) + s[:, None] * np.asarray(self.direction)

    def to_json(self) -> dict:
        return {"side": self.side, "gauge": self.gauge, "length_mm": self.length_mm,
                "skin_mm": list(self.skin_mm), "direction": list(self.direction),
                "depth_mm": round(self.depth_mm, 4), "tip_mm": list(_tup(self.tip_mm)),
                "tissue": self.tissue, "shaft_tissues": list(self.shaft_tissues),
                "max_breach_mm": round(self.max_breach_mm, 3), "max_breach_wall": self.max_breach_wall,
                "grade": self.grade,
                "min_medial_margin_mm": None if self.min_medial_margin_mm is None
                else round(self.min_medial_margin_mm, 3),
                "redirections": self.redirections}


@dataclass(frozen=True)
class Move:
    """The outcome of a trocar change, before the caller commits it."""

    trocar: Trocar | None            #: the new trocar (None: withdrawn out of the body)
    crossings: list = field(default_factory=list)   #: [(Crossing, breach_mm or None)]
    path_labels: np.ndarray | None = None           #: labels along the tip path
    path_mm: float = 0.0                            #: distance the tip travelled (mm)
    bone_mm: float = 0.0                            #: of which in bone (mm)


def _voxel_walk(grid: Grid, a_mm: np.ndarray, b_mm: np.ndarray) -> list[tuple[tuple[int, int, int], float, float]]:
    """The voxels of ``grid`` the segment ``a_mm`` -> ``b_mm`` passes through, in order.

    A 6-connected walk (Amanatides and Woo 1987, "A fast voxel traversal algorithm for ray
    tracing"): from voxel to voxel it crosses one face at a time, so it cannot step
    diagonally past a voxel the segment touches.  Voxel ``i`` spans index ``i - 0.5`` to
    ``i + 0.5`` (the cell :meth:`Grid.nearest_index` rounds to); ties at an edge or corner
    cross x before y before z.  Returns ``((k, j, i), t_in, t_out)`` with ``t`` the
    fraction (0 to 1) of the segment; the part outside the grid is left out.
    """
    p0 = grid.mm_to_index(a_mm)[::-1]             # fractional (i, j, k): x, y, z order
    p1 = grid.mm_to_index(b_mm)[::-1]
    d = p1 - p0
    hi = np.asarray(grid.shape[::-1], float) - 0.5
    t0, t1 = 0.0, 1.0
    for ax in range(3):                            # clip to the grid's box (slab method)
        if d[ax] == 0.0:
            if not -0.5 <= p0[ax] <= hi[ax]:
                return []
            continue
        ta, tb = sorted(((-0.5 - p0[ax]) / d[ax], (hi[ax] - p0[ax]) / d[ax]))
        t0, t1 = max(t0, ta), min(t1, tb)
    if t0 > t1:
        return []
    start = p0 + t0 * d
    v = np.clip(np.floor(start + 0.5).astype(int), 0, np.asarray(grid.shape[::-1]) - 1)
    step = np.sign(d).astype(int)
    t_next = np.full(3, np.inf)
    for ax in range(3):
        if step[ax]:
            t_next[ax] = (v[ax] + 0.5 * step[ax] - p0[ax]) / d[ax]
    out = []
    t_in = t0
    while True:
        ax = int(np.argmin(t_next))
        t_out = min(float(t_next[ax]), t1)
        out.append(((int(v[2]), int(v[1]), int(v[0])), t_in, t_out))
        if t_next[ax] >= t1:
            return out
        v[ax] += step[ax]
        if not 0 <= v[ax] < grid.shape[2 - ax]:
            return out
        t_in = float(t_next[ax])
        t_next[ax] += step[ax] / d[ax]


def _skin_in_step(patient: Patient, air_mm: np.ndarray, body_mm: np.ndarray) -> np.ndarray | None:
    """The skin crossing between the last air sample and the first body sample, if any.

    Walks the voxels of the volume that labels ``body_mm`` (:func:`_voxel_walk`) from
    ``air_mm``; if the first non-air voxel is skin, returns the middle of the segment's
    span inside it (the touching point itself where the segment only grazes its corner).
    """
    vol = volume_at(patient, body_mm)
    if vol is None:
        return None
    for (k, j, i), t_in, t_out in _voxel_walk(vol.grid, air_mm, body_mm):
        lab = int(vol.labels[k, j, i])
        if lab == Label.AIR:
            continue
        if lab != Label.SKIN:
            return None
        return air_mm + 0.5 * (t_in + t_out) * (body_mm - air_mm)
    return None


def find_skin(patient: Patient, entry_mm, target_mm) -> np.ndarray | None:
    """Where the line from ``entry_mm`` through ``target_mm`` first meets the body.

    The search runs along the line from :data:`_SEARCH_BACK_MM` behind the entry point
    towards the target (and on), and returns the first non-air sample if it is skin;
    None if the line meets nothing, or first meets the volumes' edge in another tissue.

    The skin is a shell one voxel thick (4-connected in each slice), so a line that crosses
    it near a voxel's edge or corner can step from an air sample straight to a fat sample
    :data:`SAMPLE_MM` further on.  When the first non-air sample is not skin, the step
    from the last air sample to it is walked voxel by voxel (:func:`_voxel_walk`) in the
    volume that labels it: if the first non-air voxel on that walk is skin, the line
    crossed the skin there, and the middle of its span in that voxel is returned.
    """
    e = np.asarray(entry_mm, float)
    d = np.asarray(target_mm, float) - e
    d = d / np.linalg.norm(d)
    s = np.arange(-_SEARCH_BACK_MM, _SEARCH_BACK_MM + SAMPLE_MM, SAMPLE_MM)
    pts = e + s[:, None] * d
    lab = labels_at(patient, pts)
    hit = np.flatnonzero(lab != Label.AIR)
    if len(hit) == 0 or hit[0] == 0:
        return None
    if lab[hit[0]] == Label.SKIN:
        return pts[hit[0]]
    return _skin_in_step(patient, pts[hit[0] - 1], pts[hit[0]])


def _finish(walls: WallModel, tr: Trocar, tip_path: np.ndarray, tip_labels: np.ndarray) -> Trocar:
    """Recompute tissue, shaft and breach bookkeeping for the new position."""
    shaft = tr.shaft_points()
    shaft_lab = labels_at(walls.patient, shaft)
    tip_label = int(labels_at(walls.patient, tr.tip_mm[None])[0])
    own = int(Label.PEDICLE_LEFT if tr.side == "left" else Label.PEDICLE_RIGHT)
    entered = tr.entered_pedicle or bool(np.any(tip_labels == own))
    breach = tr.max_breach_mm
    margin = tr.min_medial_margin_mm
    in_bone = tr.been_in_bone or bool(np.any(is_bone(shaft_lab)))
    wall = tr.max_breach_wall
    if in_bone:
        b, where = walls.breach(tr.side, shaft, tr.radius_mm)
        if b > breach:
            breach, wall = b, walls.frames[tr.side].wall_of(where)
    m = walls.medial_margin_mm(tr.side, shaft, tr.radius_mm)
    if m is not None:
        margin = m if margin is None else min(margin, m)
    return replace(tr, tissue=tissue_name(tip_label), shaft_tissues=tuple(run_names(shaft_lab)),
                   been_in_bone=in_bone,
                   entered_pedicle=entered, max_breach_mm=round(float(breach), 4), max_breach_wall=wall,
                   min_medial_margin_mm=None if margin is None else round(float(margin), 4))


def _with_breach(walls: WallModel, cr: list[Crossing], tr: Trocar | None) -> list:
    out: list[tuple[Crossing, float | None]] = []
    for c in cr:
        if c.wall in PEDICLE_WALLS and tr is not None:
            out.append((c, tr.max_breach_mm))
        else:
            out.append((c, None))
    return out


def place(walls: WallModel, side: str, entry_mm, target_mm, gauge: int = DEFAULT_GAUGE,
          length_mm: float = DEFAULT_LENGTH_MM) -> Move:
    """Put the tip on the skin where the line entry -> target meets the body.

    Raises
    ------
    ActionRefused
        If the line never meets the body inside the patient volumes.
    """
    skin = find_skin(walls.patient, entry_mm, target_mm)
    if skin is None:
        raise ActionRefused("place: the line from entry_mm through target_mm never meets the skin inside the "
                            "patient volume; choose points on a line that enters the body through the skin")
    d = np.asarray(target_mm, float) - np.asarray(entry_mm, float)
    d = d / np.linalg.norm(d)
    walls.prepare(side)                      # the breach distance map, before the tip meets bone
    tr = Trocar(side=side, gauge=int(gauge), length_mm=float(length_mm), skin_mm=_tup(skin),
                direction=tuple(float(v) for v in d), depth_mm=0.0)
    lab = labels_at(walls.patient, np.asarray(tr.skin_mm)[None])
    return Move(_finish(walls, tr, np.asarray(tr.skin_mm)[None], lab), [], lab, 0.0, 0.0)


def move(walls: WallModel, tr: Trocar, delta_mm: float) -> Move:
    """Advance (positive) or withdraw (negative) the tip along the axis.

    Withdrawing to or past the skin takes the trocar out (``Move.trocar`` is None).

    Raises
    ------
    ActionRefused
        If the tip would go deeper than the working length.
    """
    new_depth = tr.depth_mm + float(delta_mm)
    if new_depth > tr.length_mm + 1e-9:
        raise ActionRefused(f"advance mm = {delta_mm:g} would put the tip {new_depth:.1f} mm below the skin; "
                            f"the trocar's working length is {tr.length_mm:g} mm (at most "
                            f"{tr.length_mm - tr.depth_mm:.2f} mm more)")
    new_depth = max(0.0, new_depth)
    n = max(1, int(np.ceil(abs(new_depth - tr.depth_mm) / SAMPLE_MM)))
    s = np.linspace(tr.depth_mm, new_depth, n + 1)
    path = np.asarray(tr.skin_mm) + s[:, None] * np.asarray(tr.direction)
    lab = labels_at(walls.patient, path)
    cr = walls.crossings(path, lab, tr.side)
    step = abs(new_depth - tr.depth_mm) / n
    bone_mm = float(np.count_nonzero(is_bone(lab[1:])) * step)
    if new_depth <= 0.0:
        return Move(None, _with_breach(walls, cr, tr), lab, abs(new_depth - tr.depth_mm), bone_mm)
    new = _finish(walls, replace(tr, depth_mm=round(float(new_depth), 6)), path, lab)
    return Move(new, _with_breach(walls, cr, new), lab, abs(new_depth - tr.depth_mm), bone_mm)


def aim(walls: WallModel, tr: Trocar, direction) -> tuple[Move, float, bool]:
    """Turn the trocar about the skin puncture to a new unit ``direction``.

    Returns the move, the change in degrees and whether it counts as a redirection.

    Raises
    ------
    ActionRefused
        If the shaft is in bone and the change exceeds :data:`MAX_BONE_CORRECTION_DEG`, or
        if the tip would sweep from soft tissue through bone.
    """
    d1 = np.asarray(direction, float)
    d1 = d1 / np.linalg.norm(d1)
    d0 = np.asarray(tr.direction, float)
    change = angle_deg(d0, d1)
    shaft_lab = labels_at(walls.patient, tr.shaft_points())
    held = bool(np.any(is_bone(shaft_lab)))
    if held and change > MAX_BONE_CORRECTION_DEG + 1e-9:
        raise ActionRefused(f"aim change of {change:.1f} deg is not possible with the shaft in bone "
                            f"(at most {MAX_BONE_CORRECTION_DEG:g} deg); withdraw the tip into soft tissue "
                            "first and then redirect")
    # sweep the tip along the arc (slerp) so walls crossed by the correction are found
    arc_mm = np.radians(change) * tr.depth_mm
    n = max(1, int(np.ceil(arc_mm / SAMPLE_MM)))
    w = np.linspace(0.0, 1.0, n + 1)
    dirs = d0[None] * (1 - w[:, None]) + d1[None] * w[:, None]
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    path = np.asarray(tr.skin_mm) + tr.depth_mm * dirs
    lab = labels_at(walls.patient, path)
    if not held and np.any(is_bone(lab)):
        raise ActionRefused(f"aim change of {change:.1f} deg would sweep the tip through bone; "
                            "withdraw the tip before turning the trocar this far")
    redirection = bool(tr.been_in_bone and not held and change > 1e-9)
    new = replace(tr, direction=tuple(float(v) for v in d1),
                  redirections=tr.redirections + int(redirection))
    cr = walls.crossings(path, lab, tr.side) if held else []
    new = _finish(walls, new, path, lab)
    return Move(new, _with_breach(walls, cr, new), lab, float(arc_mm), 0.0), change, redirection
