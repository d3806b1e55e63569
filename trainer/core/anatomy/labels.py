"""Tissue labels of the synthetic (and CT-derived) patient.

The label volume is ``uint8``; the values below are stable and are written into
session and DICOM metadata, so never renumber them.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = ["Label", "BODY_LABELS", "BONE_LABELS", "SOFT_LABELS", "TARGET_BONE_LABELS", "VEIN_LABELS"]


class Label(IntEnum):
    AIR = 0
    SKIN = 1
    FAT = 2
    MUSCLE = 3
    BODY_CORTEX = 4          #: cortical shell of the target vertebral body, endplates included
    CANCELLOUS = 5           #: trabecular core of the target vertebral body
    PEDICLE_LEFT = 6         #: whole left pedicle (cortex and core), patient left = +x
    PEDICLE_RIGHT = 7
    POSTERIOR_ELEMENTS = 8   #: laminae, spinous and transverse processes, facets (target level)
    CANAL = 9                #: spinal canal (dural sac and epidural space)
    FORAMEN_LEFT = 10
    FORAMEN_RIGHT = 11
    DISC = 12                #: intervertebral discs above and below the target
    BASIVERTEBRAL_VEIN = 13  #: basivertebral vein and its foramen in the posterior wall
    SEGMENTAL_VEIN = 14      #: segmental (lumbar/intercostal) veins and their exits
    ADJACENT_VERTEBRA = 15   #: the vertebrae above and below (all of their bone)
    RIB = 16                 #: ribs and costovertebral joints at thoracic levels
    CLEFT = 17               #: intravertebral cleft (gas or fluid filled)
    SOFT_TISSUE = 18         #: viscera and other soft tissue in front of the spine
    LUNG = 19                #: aerated lung (thoracic levels)
    PELVIS = 20              #: iliac wings and sacrum below S1 (patients whose column holds L4 and L5)
    TABLE = 21               #: carbon-fibre tabletop under the prone patient (context volume only)

    @property
    def title(self) -> str:
        """Human-readable name, e.g. ``'pedicle left'``."""
        return self.name.lower().replace("_", " ")


BONE_LABELS = frozenset({Label.BODY_CORTEX, Label.CANCELLOUS, Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT,
                         Label.POSTERIOR_ELEMENTS, Label.ADJACENT_VERTEBRA, Label.RIB, Label.PELVIS})
#: the target vertebra's own bone: on a CT patient labelled from its landmarks; the rest of
#: :data:`BONE_LABELS` (neighbours, ribs, pelvis) is labelled by HU alone, as an enhanced aorta beside them can be
TARGET_BONE_LABELS = BONE_LABELS - {Label.ADJACENT_VERTEBRA, Label.RIB, Label.PELVIS}
SOFT_LABELS = frozenset({Label.SKIN, Label.FAT, Label.MUSCLE, Label.SOFT_TISSUE})
VEIN_LABELS = frozenset({Label.BASIVERTEBRAL_VEIN, Label.SEGMENTAL_VEIN})
#: the target vertebral body: its cortical shell (endplates included) and its trabecular core, the part a body Dice
#: is scored on and the cement fills
BODY_LABELS = (int(Label.BODY_CORTEX), int(Label.CANCELLOUS))


def body_mask(labels) -> np.ndarray:
    """Where ``labels`` (a label volume or slice, any shape) holds the target vertebral body (:data:`BODY_LABELS`).

    Parameters
    ----------
    labels : array_like of int
        Label values (:class:`Label`).

    Returns
    -------
    numpy.ndarray of bool
        The same shape as ``labels``.
    """
    return np.isin(labels, BODY_LABELS)
