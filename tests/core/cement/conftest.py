"""Shared patients for the cement tests (built once per session)."""


import numpy as np
import pytest
from cement_phantom import make_phantom  # this folder is on sys.path (pytest rootdir-relative import)

from trainer.core.procedure.cement import CementModel


@pytest.fixture(scope="session")
def phantom():
    return make_phantom()


@pytest.fixture(scope="session")
def phantom_defects():
    return {"posterior_wall_defect": make_phantom(posterior_wall_defect=True),
            "endplate_crack": make_phantom(endplate_crack=True),
            "cleft": make_phantom(cleft=True)}


@pytest.fixture
def mixed(phantom):
    """A default-product model on the phantom, mixed at t = 0."""
    m = CementModel(phantom, "default", np.random.default_rng(5))
    m.mix(0.0)
    return m
