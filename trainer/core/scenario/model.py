"""What a loaded scenario holds.  The TOML format is documented in docs/scenario-format.md."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.core.anatomy.params import AnatomyParams
from trainer.core.scenario.rules import expected_decisions
from trainer.core.scenario.schema import DEFAULT_TARGETS
from trainer.core.xray.geometry import CArmGeometry, Pose

__all__ = ["CArmSettings", "CTSource", "Scenario"]


#: :attr:`Scenario.fracture` of a patient-CT case: nothing is modelled in the patient's own vertebra
CT_FRACTURE = "none simulated (patient CT)"


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
class CTSource:
    """A patient CT that replaces the synthetic anatomy (``[ct]`` section).

    Attributes
    ----------
    folder : Path
        The DICOM series folder (resolved; always inside the scenario file's folder).
    level : str
        Target level, ``T8`` to ``L5``.
    landmarks : dict
        ``body_centre_mm``, ``pedicle_left_centre_mm``, ``pedicle_right_centre_mm`` (x, y, z) and
        ``superior_endplate_z_mm``, ``inferior_endplate_z_mm``, in the CT's own patient
        coordinates (DICOM LPS, mm).
    description : str
    estimated : tuple of str
        The landmark keys found automatically and not yet checked (``[ct] estimated``): ``scenarios show`` repeats
        the import's warnings for them.
    series : int or str or None
        The series read when the folder holds several: its SeriesNumber (int) or SeriesInstanceUID (str);
        None when the folder holds one (:mod:`trainer.core.anatomy.dicom_mixed`).
    """

    folder: Path
    level: str
    landmarks: dict
    description: str = ""
    estimated: tuple = ()
    series: int | str | None = None


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
        Overrides of the default scoring targets, as :meth:`trainer.core.scenario.targets.Targets.with_overrides`
        takes them: band shortcuts (``cement_ml_min``, ``tip_depth_max``...) and per-metric tables.
    chart : dict
        Patient chart, normalised with every default filled in: ``age_years``, ``sex``,
        ``history``, ``fracture_age_weeks``, ``allergies``, ``fasting_hours``,
        ``consent_signed``, ``antibiotic_given``, ``antibiotic_given_min_ago``, the tables
        ``symptoms``, ``labs``, ``imaging``, ``infection`` and the list ``medications``
        (each: ``name``, ``dose``, ``last_dose_hours_ago``, ``class``, ``hold_hours``, ``source``).
    description : str
    decision_overrides : dict
        ``[decisions]``: checklist item -> ``{'expected', 'reason'}``.
    cement_overrides : dict
        ``[cement.overrides]``: product parameter -> number.
    ct : CTSource or None
        Set when the scenario uses a patient CT instead of the synthetic anatomy.
    warnings : tuple of str
        Problems tolerated in lenient mode (empty in strict mode).
    advice : dict
        ``gauge`` (11 or 13...), ``approach`` ('unipedicular' or 'bipedicular') and ``side``
        ('left', 'right' or 'either') advised for this case ([targets] section).
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
    description: str = ""
    decision_overrides: dict = field(default_factory=dict)
    cement_overrides: dict = field(default_factory=dict)
    ct: CTSource | None = None
    warnings: tuple = ()
    advice: dict = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        """SHA-256 of the scenario text (what sessions record and assess checks)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def effective_targets(self) -> dict:
        """Advice and band shortcuts: the defaults (docs/scenario-format.md) with this scenario's overrides."""
        return {**DEFAULT_TARGETS, **self.advice, **self.targets}

    @property
    def fracture(self) -> str:
        """Short fracture description, e.g. ``'Genant 2 wedge'``; for a patient CT ``'none simulated (patient CT)'``:
        its vertebra is the patient's own as scanned, no fracture is modelled in it (until round 37 ``'patient
        CT'``, which the picker showed as "Fracture: patient CT", as if a fracture of the CT were simulated)."""
        if self.ct is not None:
            return CT_FRACTURE
        a = self.anatomy
        extras = [n for n, on in (("cleft", a.cleft), ("endplate crack", a.endplate_crack),
                                  ("posterior wall defect", a.posterior_wall_defect)) if on]
        return f"Genant {a.fracture_grade:g} {a.morphology}" + (f" ({', '.join(extras)})" if extras else "")

    @property
    def decisions(self):
        """Expected pre-procedure decisions (:func:`trainer.core.scenario.rules.expected_decisions`)."""
        return expected_decisions(self)
