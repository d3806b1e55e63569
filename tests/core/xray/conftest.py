"""Shared fixtures of the imaging-chain tests: the analytic phantom and one synthetic patient."""


import pytest
from xray_phantom import make_phantom

from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.params import AnatomyParams
from trainer.core.xray.geometry import CArmGeometry
from trainer.core.xray.renderer import FluoroRenderer


@pytest.fixture(scope="session")
def phantom():
    return make_phantom()


@pytest.fixture(scope="session")
def symmetric_patient():
    """The default L1 patient without per-dimension jitter (left and right equal)."""
    return build_patient(AnatomyParams(jitter=0.0, seed=7))


@pytest.fixture(scope="session")
def small_renderer(symmetric_patient):
    """A 128 x 128 renderer of the synthetic patient (same detector, larger pixels)."""
    return FluoroRenderer(symmetric_patient, CArmGeometry(pixels=128))
