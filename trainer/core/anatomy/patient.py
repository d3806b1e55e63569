"""The patient the trainee operates on: volumes, landmarks and the parameters that made them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trainer.core.anatomy.grid import Volume
from trainer.core.anatomy.landmarks import Landmarks
from trainer.core.anatomy.params import AnatomyParams

__all__ = ["Patient"]


@dataclass
class Patient:
    """A synthetic or CT-derived patient.

    Attributes
    ----------
    volume : Volume
        The fine grid (0.5 mm by default) around the target vertebra: everything the
        trocar and the cement touch.  HU, labels, landmarks all refer to it.
    context : list of Volume
        Coarser volumes that complete the picture for the X-ray renderer (whole torso,
        further vertebrae, ribs, lungs).  They are empty (HU -1000, label AIR) inside the
        box of ``volume`` so that summing all volumes' line integrals never counts
        anything twice.
    landmarks : Landmarks
    params : AnatomyParams or None
        None for a CT-derived patient.
    source : str
        ``'synthetic'`` or the DICOM series description.
    measured : dict
        Measurements of ``volume`` kept once made, by name, each with the volume and landmarks it was made
        for (:meth:`measured_once`; :func:`~trainer.core.anatomy.posterior_outline.outline_of`,
        :func:`~trainer.core.procedure.cement.domain.body_volume_ml`); not part of the patient's identity.
    """

    volume: Volume
    landmarks: Landmarks
    context: list[Volume] = field(default_factory=list)
    params: AnatomyParams | None = None
    source: str = "synthetic"
    measured: dict = field(default_factory=dict, repr=False, compare=False)

    def measured_once(self, key, made_of: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()``, kept in :attr:`measured` under ``key`` with the objects ``made_of`` (e.g. the volume and
        landmarks it reads); given again while each of them is the same object, made anew otherwise."""
        kept = self.measured.get(key)
        if kept is not None and len(kept[0]) == len(made_of) and all(a is b for a, b in zip(kept[0], made_of)):
            return kept[1]
        value = compute()
        self.measured[key] = (tuple(made_of), value)
        return value

    @property
    def from_ct(self) -> bool:
        """True for a patient labelled from a CT series (no synthetic ``params``)."""
        return self.params is None
