"""Value types of the procedure: phases, results of actions, images and dose totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainer.core.procedure.events import Event
from trainer.core.xray.dose import DoseTotals  # noqa: F401 (re-exported)
from trainer.core.xray.geometry import Pose, view_of  # noqa: F401 (view_of re-exported)

__all__ = ["PHASES", "ActionResult", "ShotImage", "DoseTotals", "view_of"]

#: Phases in order; the phase only moves forward (docs/procedure.md).
PHASES = ("checklist", "alignment", "access", "cement", "injection", "finished")


@dataclass(frozen=True)
class ShotImage:
    """One fluoroscopic image.

    Attributes
    ----------
    pixels : ndarray of float32 (N, N)
        The log-processed detector image (``Exposure.image``), rows head to feet.
    pose : Pose
    view : str
        ``'ap'``, ``'lateral'`` or ``'oblique'``.
    index : int
        1-based shot number in the procedure.
    t_s : float
        Simulated time of the shot (s).
    sha256 : str
        SHA-256 of ``pixels.tobytes()`` (C order, float32): replay compares it.
    """

    pixels: np.ndarray = field(repr=False)
    pose: Pose
    view: str
    index: int
    t_s: float
    sha256: str


@dataclass(frozen=True)
class ActionResult:
    """What one action did.

    Attributes
    ----------
    accepted : bool
        False: refused, nothing changed.
    action : dict
        The action as given.
    reason : str or None
        Why it was refused.
    summary : dict
        Short JSON-safe effect (tip position and tissue, dose of a shot, ...).
    events : list of Event
        Events the action emitted (a refused action: one ``refused`` event).
    image : ShotImage or None
        The image of a shot.
    duration_s : float
        Simulated time the action took.
    """

    accepted: bool
    action: Any
    reason: str | None = None
    summary: dict = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    image: ShotImage | None = None
    duration_s: float = 0.0
