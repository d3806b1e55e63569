"""The posterior arch's marrow on a coarse patient CT, taken back from the soft tissue the HU threshold left it as.

At coarse voxels the cancellous interior of the target's posterior arch (laminae, pars, the bone behind each
pedicle) reads below the patient's bone threshold, and where the arch's thin cortex does not close round it in
the slice (it opens into the pedicle's marrow, or towards the canal or the back) the per-slice bone fill of
:mod:`trainer.core.anatomy.ct_labels` leaves it as muscle.  A trocar passing through that bone then reads as
outside it: on the abdominal CT at 3 mm, the L1 right arch held one voxel of 82 HU enclosed behind the pedicle and a
notch of 55-95 HU further back, all inside the TotalSegmentator mask, where a line through the pedicle's middle read a
3.5 mm breach (docs/realct-log.md, round 28, l1graze).

The fill is made after the landmarks are measured, so the pedicles' fitted axes and every measured landmark stay
as the threshold's bone gives them (round 10, cte10, filled the pedicle tube behind the canal's mid-depth as posterior
elements before the fit: the fitted axes moved elsewhere, the abdominal L4 left 15 deg medial plan no longer
breached; so did this fill when made inside the labelling).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from trainer.core.anatomy.grid import Volume
from trainer.core.anatomy.labels import Label

__all__ = ["ARCH_MARROW_FROM_MM", "fill_arch_marrow"]

#: series voxels this coarse in plane (mm) or coarser have their arch's marrow filled (measured at 3 mm; at the
#: chest CT's sub-millimetre pixels the arch's cortex and marrow are resolved and nothing is changed)
ARCH_MARROW_FROM_MM = 2.0
_ARCH = (int(Label.POSTERIOR_ELEMENTS), int(Label.PEDICLE_LEFT), int(Label.PEDICLE_RIGHT))


def fill_arch_marrow(fine: Volume, series_voxel_mm: float) -> int:
    """Relabel, in place, the muscle voxels of ``fine`` that the in-plane closing of the target's posterior elements
    and pedicles closes as posterior elements.

    The closing's element is the series' own in-plane cross (one series voxel along x and y, nothing across
    slices): a muscle voxel is filled where each of its four in-plane neighbours is arch or touches it, i.e. the
    arch's holes and slots up to two series voxels across, its one-voxel notches and concave corners; a wider hole
    keeps all but its corners.

    Parameters
    ----------
    fine : Volume
        The labelled fine volume (labels carried from the series' voxels to the fine ones).
    series_voxel_mm : float
        The series' in-plane voxel size (mm); below :data:`ARCH_MARROW_FROM_MM` nothing changes.

    Returns
    -------
    int
        The number of fine voxels relabelled.
    """
    if series_voxel_mm < ARCH_MARROW_FROM_MM:
        return 0
    n = max(1, int(round(series_voxel_mm / float(fine.grid.spacing_xyz_mm[0]))))
    cross = np.zeros((1, 2 * n + 1, 2 * n + 1), bool)
    cross[0, n, :] = cross[0, :, n] = True
    arch = np.isin(fine.labels, _ARCH)
    marrow = ndi.binary_closing(arch, structure=cross) & ~arch & (fine.labels == Label.MUSCLE)
    fine.labels[marrow] = Label.POSTERIOR_ELEMENTS
    return int(marrow.sum())
