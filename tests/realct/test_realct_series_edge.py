"""A level at the edge of the series: no labelled bone beyond the last slice (round 22).

Tried as an instructor: the abdominal CT's top slice lies 14 mm above T12's centre (``import-ct`` says the
renders need 86 mm more above).  Its patient's fine volume reaches 22 mm past the endplate, beyond the
series; at 3 mm slices the labels are carried to 1 mm voxels from the nearest labelled voxel, and the
nearest one beyond the series was the top slice's, so its body label was repeated 25 mm on through air:
a 49.8 mL T12 body and a 40 mm middle height between endplates 27 mm apart (the expert's 4 mL read as a
7.7 % fill).  Oracles: the series' top slice as pydicom reads its ImagePositionPatient, and the
TotalSegmentator reference mask's whole T12 vertebra inside the series (47.9 mL, body and posterior
elements): the body alone cannot be larger.
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
import realct_sources as sources
from realct_cases import imported

from trainer.core.anatomy.labels import Label, body_mask

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def t12(totalseg_series):
    root, folder = totalseg_series
    return (*imported(root, folder, "T12", "edge_t12.toml"), folder)


def test_no_body_label_beyond_the_last_slice(t12):
    sc, patient, folder = t12
    top_z = max(float(pydicom.dcmread(f, stop_before_pixels=True).ImagePositionPatient[2])
                for f in folder.glob("*.dcm"))
    vol = patient.volume
    bone = np.isin(vol.labels, [int(v) for v in (Label.BODY_CORTEX, Label.CANCELLOUS, Label.PEDICLE_LEFT,
                                                  Label.PEDICLE_RIGHT, Label.POSTERIOR_ELEMENTS)])
    z_mm = vol.grid.origin_mm[2] + vol.grid.spacing_xyz_mm[2] * np.arange(vol.grid.shape[0])
    z_patient = z_mm + sc.ct.landmarks["body_centre_mm"][2]
    beyond = z_patient > top_z + 1.5                               # half a 3 mm slice past the top one
    assert beyond.any()                                            # the fine volume does reach past the series
    assert not bone[beyond].any(), f"{int(bone[beyond].sum())} target-bone voxels beyond the series"


def test_the_body_is_no_larger_than_the_reference_vertebra(t12, totalseg_ct):
    _, patient, _ = t12
    vol = patient.volume
    body_ml = body_mask(vol.labels).sum() \
        * np.prod(vol.grid.spacing_xyz_mm) / 1000.0
    mask_ml = (totalseg_ct.labels == sources.VERTEBRA_LABELS["T12"]).sum() \
        * np.prod(totalseg_ct.grid.spacing_xyz_mm) / 1000.0
    assert body_ml < mask_ml, (body_ml, mask_ml)
