"""What a loaded scenario holds.  The TOML format is documented in docs/scenario-format.md."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.core.anatomy.params import AnatomyParams
from trainer.core.xray.geometry import CArmGeometry, Pose

__all__ = ["CArmSettings", "Scenario"]


@dataclass(frozen=True)
class CArmSettings:
    """C-arm set-up for a scenario.

    Attributes
    ----------
    geometry : CArmGeometry
    start_pose : Pose
        Pose at the start of the procedure.
    biplane : bool
        Two C-arms (AP and lateral at once); otherwise switching view takes time.
    patient_roll_deg : float
        Patient rotation about the long axis on the table (a true AP needs this orbital).
    kvp_ap, kvp_lateral : float
        Tube potential for AP-ish and lateral-ish poses (FACTS.md 5.2: 77-80 / 90 kVp).
    """

    geometry: CArmGeometry = field(default_factory=CArmGeometry)
    start_pose: Pose = field(default_factory=Pose)
    biplane: bool = False
    patient_roll_deg: float = 0.0
    kvp_ap: float = 80.0
    kvp_lateral: float = 90.0


@dataclass(frozen=True)
class Scenario:
    """A training case.

    Attributes
    ----------
    id : str
        File stem.
    path : Path or None
    text : str
        The TOML text exactly as read (recorded in sessions, hashed).
    data : dict
        The parsed TOML.
    title, difficulty : str
    objectives : tuple of str
    seed : int
    anatomy : AnatomyParams
    carm : CArmSettings
    cement_product : str
    targets : dict
        Overrides of the default scoring targets (e.g. ``cement_ml_min``).
    chart : dict
        Patient chart (age, history, medications, labs...).
    """

    id: str
    path: Path | None
    text: str
    data: dict
    title: str
    difficulty: str
    objectives: tuple
    seed: int
    anatomy: AnatomyParams
    carm: CArmSettings
    cement_product: str = "default"
    targets: dict = field(default_factory=dict)
    chart: dict = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        """SHA-256 of the scenario text (what sessions record and assess checks)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()
