"""C-arm geometry: source, isocentre, flat detector, poses and projections.

Conventions (documented in docs/imaging.md)
-------------------------------------------
Patient coordinates are DICOM LPS in mm with the origin at the target body centre;
the patient lies prone, so posterior (+y) faces the ceiling.

* Orbital angle 0 is AP: the tube is under the table (anterior, -y) and the beam
  travels posteriorly (+y) to the detector above the patient's back.  Orbital 90 is a
  lateral with the tube on the patient's right (-x), beam travelling to +x.
* Tilt (cranio-caudal) positive moves the tube caudally, so the beam heads cranially.
* Detector axes: ``u`` (image columns, left to right) and ``v`` (rows, top to bottom).
  Head at the top (``v`` runs caudal).  On AP, ``u`` runs towards the patient's right,
  so the image is what the operator looking at the patient's back sees (the patient's
  left pedicle on the image's left).  On the lateral, ``u`` runs posterior: anterior on
  the left.
* ``patient_roll_deg`` is how far the patient lies rotated about the long axis; a true AP
  then needs ``orbital_deg == patient_roll_deg``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trainer.core.errors import ParameterError

__all__ = ["CArmGeometry", "Pose", "Frame", "frame_for", "project", "pixel_rays", "view_of", "view_of_orbital",
           "VIEW_TOLERANCE_DEG", "AP", "LATERAL"]


@dataclass(frozen=True)
class CArmGeometry:
    """Fixed geometry of a mobile C-arm (FACTS.md 5.2 defaults).

    Parameters
    ----------
    sid_mm : float
        Source-to-image (detector) distance, mm.
    sod_mm : float
        Source-to-isocentre distance, mm.
    detector_mm : float
        Side of the square active detector area, mm.
    pixels : int
        Image size in pixels (square), 64 to 1024.
    """

    sid_mm: float = 1020.0
    sod_mm: float = 530.0
    detector_mm: float = 300.0
    pixels: int = 512

    def __post_init__(self):
        if not (300 <= self.sid_mm <= 2000):
            raise ParameterError("sid_mm", self.sid_mm, "300 to 2000 mm")
        if not (100 <= self.sod_mm < self.sid_mm):
            raise ParameterError("sod_mm", self.sod_mm, f"100 mm to less than sid_mm ({self.sid_mm})")
        if not (50 <= self.detector_mm <= 500):
            raise ParameterError("detector_mm", self.detector_mm, "50 to 500 mm")
        if isinstance(self.pixels, bool) or not isinstance(self.pixels, int) or not (64 <= self.pixels <= 1024):
            raise ParameterError("pixels", self.pixels, "an integer from 64 to 1024")

    @property
    def pixel_mm(self) -> float:
        """Detector pixel pitch, mm."""
        return self.detector_mm / self.pixels

    @property
    def magnification(self) -> float:
        """Magnification at the isocentre (SID / SOD)."""
        return self.sid_mm / self.sod_mm

    def with_pixels(self, pixels: int) -> CArmGeometry:
        return CArmGeometry(self.sid_mm, self.sod_mm, self.detector_mm, int(pixels))


@dataclass(frozen=True)
class Pose:
    """Where the C-arm points.

    Parameters
    ----------
    orbital_deg : float
        Rotation about the patient's long axis, -135 to 135 (0 = AP, 90 = lateral).
    tilt_deg : float
        Cranio-caudal angulation, -45 to 45 (positive: beam heads cranially).
    table_offset_mm : tuple of float
        Patient point (x, y, z) brought to the isocentre by moving the table, mm.
    """

    orbital_deg: float = 0.0
    tilt_deg: float = 0.0
    table_offset_mm: tuple = (0.0, 0.0, 0.0)

    def __post_init__(self):
        if not (-135 <= self.orbital_deg <= 135):
            raise ParameterError("orbital_deg", self.orbital_deg, "-135 to 135 degrees")
        if not (-45 <= self.tilt_deg <= 45):
            raise ParameterError("tilt_deg", self.tilt_deg, "-45 to 45 degrees")
        off = tuple(float(v) for v in self.table_offset_mm)
        if len(off) != 3 or any(abs(v) > 200 for v in off):
            raise ParameterError("table_offset_mm", self.table_offset_mm, "three values within +/-200 mm")
        object.__setattr__(self, "table_offset_mm", off)

    def to_json(self) -> dict:
        return {"orbital_deg": self.orbital_deg, "tilt_deg": self.tilt_deg,
                "table_offset_mm": list(self.table_offset_mm)}


AP = Pose(0.0, 0.0)
LATERAL = Pose(90.0, 0.0)


#: A view is AP (lateral) while the beam is within this many degrees of the patient's own
#: AP (lateral) axis; in between it is oblique.
VIEW_TOLERANCE_DEG = 20.0


def view_of_orbital(orbital_deg: float, patient_roll_deg: float = 0.0) -> str:
    """``'ap'``, ``'lateral'`` or ``'oblique'`` for an orbital angle on a rolled patient.

    The one definition of a view, used by the procedure (last-image-hold monitor, kVp,
    leak visibility) and by scoring.  What counts is the orbital angle relative to the
    patient: a patient rolled by ``patient_roll_deg`` is seen in true AP at
    ``orbital_deg == patient_roll_deg`` (see :func:`frame_for`).

    Parameters
    ----------
    orbital_deg, patient_roll_deg : float
        Degrees.

    Returns
    -------
    str
        ``'ap'`` within :data:`VIEW_TOLERANCE_DEG` of AP (or PA), ``'lateral'`` within it of
        either lateral, ``'oblique'`` otherwise.
    """
    a = abs(float(orbital_deg) - float(patient_roll_deg)) % 180.0
    a = min(a, 180.0 - a)              # 0 = AP or PA, 90 = a lateral
    if a <= VIEW_TOLERANCE_DEG:
        return "ap"
    if a >= 90.0 - VIEW_TOLERANCE_DEG:
        return "lateral"
    return "oblique"


def view_of(pose: Pose, patient_roll_deg: float = 0.0) -> str:
    """:func:`view_of_orbital` of a :class:`Pose` (the tilt does not change the view)."""
    return view_of_orbital(pose.orbital_deg, patient_roll_deg)


def _rz(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _rx(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


@dataclass(frozen=True)
class Frame:
    """The C-arm for one pose, in patient coordinates (mm).

    ``u``, ``v`` and ``beam`` are orthonormal: image columns, image rows (downwards)
    and the central ray (source to detector).
    """

    geometry: CArmGeometry
    source_mm: np.ndarray
    isocentre_mm: np.ndarray
    u: np.ndarray
    v: np.ndarray
    beam: np.ndarray
    matrix: np.ndarray = field(repr=False)  #: 3x4 projection, homogeneous patient mm -> (col, row, 1)

    @property
    def detector_centre_mm(self) -> np.ndarray:
        return self.source_mm + self.beam * self.geometry.sid_mm


def frame_for(geometry: CArmGeometry, pose: Pose, patient_roll_deg: float = 0.0) -> Frame:
    """Source, detector axes and projection matrix for ``pose`` in patient coordinates."""
    r = _rz(np.deg2rad(patient_roll_deg)) @ _rz(-np.deg2rad(pose.orbital_deg)) @ _rx(np.deg2rad(pose.tilt_deg))
    beam = r @ np.array([0.0, 1.0, 0.0])
    u = r @ np.array([-1.0, 0.0, 0.0])
    v = r @ np.array([0.0, 0.0, -1.0])
    iso = np.asarray(pose.table_offset_mm, float)
    src = iso - beam * geometry.sod_mm
    f = geometry.sid_mm / geometry.pixel_mm
    c = (geometry.pixels - 1) / 2.0
    k = np.array([[f, 0.0, c], [0.0, f, c], [0.0, 0.0, 1.0]])
    rot = np.stack([u, v, beam])          # rows: camera axes
    ext = np.hstack([rot, (-rot @ src)[:, None]])
    return Frame(geometry, src, iso, u, v, beam, k @ ext)


def project(frame: Frame, points_mm) -> np.ndarray:
    """Project (..., 3) patient points to (..., 2) pixel coordinates ``(col, row)``.

    Pixel ``(col, row)`` is the centre of that pixel; ``(pixels-1)/2`` is the central ray.
    """
    p = np.asarray(points_mm, float)
    h = p @ frame.matrix[:, :3].T + frame.matrix[:, 3]
    return h[..., :2] / h[..., 2:3]


def pixel_rays(frame: Frame, cols, rows) -> tuple[np.ndarray, np.ndarray]:
    """Rays through pixel centres: returns (origin (...,3), unit direction (...,3)) in patient mm."""
    g = frame.geometry
    c = (g.pixels - 1) / 2.0
    du = (np.asarray(cols, float) - c) * g.pixel_mm
    dv = (np.asarray(rows, float) - c) * g.pixel_mm
    d = frame.beam * g.sid_mm + du[..., None] * frame.u + dv[..., None] * frame.v
    d = d / np.linalg.norm(d, axis=-1, keepdims=True)
    origin = np.broadcast_to(frame.source_mm, d.shape).copy()
    return origin, d
