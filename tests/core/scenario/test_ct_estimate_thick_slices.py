"""Landmark estimation on CT series with 1 mm voxels, as clinical spine CTs have: a
one-slice endplate must still be found (it was lost by smoothing along z)."""

import numpy as np
import pytest

from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
from trainer.core.anatomy.params import AnatomyParams
from trainer.core.scenario.ct_import import estimate_landmarks


@pytest.mark.parametrize("level, morphology, voxel_mm", [("L1", "wedge", 1.0), ("T12", "biconcave", 1.0),
                                                         ("L1", "wedge", 1.25)])
def test_endplates_and_centres_found_on_thick_slices(tmp_path, level, morphology, voxel_mm):
    patient = build_patient(AnatomyParams(level=level, morphology=morphology, fracture_grade=2,
                                          voxel_mm=voxel_mm, seed=3))
    write_ct_series(patient.volume, tmp_path)
    est = estimate_landmarks(read_ct_series(tmp_path))
    lm = patient.landmarks          # the synthetic export keeps patient coordinates
    assert est["superior_endplate_z_mm"] == pytest.approx(lm.superior_endplate_z_mm, abs=1.5)
    assert est["inferior_endplate_z_mm"] == pytest.approx(lm.inferior_endplate_z_mm, abs=1.5)
    assert np.allclose(est["body_centre_mm"], lm.body_centre_mm, atol=1.5)
    for side in ("left", "right"):
        assert np.allclose(est[f"pedicle_{side}_centre_mm"], lm.pedicle(side).centre_mm, atol=2.5)
