"""A real-CT scenario imported the way an instructor does with one point: the reference body centre.

Several real-CT tests need the same set-up: the landmarks estimated on the DICOM series around the
reference mask's body centre (measured by :mod:`realct_reference`), written as a scenario next to the
series, loaded, and labelled.  One home for it here.
"""

from __future__ import annotations

from pathlib import Path

import realct_reference as reference
import realct_sources as sources

from trainer.core.scenario.build import patient_for
from trainer.core.scenario.ct_import import cortex_threshold_near, estimate_landmarks, scenario_toml
from trainer.core.scenario.loader import load_scenario


def scenario_at_reference(ct, vol, root: Path, level: str, bone_hu: float, name: str | None = None):
    """``(scenario, patient, reference)`` of ``level``.

    Parameters
    ----------
    ct : realct_sources.RealCT
        The CT and its reference labels.
    vol : Volume
        The DICOM series written from ``ct`` into ``root / "series"`` and read back.
    root : Path
        Folder holding ``series``; the scenario file is written here.
    level : str
        Vertebra, e.g. ``"L3"``.
    bone_hu : float
        The patient's bone threshold (HU), as :func:`detect_column` measures it.
    name : str, optional
        Scenario file name (default ``<level>.toml``).
    """
    ref = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS[level])
    near = tuple(float(v) for v in ref.body_centre_mm)
    lm = estimate_landmarks(vol, near_mm=near, cortex_hu=cortex_threshold_near(vol, near, bone_hu))
    path = Path(root) / (name or f"{level}.toml")
    path.write_text(scenario_toml("series", level, lm), encoding="utf-8")
    sc = load_scenario(path)
    return sc, patient_for(sc), ref
