"""Real-CT set-ups several tests share: a scenario imported with one point (the reference body centre),
and a level labelled as ``import-ct --level`` labels it.

Several real-CT tests need the same set-up: the landmarks estimated on the DICOM series around the
reference mask's body centre (measured by :mod:`realct_reference`), written as a scenario next to the
series, loaded, and labelled.  One home for it here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import realct_reference as reference
import realct_sources as sources
from realct_memo import memo

from trainer.core.anatomy.ct_patient import patient_from_ct
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.ct_import import (
    cortex_threshold_near,
    estimate_landmarks,
    landmarks_as_written,
    scenario_toml,
)
from trainer.core.scenario.ct_import_landmarks import import_landmarks
from trainer.core.scenario.loader import load_scenario


def imported(root: Path, folder: Path, level: str, name: str):
    """``(scenario, patient)`` of ``vptrainer scenarios import-ct FOLDER --level LEVEL`` written to ``root/name``."""
    from trainer.cli import main

    out = root / name
    assert main(["scenarios", "import-ct", str(folder), "--level", level, "--out", str(out), "--force"]) == 0
    sc = load_scenario(out)
    return sc, patient_for(sc)


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


def auto_labels(ct, col, level: str, as_written: bool = True):
    """``level`` of ``ct`` found by the column's numbering and labelled around the landmarks ``import-ct
    --level`` publishes (``import_landmarks``; benchmarks/ct_accuracy.py's auto rows): (our labels on the
    CT's grid in the box round the mask's vertebra, the reference, that box, the landmarks).  The landmarks are
    those the scenario file holds (``landmarks_as_written``, 0.1 mm), what the trainer labels; until round 31
    the estimate's unrounded floats (``as_written=False``: a rule's test on the landmarks it was derived on).

    Parameters
    ----------
    ct : realct_sources.RealCT
        The CT and its reference labels.
    col : Column
        :func:`~trainer.core.anatomy.ct_spine.detect_column` of ``ct.volume()``.
    level : str
        Vertebra, e.g. ``"T11"``.
    """
    labels, box, lm, _ = _auto_case(ct, col, level, as_written)
    return labels, reference.measure_ct(ct, sources.VERTEBRA_LABELS[level]), box, lm


def auto_patient_landmarks(ct, col, level: str):
    """The measured :class:`~trainer.core.anatomy.landmarks.Landmarks` of the patient :func:`auto_labels` labels
    (the same build, kept in the same memo entry)."""
    return _auto_case(ct, col, level, True)[3]


def _auto_case(ct, col, level: str, as_written: bool):
    return memo("auto_case", (ct, col, level, as_written), lambda: _auto_labelled(ct, col, level, as_written))


def _auto_labelled(ct, col, level: str, as_written: bool = True):
    """:func:`auto_labels`' labels, box and landmarks, and the patient's measured landmarks: the import's estimate
    and labelling (4-10 s of CPU on the chest CT), kept once per test run (``realct_memo``)."""
    v = col.find(level)
    assert v is not None, level
    lm, _ = import_landmarks(ct.volume(), v.body_centre_mm, col.thresholds.bone_hu, level)
    lm = landmarks_as_written(dict(lm)) if as_written else dict(lm)   # what the file holds (pass 154)
    patient = patient_from_ct(ct.volume(), lm, level)
    k, j, i = np.nonzero(ct.labels == sources.VERTEBRA_LABELS[level])
    box = tuple(slice(max(0, a.min() - 3), a.max() + 4) for a in (k, j, i))
    return reference.labels_on_ct(patient, lm["body_centre_mm"], ct.grid, box), box, lm, patient.landmarks


def level_import(ct, level: str):
    """(the column of ``ct`` (``realct_sources.column``), the landmarks ``import-ct --level`` estimates for ``level``
    there: ``import_landmarks`` from the column's point, unrounded).  The estimate is kept once per test run for the
    same HU, grid and level (``realct_memo``): several files estimated the same level of the same turned CT (the chest
    turned -20 deg, its T10: test_realct_turned_patient.py and test_realct_turned_label_shape.py).

    Parameters
    ----------
    ct : realct_sources.RealCT
        The CT (a session CT, a turned or thick copy).
    level : str
        Vertebra, e.g. ``"T10"``; the column must number it.
    """
    col = sources.column(ct)
    v = col.find(level)
    assert v is not None, col.note
    lm = memo("level_import", (ct.hu, ct.grid, level),
              lambda: import_landmarks(ct.volume(), v.body_centre_mm, col.thresholds.bone_hu, level, column=col)[0])
    return col, lm


def scenario_from_series(ct, series, level: str, name: str):
    """``(scenario, patient, reference)`` of :func:`scenario_at_reference` on a ``(root, series folder)`` fixture,
    with the bone threshold :func:`detect_column` measures on ``ct``."""
    from trainer.core.anatomy.dicom_io import read_ct_series

    root, folder = series
    bone_hu = sources.column(ct).thresholds.bone_hu
    return scenario_at_reference(ct, read_ct_series(folder), root, level, bone_hu, name=name)


def jittered(landmarks: dict, rng: np.random.Generator, half_mm: float) -> dict:
    """A copy of ``landmarks`` with every coordinate (points: x, y, z; planes: z) moved by its own uniform draw
    within +-``half_mm`` (mm)."""
    out = {}
    for key, value in landmarks.items():
        if np.ndim(value):
            out[key] = tuple(float(v) for v in np.asarray(value, float) + rng.uniform(-half_mm, half_mm, np.size(value)))
        else:
            out[key] = float(value) + float(rng.uniform(-half_mm, half_mm))
    return out
