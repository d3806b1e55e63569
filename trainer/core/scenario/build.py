"""The patient of a scenario: the synthetic anatomy, or the patient CT of its ``[ct]`` section."""

from __future__ import annotations

from collections.abc import Callable

from trainer.core.anatomy.patient import Patient

__all__ = ["build_scenario_patient"]


def build_scenario_patient(scenario, progress: Callable[[float, str], None] | None = None) -> Patient:
    """Build the patient a scenario describes.

    Parameters
    ----------
    scenario : Scenario
    progress : callable, optional
        ``progress(fraction 0..1, message)``; called while a CT loads.

    Returns
    -------
    Patient
        Synthetic (``trainer.core.anatomy.builder.build_patient``) or, with a ``[ct]``
        section, labelled from the CT (``trainer.core.anatomy.ct_patient.patient_from_ct``),
        re-centred on the target body centre.
    """
    if scenario.ct is not None:
        from trainer.core.anatomy.ct_patient import patient_from_scenario_ct

        return patient_from_scenario_ct(scenario.ct, progress=progress)
    from trainer.core.anatomy.builder import build_patient

    patient = build_patient(scenario.anatomy)
    if progress is not None:
        progress(1.0, "synthetic patient built")
    return patient
