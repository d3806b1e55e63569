"""Telling a real CT's vertebral body from contrast-enhanced blood (the aorta, a heart chamber).

Along one ray (:func:`wall_index`): going out from the body's centre, the wall is the first run of voxels at or above the cortex
threshold.  A contrast-filled aorta or heart chamber in front of the body (CT angiography:
lumen 300-550 HU, homogeneous, no cortical rim) is above an osteoporotic patient's threshold
too, and where the thin anterior cortex itself is partial-volumed below it (thick slices) the
first run met is the vessel: measured on the TotalSegmentator aorta CT resliced to 2.5 mm, T9's
anterior cortex peaks at 155-230 HU against a 220 HU threshold and the first run is the left
atrium, 15 mm in front of the wall and reaching the labelling box's edge (wall at -45.8 mm, a
75 mm deep body); at T12, 6-8 mm runs of 250-330 HU lie 4-6 mm in front of the wall (the
crura and the vessels between them).  A cortical shell is 0.3-2 mm thick (blurred over 2-3
voxels), so a run longer than :data:`MAX_CORTEX_RUN_MM` is not the wall.

In one axial slice (:func:`lumen_mask`): where the body's thin cortex leaves its ring open at
the threshold, the pieces of "bone" near the body's centre are arcs of cortex, and the lumen of
an enhanced vessel beside it is a solid blob (the same CT at 2.5 mm, T9: the aorta's lumen was
taken as the body, the body itself was not labelled).  A piece most of which lies deeper than
:data:`SOLID_DEPTH_MM` inside it is such a lumen, not cortex.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

__all__ = ["COARSE_FROM_MM", "MARROW_MM", "MAX_CORTEX_RUN_MM", "MAX_WALL_REACH_MM", "SOLID_DEPTH_MM",
           "SOLID_DEPTH_VOXELS", "SOLID_FRACTION", "lumen_mask", "wall_index"]

#: a run at or above the cortex threshold longer than this (mm) is a vessel or heart chamber, not
#: cortex (the cortical shell is 0.3-2 mm, partial-volumed over 2-3 voxels of 1.5 mm)
MAX_CORTEX_RUN_MM = 5.0
#: the rule is off at voxels this coarse (mm): at the abdominal CT's 3 mm the cortex's partial volume runs 3-4
#: voxels (9-12 mm); with the rule its L1 anterior wall went from -23.2 mm (the label's -23.25) to -11.2 (a
#: trabecular peak inside the marrow) and the expert plan at L1 failed (cement in the body 2.0 mL)
COARSE_FROM_MM = 2.0
#: the wall's peak is looked for within this distance (mm) of the body centre (a thoracic or lumbar
#: body is at most 40 mm deep, its centre midway)
MAX_WALL_REACH_MM = 25.0
#: the marrow's level is the median of the first this many mm from the centre
MARROW_MM = 4.0
#: a piece of an axial slice with :data:`SOLID_FRACTION` of its voxels deeper than this (mm) inside it is
#: a solid blob (an enhanced lumen: the aorta is 20-30 mm across), not an arc of cortex (0.3-2 mm thick)
SOLID_DEPTH_MM = 3.0
SOLID_FRACTION = 0.5
#: ... and at least this many voxels deep (3 mm voxels: a 3-voxel-thick piece of cortex has its middle 6 mm deep)
SOLID_DEPTH_VOXELS = 2


def wall_index(hu_1d: np.ndarray, cortex_hu: float, spacing_mm: float) -> int | None:
    """Index of the wall's outermost voxel along a ray of HU going out from the body's centre.

    Parameters
    ----------
    hu_1d : ndarray
        HU along the ray, index 0 at the body's centre, ``spacing_mm`` apart.
    cortex_hu : float
        Cortex threshold (HU).
    spacing_mm : float
        Step along the ray (mm).

    Returns
    -------
    int or None
        The last voxel of the first run at or above ``cortex_hu`` when that run is at most
        :data:`MAX_CORTEX_RUN_MM` long, or at voxels of :data:`COARSE_FROM_MM` or more (the wall's
        outer face is half a voxel further out).  When
        it is longer (an enhanced vessel or heart chamber, with the wall in front of it below the
        threshold or touching it): the outermost local HU maximum between the centre and that run,
        within :data:`MAX_WALL_REACH_MM`, that stands above the midpoint of the marrow's level
        (median of the first :data:`MARROW_MM`) and the threshold; failing that, the run's first
        voxel (the wall touches the vessel).  None when nothing reaches the threshold.
    """
    hu = np.asarray(hu_1d, dtype=np.float64)
    above = hu >= cortex_hu
    first = np.flatnonzero(above)
    if not first.size:
        return None
    j0 = int(first[0])
    j1 = j0
    while j1 + 1 < above.size and above[j1 + 1]:
        j1 += 1
    if (j1 - j0 + 1) * spacing_mm <= MAX_CORTEX_RUN_MM or spacing_mm >= COARSE_FROM_MM or j0 < 2:
        return j1
    seg = hu[:min(j0, int(MAX_WALL_REACH_MM / spacing_mm) + 1)]
    marrow = float(np.median(seg[:max(1, int(round(MARROW_MM / spacing_mm)))]))
    floor = 0.5 * (marrow + cortex_hu)
    inner = np.arange(1, seg.size - 1)
    peaks = inner[(seg[inner] >= seg[inner - 1]) & (seg[inner] >= seg[inner + 1]) & (seg[inner] >= floor)]
    return int(peaks[-1]) if peaks.size else j0



def lumen_mask(cortex_2d: np.ndarray, spacing_mm: float) -> np.ndarray:
    """The solid blobs (enhanced lumens) among the pieces of one axial slice's thresholded voxels.

    Parameters
    ----------
    cortex_2d : ndarray of bool
        One axial slice at or above the cortex threshold (not filled: a body's ring stays a ring).
    spacing_mm : float
        In-plane voxel size (mm).

    Returns
    -------
    ndarray of bool
        The pieces (4-connected) at least :data:`SOLID_FRACTION` of whose voxels lie more than
        :data:`SOLID_DEPTH_MM` (and :data:`SOLID_DEPTH_VOXELS` voxels) from the piece's edge.
    """
    lab, n = ndi.label(cortex_2d)
    if n == 0:
        return np.zeros(cortex_2d.shape, bool)
    depth = ndi.distance_transform_edt(cortex_2d) * spacing_mm
    size = np.bincount(lab.ravel(), minlength=n + 1)
    deep = np.bincount(lab[depth > max(SOLID_DEPTH_MM, SOLID_DEPTH_VOXELS * spacing_mm)].ravel(), minlength=n + 1)
    solid = deep >= SOLID_FRACTION * np.maximum(size, 1)
    solid[0] = False
    return solid[lab]
