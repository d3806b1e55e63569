"""Fixtures shared by the assess tests."""

import pytest

from trainer.core.session.seal import generate_hmac_key


@pytest.fixture(scope="module")
def hmac_key(tmp_path_factory):
    """An HMAC key file, as ``vptrainer keygen`` writes it, for sealing sessions."""
    p = tmp_path_factory.mktemp("keys") / "exam.key"
    generate_hmac_key(p)
    return p
