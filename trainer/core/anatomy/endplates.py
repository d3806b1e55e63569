"""The sagittal inclinations of the target body's endplates, measured on the patient.

One home for the measurement that both the scoring (the true-AP tilt and the
between-endplates checks, :mod:`trainer.core.scoring.context`) and the expert plan (the
C-arm tilt that squares the endplates, :mod:`trainer.core.procedure.expert_plan`) use: the
procedure layer may not import the scoring, so the measurement lives with the anatomy it
reads (the label volume and the landmarks).
"""

from __future__ import annotations

import math

import numpy as np

from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.landmarks import Landmarks

__all__ = ["endplate_inclinations_deg", "landmark_inclinations_deg"]

_BODY = (int(Label.BODY_CORTEX), int(Label.CANCELLOUS), int(Label.CLEFT))


def landmark_inclinations_deg(lm: Landmarks) -> tuple[float, float]:
    """(inferior, superior) inclinations from the landmark heights alone: a flat inferior
    endplate and a superior one sloping by the body's wedge angle (deg)."""
    wedge = math.degrees(math.atan2(lm.posterior_height_mm - lm.anterior_height_mm, lm.body_depth_mm))
    return 0.0, float(wedge)


def endplate_inclinations_deg(patient) -> tuple[float, float]:
    """(inferior, superior) sagittal inclinations of the target body's endplates, deg.

    Measured on the midsagittal label slice: the top and bottom of the body at a quarter
    of the depth behind the anterior wall and in front of the posterior wall.  Positive
    means the endplate rises posteriorly (a cranial C-arm tilt of that size runs along it).
    A patient without a label volume (known by its landmarks only) or whose midsagittal
    slice shows no body there gets :func:`landmark_inclinations_deg`.

    Parameters
    ----------
    patient : Patient
        Its landmarks and (when it has one) its label volume.

    Returns
    -------
    tuple of float
        (inferior, superior) inclination, deg.
    """
    lm = patient.landmarks
    vol = getattr(patient, "volume", None)
    if vol is None:
        return landmark_inclinations_deg(lm)
    g = vol.grid
    x = float(lm.body_centre_mm[0])
    i = int(np.clip(round((x - g.origin_mm[0]) / g.spacing_xyz_mm[0]), 0, g.shape[2] - 1))
    sl = np.isin(vol.labels[:, :, i], _BODY)                 # [z, y]
    ys = g.axis_mm("y")
    zs = g.axis_mm("z")
    q = 0.25 * lm.body_depth_mm
    tops, bottoms, used = [], [], []
    for y in (lm.anterior_wall_y_mm + q, lm.posterior_wall_y_mm - q):
        j = int(np.argmin(np.abs(ys - y)))
        col = np.flatnonzero(sl[:, j])
        if col.size == 0:
            return landmark_inclinations_deg(lm)
        tops.append(zs[col[-1]])
        bottoms.append(zs[col[0]])
        used.append(ys[j])
    dy = used[1] - used[0]
    inf = math.degrees(math.atan2(bottoms[1] - bottoms[0], dy))
    sup = math.degrees(math.atan2(tops[1] - tops[0], dy))
    return float(inf), float(sup)
