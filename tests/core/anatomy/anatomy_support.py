"""Helpers shared by the anatomy tests (a uniquely named module: conftest names clash across folders)."""

from __future__ import annotations

from functools import cache

from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.morphometry import SEX_SCALE
from trainer.core.anatomy.params import AnatomyParams

#: size factor that cancels the female sex factor, so jitter-free dimensions equal the table
TABLE_SIZE = 1.0 / SEX_SCALE["female"]


@cache
def _patient_for(key):
    return build_patient(AnatomyParams(**dict(key)))


def cached(**kw):
    """Build (once per session) the patient for these AnatomyParams keywords (defaults filled in)."""
    return _patient_for(tuple(sorted(AnatomyParams(**kw).as_dict().items())))
