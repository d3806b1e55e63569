"""Where the cement is, in the form the X-ray renderer draws it.

Until ``trainer.core.xray.shapes`` (helper B) defines :class:`CementDeposit`, this
module defines the identical frozen dataclass; when it exists, it is re-exported so
there is exactly one class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CementDeposit"]

try:  # the renderer's own definition wins
    from trainer.core.xray.shapes import CementDeposit  # type: ignore[no-redef]
except ImportError:  # pragma: no cover - depends on the other package being present
    @dataclass(frozen=True)
    class CementDeposit:  # type: ignore[no-redef]
        """Cement voxels on ``patient.volume.grid``.

        Attributes
        ----------
        ijk : ndarray of int, shape (M, 3)
            Fine-grid indices in array order ``(k, j, i)`` = ``(z, y, x)``.
        fraction : ndarray of float32, shape (M,)
            Volume fraction of the voxel occupied by cement, 0 to 1.
        """

        ijk: np.ndarray
        fraction: np.ndarray
