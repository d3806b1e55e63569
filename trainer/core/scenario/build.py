"""The patient of a scenario: the synthetic anatomy, or the patient CT of its ``[ct]`` section.

:func:`patient_for` is the one way every caller (GUI core process, CLI, benchmarks, tests)
turns a scenario into a patient; synthetic patients come from the on-disk cache when an
entry exists (:mod:`trainer.core.anatomy.cache`).
"""

from __future__ import annotations

from collections.abc import Callable

from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.cache import cached_patient
from trainer.core.anatomy.ct_patient import patient_from_scenario_ct
from trainer.core.anatomy.dicom_mixed import SeriesChoiceError
from trainer.core.anatomy.patient import Patient
from trainer.core.errors import ScenarioError, VPTrainerError
from trainer.core.scenario.checks import show
from trainer.core.scenario.model import Scenario

__all__ = ["patient_for", "landmarks_error"]


def landmarks_error(where: str, landmarks: dict, level: str, exc: Exception,
                    field: str = "ct.landmarks body_centre_mm =") -> ScenarioError:
    """The one-line error for CT landmarks the labelling finds no vertebra around.

    Parameters
    ----------
    where : str
        The scenario file or series folder the landmarks belong to (named in the message).
    landmarks : dict
        The ``[ct.landmarks]`` (patient mm, LPS); the body centre is quoted.
    level : str
        Target level.
    exc : Exception
        What the labelling raised (e.g. ``ValueError('no cortex found')``).
    field : str
        How the user gave the body centre (the file's key, or ``--body-centre`` on the command line).
    """
    c = landmarks.get("body_centre_mm")
    at = ", ".join(f"{float(v):g}" for v in c) if c is not None else "(none)"
    at = at.replace(",", "") if field.startswith("--") else f"[{at}]"
    return ScenarioError(where, [
        f"{where}: {field} {at}: no {level} vertebra found around the landmarks ({exc}); "
        "expected the centre of the target body in the series' patient coordinates (mm): check the landmarks "
        "(or that the CT folder still holds the series they were placed on)"])


def patient_for(scenario: Scenario, progress: Callable[[float, str], None] | None = None, *,
                cache: bool = True) -> Patient:
    """Build (or read from the cache) the patient a scenario describes.

    Parameters
    ----------
    scenario : Scenario
    progress : callable, optional
        ``progress(fraction 0..1, message)``; called while a CT loads and once when done.
    cache : bool
        Read and write the on-disk patient cache (default).  A CT patient is always read from its
        series; its labels come from the cache when the same series was labelled around the same
        landmarks before (``import-ct`` labels the scenario it writes).

    Returns
    -------
    Patient
        Synthetic (:func:`trainer.core.anatomy.builder.build_patient`) or, with a ``[ct]``
        section, labelled from the CT (:func:`trainer.core.anatomy.ct_patient.patient_from_ct`),
        re-centred on the target body centre.
    """
    if scenario.ct is not None:
        try:
            return patient_from_scenario_ct(scenario.ct, progress=progress, cache=cache)
        except SeriesChoiceError as exc:    # [ct] series not in the folder (now): the file and field said (hostile35)
            field = "ct.series is not given" if scenario.ct.series is None else f"ct.series = {show(scenario.ct.series)}"
            raise SeriesChoiceError(f"{scenario.path or scenario.ct.folder}: {field}: {exc}") from None
        except VPTrainerError:
            raise
        except ValueError as exc:           # the labelling found no vertebra there (a typo, a swapped series)
            raise landmarks_error(str(scenario.path or scenario.ct.folder), scenario.ct.landmarks,
                                  scenario.ct.level, exc) from None
    patient = cached_patient(scenario.anatomy) if cache else build_patient(scenario.anatomy)
    if progress is not None:
        progress(1.0, "synthetic patient built")
    return patient


#: Former name of :func:`patient_for` (kept while parallel branches still call it).
build_scenario_patient = patient_for
