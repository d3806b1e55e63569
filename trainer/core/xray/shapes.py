"""What the renderer adds on top of the static anatomy each shot: the trocar and the cement."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.core.errors import ParameterError

__all__ = ["TrocarShape", "CementDeposit", "MARK_STEEL", "MARK_CEMENT"]

#: the renderer's overlay mask (:meth:`~trainer.core.xray.renderer.FluoroRenderer.render_shot`, uint8):
#: pixels the steel darkens, and pixels only the cement does (0 elsewhere)
MARK_STEEL = 1
MARK_CEMENT = 2


@dataclass(frozen=True)
class TrocarShape:
    """A solid stainless-steel cylinder (trocar with its stylet), drawn analytically.

    Parameters
    ----------
    tip_mm : array-like (3,)
        Tip position (x, y, z) in patient mm (LPS).
    axis : array-like (3,)
        Unit vector from the handle towards the tip (normalised on construction).
    length_mm : float
        Length of the steel shaft from tip to handle, > 0.
    outer_diameter_mm : float
        Outer diameter, > 0 (8 G about 4.2 mm, 11 G about 3.0 mm, 13 G about 2.4 mm).
    """

    tip_mm: tuple
    axis: tuple
    length_mm: float = 120.0
    outer_diameter_mm: float = 3.0

    def __post_init__(self):
        tip = np.asarray(self.tip_mm, float).reshape(-1)
        ax = np.asarray(self.axis, float).reshape(-1)
        if tip.shape != (3,) or not np.all(np.isfinite(tip)):
            raise ParameterError("tip_mm", self.tip_mm, "three finite coordinates (mm)")
        n = float(np.linalg.norm(ax)) if ax.shape == (3,) else 0.0
        if not np.isfinite(n) or n < 1e-9:
            raise ParameterError("axis", self.axis, "a non-zero 3-vector")
        if not (0 < self.length_mm <= 400):
            raise ParameterError("length_mm", self.length_mm, "0 to 400 mm")
        if not (0 < self.outer_diameter_mm <= 10):
            raise ParameterError("outer_diameter_mm", self.outer_diameter_mm, "0 to 10 mm")
        object.__setattr__(self, "tip_mm", tuple(float(v) for v in tip))
        object.__setattr__(self, "axis", tuple(float(v) for v in ax / n))

    @property
    def handle_mm(self) -> np.ndarray:
        """Back end of the shaft (x, y, z) mm."""
        return np.asarray(self.tip_mm) - np.asarray(self.axis) * self.length_mm


@dataclass(frozen=True, eq=False)
class CementDeposit:
    """Cement in the fine patient grid.

    Parameters
    ----------
    ijk : ndarray (M, 3) int
        Voxel indices ``(k, j, i)`` into ``patient.volume.grid`` (array order z, y, x).
    fraction : ndarray (M,)
        Fraction of each voxel filled with cement, 0 to 1.
    viscosity_pa_s : float, optional
        The cement's viscosity when it was injected (volume-weighted, Pa s); the renderer draws
        runnier cement with longer fingers into the trabeculae (:mod:`trainer.core.xray.cement_look`).
    """

    ijk: np.ndarray
    fraction: np.ndarray
    viscosity_pa_s: float | None = None

    def __post_init__(self):
        ijk = np.asarray(self.ijk)
        fr = np.asarray(self.fraction, np.float32).reshape(-1)
        if ijk.size == 0:
            ijk = ijk.reshape(0, 3)
        if ijk.ndim != 2 or ijk.shape[1] != 3 or not np.issubdtype(ijk.dtype, np.integer):
            raise ParameterError("ijk", f"array {ijk.dtype} {ijk.shape}", "an (M, 3) integer array")
        if fr.shape[0] != ijk.shape[0]:
            raise ParameterError("fraction", f"{fr.shape[0]} values", f"{ijk.shape[0]} values (one per voxel)")
        if fr.size and (np.nanmin(fr) < 0 or np.nanmax(fr) > 1 or not np.all(np.isfinite(fr))):
            raise ParameterError("fraction", f"range {fr.min():g}..{fr.max():g}", "0 to 1")
        object.__setattr__(self, "ijk", ijk.astype(np.int64))
        object.__setattr__(self, "fraction", fr)

    @property
    def voxels(self) -> int:
        return int(self.ijk.shape[0])

    def volume_ml(self, voxel_volume_mm3: float) -> float:
        """Cement volume (mL) for voxels of ``voxel_volume_mm3``."""
        return float(self.fraction.sum()) * voxel_volume_mm3 / 1000.0
