import numpy as np
import pytest

from tests.core.procedure.phantom import make_phantom


@pytest.fixture(scope="session")
def phantom():
    """The analytic test vertebra (built once per test run)."""
    return make_phantom()


def rotate_z(v, deg):
    """Rotate a vector about the patient's long axis by ``deg`` (positive: +x towards +y)."""
    t = np.radians(deg)
    r = np.array([[np.cos(t), -np.sin(t), 0.0], [np.sin(t), np.cos(t), 0.0], [0.0, 0.0, 1.0]])
    return r @ np.asarray(v, float)


def medial_rotation(side):
    """Sign of a rotation about z that turns a pedicle axis medially."""
    return -1.0 if side == "left" else 1.0
