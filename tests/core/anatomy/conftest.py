"""Fixtures of the anatomy tests: every patient is built once per session (see anatomy_support)."""

from __future__ import annotations

import pytest
from anatomy_support import cached


@pytest.fixture(scope="session")
def default_patient():
    return cached(level="L1", fracture_grade=2.0, morphology="wedge", seed=7)
