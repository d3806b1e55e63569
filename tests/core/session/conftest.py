import pytest

from trainer.core.anatomy.builder import build_patient
from trainer.core.scenario.loader import load_scenario


@pytest.fixture(scope="session")
def scenario():
    return load_scenario()


@pytest.fixture(scope="session")
def patient(scenario):
    """The default scenario's patient, built once."""
    return build_patient(scenario.anatomy)
