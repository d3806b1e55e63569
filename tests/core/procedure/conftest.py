import pytest
from procedure_phantom import make_phantom


@pytest.fixture(scope="session")
def phantom():
    """The analytic test vertebra (built once per test run)."""
    return make_phantom()
