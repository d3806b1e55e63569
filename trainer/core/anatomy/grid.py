"""Voxel grids and volumes in patient coordinates (DICOM LPS, millimetres).

Arrays are indexed ``[k, j, i]`` = ``[z, y, x]`` (row-major, x fastest).  Voxel
``(k, j, i)`` has its centre at ``origin_mm + (i*dx, j*dy, k*dz)``, with axes
aligned to LPS: +x patient left, +y posterior, +z superior.  The origin of patient
coordinates is the centre of the target vertebral body.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Grid", "Volume", "float3", "int3"]


def float3(values) -> tuple[float, float, float]:
    """Three numbers as a ``(float, float, float)`` tuple (a grid's spacing or origin, mm).

    Raises ValueError unless there are exactly three."""
    a, b, c = (float(v) for v in values)
    return (a, b, c)


def int3(values) -> tuple[int, int, int]:
    """Three integers as an ``(int, int, int)`` tuple (a grid's shape, voxels).

    Raises ValueError unless there are exactly three."""
    a, b, c = (int(v) for v in values)
    return (a, b, c)


#: a voxel whose face lies on the other grid's face within this (mm, float rounding of origins and spacings) counts
#: as inside it (:meth:`Grid.wholly_inside`)
_FACE_TOLERANCE_MM = 1e-6


@dataclass(frozen=True)
class Grid:
    """A regular LPS-aligned grid.

    Parameters
    ----------
    shape : tuple of int
        ``(nz, ny, nx)``: array-axis order, like the arrays.
    spacing_xyz_mm : tuple of float
        ``(dx, dy, dz)`` in mm: patient-axis order, like points (:attr:`spacing_zyx_mm`
        gives it in array-axis order, like ``shape``).
    origin_mm : tuple of float
        Centre of voxel ``[0, 0, 0]`` as ``(x, y, z)`` in mm.
    """

    shape: tuple[int, int, int]
    spacing_xyz_mm: tuple[float, float, float]
    origin_mm: tuple[float, float, float]

    @classmethod
    def from_bounds(cls, lo_mm, hi_mm, spacing_xyz_mm) -> Grid:
        """Smallest grid with the given spacing (one number, or ``(dx, dy, dz)`` mm) whose voxel
        centres cover ``[lo, hi]`` (x, y, z mm)."""
        sp = np.broadcast_to(np.asarray(spacing_xyz_mm, float), (3,))
        lo = np.asarray(lo_mm, float)
        hi = np.asarray(hi_mm, float)
        n = np.maximum(1, np.ceil((hi - lo) / sp).astype(int) + 1)
        return cls(shape=(int(n[2]), int(n[1]), int(n[0])), spacing_xyz_mm=(float(sp[0]), float(sp[1]), float(sp[2])),
                   origin_mm=(float(lo[0]), float(lo[1]), float(lo[2])))

    @property
    def spacing_zyx_mm(self) -> tuple[float, float, float]:
        """``(dz, dy, dx)`` mm: the spacing in array-axis order (``sampling=`` of scipy.ndimage)."""
        dx, dy, dz = self.spacing_xyz_mm
        return (dz, dy, dx)

    @property
    def voxel_volume_mm3(self) -> float:
        dx, dy, dz = self.spacing_xyz_mm
        return dx * dy * dz

    @property
    def upper_mm(self) -> np.ndarray:
        """Centre of the last voxel, (x, y, z) mm."""
        nz, ny, nx = self.shape
        return np.asarray(self.origin_mm) + np.asarray(self.spacing_xyz_mm) * (nx - 1, ny - 1, nz - 1)

    def axis_mm(self, axis: str) -> np.ndarray:
        """Voxel-centre coordinates along ``'x'``, ``'y'`` or ``'z'`` (mm)."""
        a = "xyz".index(axis)
        n = self.shape[2 - a]
        return self.origin_mm[a] + self.spacing_xyz_mm[a] * np.arange(n)

    def index_to_mm(self, kji) -> np.ndarray:
        """(..., 3) indices ``(k, j, i)`` -> (..., 3) points ``(x, y, z)`` mm."""
        kji = np.asarray(kji, float)
        xyz = kji[..., ::-1]
        return np.asarray(self.origin_mm) + xyz * np.asarray(self.spacing_xyz_mm)

    def mm_to_index(self, xyz_mm) -> np.ndarray:
        """(..., 3) points ``(x, y, z)`` mm -> fractional (..., 3) indices ``(k, j, i)``."""
        p = (np.asarray(xyz_mm, float) - np.asarray(self.origin_mm)) / np.asarray(self.spacing_xyz_mm)
        return p[..., ::-1]

    def contains_mm(self, xyz_mm) -> np.ndarray:
        """Whether points lie inside the grid's voxel-centre box (bool, shape (...))."""
        kji = self.mm_to_index(xyz_mm)
        n = np.asarray(self.shape) - 1
        return np.all((kji >= -0.5) & (kji <= n + 0.5), axis=-1)

    def nearest_index(self, xyz_mm) -> np.ndarray:
        """Nearest voxel (..., 3) int indices, clipped into the grid."""
        kji = np.rint(self.mm_to_index(xyz_mm)).astype(int)
        return np.clip(kji, 0, np.asarray(self.shape) - 1)

    def wholly_inside(self, other: Grid) -> tuple[slice, slice, slice] | None:
        """This grid's voxels whose whole extent (centre +- half a spacing) lies inside ``other``'s voxels'.

        Parameters
        ----------
        other : Grid
            E.g. the fine grid, for a context grid.

        Returns
        -------
        tuple of slice or None
            ``(z, y, x)`` index slices of those voxels; None when there are none.
        """
        out = []
        for a, (h, oh) in enumerate(zip(self.spacing_xyz_mm, other.spacing_xyz_mm)):
            c = self.axis_mm("xyz"[a])
            lo = other.origin_mm[a] - 0.5 * oh - _FACE_TOLERANCE_MM
            hi = other.upper_mm[a] + 0.5 * oh + _FACE_TOLERANCE_MM
            idx = np.flatnonzero((c - 0.5 * h >= lo) & (c + 0.5 * h <= hi))
            if idx.size == 0:
                return None
            out.append(slice(int(idx[0]), int(idx[-1]) + 1))
        return out[2], out[1], out[0]


@dataclass
class Volume:
    """CT numbers and tissue labels on one grid.

    Attributes
    ----------
    hu : ndarray of int16, shape ``grid.shape``
        Hounsfield units.
    labels : ndarray of uint8, shape ``grid.shape``
        :class:`trainer.core.anatomy.labels.Label` values.
    grid : Grid
    meta : dict
        What the volume was made from (JSON-able).
    blood_pool : ndarray of bool, shape ``grid.shape``, or None
        The voxels of a contrast-enhanced CT's blood lumens, found once where a CT patient is built
        (:func:`trainer.core.anatomy.ct_patient.patient_from_ct`, by
        :func:`trainer.core.anatomy.ct_blood_pool.blood_pool_mask`): the labels call them soft tissue and the
        renderer draws them as unenhanced blood.  None where there are none (a synthetic patient, an
        unenhanced CT).
    """

    hu: np.ndarray
    labels: np.ndarray
    grid: Grid
    meta: dict = field(default_factory=dict)
    blood_pool: np.ndarray | None = None

    def __post_init__(self):
        if self.hu.shape != tuple(self.grid.shape) or self.labels.shape != tuple(self.grid.shape):
            raise ValueError(f"volume arrays {self.hu.shape}/{self.labels.shape} do not match grid {self.grid.shape}")
        if self.blood_pool is not None and self.blood_pool.shape != tuple(self.grid.shape):
            raise ValueError(f"blood pool {self.blood_pool.shape} does not match grid {self.grid.shape}")

    def label_at(self, xyz_mm) -> np.ndarray:
        """Label of the nearest voxel; points outside the grid give ``Label.AIR`` (0)."""
        xyz = np.asarray(xyz_mm, float)
        inside = self.grid.contains_mm(xyz)
        kji = self.grid.nearest_index(xyz)
        out = self.labels[kji[..., 0], kji[..., 1], kji[..., 2]]
        return np.where(inside, out, 0).astype(np.uint8)

    def hu_at(self, xyz_mm) -> np.ndarray:
        """HU of the nearest voxel; outside the grid gives -1000 (air)."""
        xyz = np.asarray(xyz_mm, float)
        inside = self.grid.contains_mm(xyz)
        kji = self.grid.nearest_index(xyz)
        out = self.hu[kji[..., 0], kji[..., 1], kji[..., 2]]
        return np.where(inside, out, -1000).astype(np.int16)
