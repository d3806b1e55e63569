"""What tissue a point of the patient is: label look-ups along lines and shafts.

The trocar reads the label volume of the patient (fine volume first, then the coarse
context volumes) at points sampled along its path.  Tissue names are the lower-case
:class:`~trainer.core.anatomy.labels.Label` names (``'muscle'``, ``'pedicle_left'``,
``'cancellous'``, ``'canal'``...).
"""

from __future__ import annotations

import numpy as np

from trainer.core.anatomy.grid import Volume
from trainer.core.anatomy.labels import BONE_LABELS, SOFT_LABELS, Label
from trainer.core.anatomy.patient import Patient

__all__ = ["SAMPLE_MM", "labels_at", "volume_at", "tissue_name", "run_names", "is_bone", "is_soft", "BODY_LABELS"]

#: Spacing of the samples along the trocar path (mm): half the 0.5 mm fine voxel, so no
#: one-voxel cortex is stepped over.
SAMPLE_MM = 0.25

#: Labels that make up the vertebral body for wall classification (the basivertebral
#: vein runs inside the body, so entering it is not crossing a wall).
BODY_LABELS = frozenset({Label.BODY_CORTEX, Label.CANCELLOUS, Label.CLEFT, Label.BASIVERTEBRAL_VEIN})

_BONE = np.zeros(256, bool)
_BONE[[int(v) for v in BONE_LABELS]] = True
_SOFT = np.zeros(256, bool)
_SOFT[[int(v) for v in SOFT_LABELS] + [int(Label.AIR)]] = True


def _answering_order(patient: Patient) -> list[Volume]:
    """The volumes a point's label is read from, in order: the fine volume, then each context volume."""
    return [patient.volume, *patient.context]


def volume_at(patient: Patient, point_mm) -> Volume | None:
    """The volume :func:`labels_at` reads ``point_mm`` (x, y, z mm) from; None outside all of them."""
    pt = np.asarray(point_mm, float).reshape(1, 3)
    for vol in _answering_order(patient):
        if bool(vol.grid.contains_mm(pt)[0]):
            return vol
    return None


def labels_at(patient: Patient, points_mm) -> np.ndarray:
    """Label (uint8) at each of ``(..., 3)`` points (x, y, z) mm.

    The fine volume answers where it covers the point; elsewhere the first context
    volume that contains it; outside everything the answer is ``Label.AIR``.
    """
    pts = np.asarray(points_mm, float)
    flat = pts.reshape(-1, 3)
    out = np.zeros(len(flat), np.uint8)
    todo = np.ones(len(flat), bool)
    for vol in _answering_order(patient):
        if not todo.any():
            break
        sel = np.flatnonzero(todo)
        inside = vol.grid.contains_mm(flat[sel])
        if not inside.any():
            continue
        hit = sel[inside]
        kji = vol.grid.nearest_index(flat[hit])
        out[hit] = vol.labels[kji[:, 0], kji[:, 1], kji[:, 2]]
        todo[hit] = False
    return out.reshape(pts.shape[:-1])


def tissue_name(label: int) -> str:
    """``'pedicle_left'`` for ``Label.PEDICLE_LEFT``; ``'label_N'`` for an unknown value."""
    try:
        return Label(int(label)).name.lower()
    except ValueError:
        return f"label_{int(label)}"


def is_bone(labels) -> np.ndarray:
    """True where a label is bone (any of ``BONE_LABELS``)."""
    return _BONE[np.asarray(labels, np.uint8)]


def is_soft(labels) -> np.ndarray:
    """True where a label is air or soft tissue (skin, fat, muscle, other soft tissue)."""
    return _SOFT[np.asarray(labels, np.uint8)]


def run_names(labels) -> list[str]:
    """Tissue names of consecutive runs of labels, e.g. ``['skin', 'fat', 'muscle']``."""
    lab = np.asarray(labels, np.uint8).ravel()
    if lab.size == 0:
        return []
    keep = np.ones(lab.size, bool)
    keep[1:] = lab[1:] != lab[:-1]
    return [tissue_name(v) for v in lab[keep]]
