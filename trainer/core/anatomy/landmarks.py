"""Anatomical landmarks in patient millimetres (LPS, origin at the target body centre).

Scoring, scripted procedures and the trocar's wall classification read these; the
anatomy builder (or the CT importer) fills them in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["PedicleLandmarks", "Landmarks"]


def _vec(v) -> list[float]:
    return [round(float(x), 3) for x in np.asarray(v, float)]


@dataclass(frozen=True)
class PedicleLandmarks:
    """One pedicle, modelled as an elliptic tube along ``axis``.

    Attributes
    ----------
    side : str
        ``'left'`` (+x) or ``'right'`` (-x).
    centre_mm : tuple of float
        Centre of the isthmus (narrowest section), (x, y, z) mm.
    axis : tuple of float
        Unit vector along the pedicle from its posterior end towards the vertebral body
        (points anterior, medial by ``medial_angle_deg``, and caudal/cranial by
        ``sagittal_angle_deg``).  The ideal transpedicular trajectory.
    width_mm, height_mm : float
        Outer transverse and sagittal diameters at the isthmus (mm).
    medial_angle_deg : float
        Transverse (medial) angulation of the axis from the sagittal plane (deg, positive medial).
    sagittal_angle_deg : float
        Sagittal angulation (deg, positive = axis heads caudal as it goes anterior).
    entry_mm : tuple of float
        Where the axis enters bone posteriorly (the cortical entry point on the pedicle axis).
    body_junction_mm : tuple of float
        Where the axis meets the posterior wall of the vertebral body.
    medial_wall_x_mm, lateral_wall_x_mm : float
        x of the medial and lateral cortex at the isthmus (mm).
    """

    side: str
    centre_mm: tuple
    axis: tuple
    width_mm: float
    height_mm: float
    medial_angle_deg: float
    sagittal_angle_deg: float
    entry_mm: tuple
    body_junction_mm: tuple
    medial_wall_x_mm: float
    lateral_wall_x_mm: float

    def to_json(self) -> dict:
        d = asdict(self)
        for k in ("centre_mm", "axis", "entry_mm", "body_junction_mm"):
            d[k] = _vec(d[k])
        return d


@dataclass(frozen=True)
class Landmarks:
    """Landmarks of the target vertebra and its surroundings (all mm, LPS)."""

    level: str
    body_centre_mm: tuple
    superior_endplate_z_mm: float     #: superior endplate at the body centre (after fracture)
    inferior_endplate_z_mm: float     #: inferior endplate at the body centre
    posterior_wall_y_mm: float        #: posterior cortex of the body at the midline (larger y)
    anterior_wall_y_mm: float         #: anterior cortex of the body (smaller y)
    body_width_mm: float
    anterior_height_mm: float         #: measured after fracture
    middle_height_mm: float
    posterior_height_mm: float
    pedicle_left: PedicleLandmarks
    pedicle_right: PedicleLandmarks
    spinous_tip_mm: tuple
    canal_centre_mm: tuple
    canal_width_mm: float
    canal_depth_mm: float
    skin_y_mm: float                  #: skin surface (posterior) at the midline over the target
    basivertebral_foramen_mm: tuple   #: centre of the basivertebral foramen in the posterior wall
    #: the vertebra's own axial rotation on the table, deg (positive: its front turned towards the patient's
    #: left, +x): 0 on a synthetic patient (built unrotated), measured on a CT (axial_rotation.mirror_rotation_deg)
    axial_rotation_deg: float = 0.0
    #: the turn (deg, as ``axial_rotation_deg``) of the vertebra's own frame, in which the walls' coordinates
    #: (``posterior_wall_y_mm``, ``anterior_wall_y_mm``, the pedicles' ``medial_wall_x_mm`` and
    #: ``lateral_wall_x_mm``) are given: the frame turned by this much about the body centre, where the vertebra
    #: faces +y.  0 (the patient's frame) on a synthetic patient and on a CT vertebra turned less than
    #: ``ct_turn.TURNED_DEG``; the points (centres, axes, entries) are always the patient's
    own_frame_turn_deg: float = 0.0

    @property
    def body_depth_mm(self) -> float:
        return float(self.posterior_wall_y_mm - self.anterior_wall_y_mm)

    def own_mm(self, p_mm) -> np.ndarray:
        """``p_mm`` (x, y, z mm, the patient's) in the vertebra's own frame (:attr:`own_frame_turn_deg`), whose y
        the walls' ``_y_mm`` and x the pedicles' ``_x_mm`` are read in; unchanged where that turn is 0."""
        p = np.array(p_mm, float)
        if not self.own_frame_turn_deg:
            return p
        c = np.asarray(self.body_centre_mm, float)
        return c + self.own_dir(p - c)

    def own_dir(self, d) -> np.ndarray:
        """Direction (or offset) ``d`` (x, y, z) in the vertebra's own frame (:meth:`own_mm`)."""
        v = np.array(d, float)
        if not self.own_frame_turn_deg:
            return v
        t = np.radians(self.own_frame_turn_deg)
        return np.array([np.cos(t) * v[0] + np.sin(t) * v[1], -np.sin(t) * v[0] + np.cos(t) * v[1], v[2]])

    def along_to_depth(self, p_mm, d, y_mm: float) -> float:
        """How far (in units of ``d``) the line from ``p_mm`` along ``d`` runs until it reaches the depth ``y_mm``
        of the vertebra's own frame (the plane of its body at that depth: a lateral view's depth)."""
        return float((y_mm - self.own_mm(p_mm)[1]) / self.own_dir(d)[1])

    def point_at_depth(self, p_mm, d, y_mm: float) -> np.ndarray:
        """The point (mm) where the line from ``p_mm`` along ``d`` reaches the own frame's depth ``y_mm``."""
        p, v = np.asarray(p_mm, float), np.asarray(d, float)
        if not self.own_frame_turn_deg:
            return p + (y_mm - p[1]) / v[1] * v
        return p + self.along_to_depth(p, v, y_mm) * v

    def pedicle(self, side: str) -> PedicleLandmarks:
        if side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right'; got {side!r}")
        return self.pedicle_left if side == "left" else self.pedicle_right

    def depth_fraction(self, y_mm: float) -> float:
        """0 at the posterior wall, 1 at the anterior wall (lateral-view depth)."""
        return float((self.posterior_wall_y_mm - y_mm) / self.body_depth_mm)

    def to_json(self) -> dict:
        """Plain-JSON form, with the keys scripted procedures rely on."""
        d = {
            "level": self.level,
            "body_centre_mm": _vec(self.body_centre_mm),
            "pedicle_left_centre_mm": _vec(self.pedicle_left.centre_mm),
            "pedicle_right_centre_mm": _vec(self.pedicle_right.centre_mm),
            "posterior_wall_y_mm": round(float(self.posterior_wall_y_mm), 3),
            "anterior_wall_y_mm": round(float(self.anterior_wall_y_mm), 3),
            "superior_endplate_z_mm": round(float(self.superior_endplate_z_mm), 3),
            "inferior_endplate_z_mm": round(float(self.inferior_endplate_z_mm), 3),
            "body_width_mm": round(float(self.body_width_mm), 3),
            "body_depth_mm": round(self.body_depth_mm, 3),
            "anterior_height_mm": round(float(self.anterior_height_mm), 3),
            "middle_height_mm": round(float(self.middle_height_mm), 3),
            "posterior_height_mm": round(float(self.posterior_height_mm), 3),
            "spinous_tip_mm": _vec(self.spinous_tip_mm),
            "canal_centre_mm": _vec(self.canal_centre_mm),
            "canal_width_mm": round(float(self.canal_width_mm), 3),
            "canal_depth_mm": round(float(self.canal_depth_mm), 3),
            "skin_y_mm": round(float(self.skin_y_mm), 3),
            "basivertebral_foramen_mm": _vec(self.basivertebral_foramen_mm),
            "axial_rotation_deg": round(float(self.axial_rotation_deg), 3),
            "pedicle_left": self.pedicle_left.to_json(),
            "pedicle_right": self.pedicle_right.to_json(),
        }
        if self.own_frame_turn_deg:             # written only where the walls are not the patient's frame's
            d["own_frame_turn_deg"] = round(float(self.own_frame_turn_deg), 3)
        return d
