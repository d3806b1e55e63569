"""The dose of a shot without an image uses only the ABC's sampled pixels, with the same values."""

import numpy as np
import pytest

from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.params import AnatomyParams
from trainer.core.procedure.imaging import Imager
from trainer.core.scenario.loader import load_scenario
from trainer.core.xray.geometry import CArmGeometry, Pose
from trainer.core.xray.renderer import FluoroRenderer

POSES = [Pose(0.0, 0.0), Pose(90.0, 0.0), Pose(-25.0, 10.0), Pose(33.0, -12.0, (4.0, -3.0, 6.0)), Pose(8.0, 0.0)]


@pytest.fixture(scope="module")
def patient():
    return build_patient(AnatomyParams(voxel_mm=1.0, seed=2))


@pytest.mark.parametrize("pixels", [128, 256])
@pytest.mark.parametrize("roll", [0.0, 8.0])
def test_line_integrals_at_a_pixel_grid_equal_the_full_image_there(patient, pixels, roll):
    geom = CArmGeometry(pixels=pixels)
    full = FluoroRenderer(patient, geom, patient_roll_deg=roll)
    part = FluoroRenderer(patient, geom, patient_roll_deg=roll)
    rng = np.random.default_rng(pixels)
    for pose in POSES:
        for kvp in (80.0, 90.0):
            img = full.line_integrals(pose, kvp)
            idx = np.arange(pixels // 4, pixels - pixels // 4, 4)
            assert np.array_equal(part.line_integrals_at(pose, kvp, idx, idx), img[np.ix_(idx, idx)])
            rows, cols = np.sort(rng.choice(pixels, 7, replace=False)), np.sort(rng.choice(pixels, 5, replace=False))
            assert np.array_equal(part.line_integrals_at(pose, kvp, rows, cols), img[np.ix_(rows, cols)])
            # served from the full image once it is cached
            assert np.array_equal(full.line_integrals_at(pose, kvp, rows, cols), img[np.ix_(rows, cols)])
    assert not part._cache                        # the pixel-grid path does not fill the image cache


def test_the_shot_dose_is_the_same_with_and_without_an_image(patient):
    carm = load_scenario(None).carm
    geom = CArmGeometry(pixels=128)
    on = Imager(patient, geom, carm, render=True)
    off = Imager(patient, geom, carm, render=False)
    for i, pose in enumerate(POSES + POSES[:2]):
        a = on.shoot(pose, 4, None, None, np.random.default_rng(i), i + 1, 1.0 * i)
        b = off.shoot(pose, 4, None, None, np.random.default_rng(i), i + 1, 1.0 * i)
        assert a.image is not None and b.image is None
        assert a.dose == b.dose
        assert off.abc_factor(pose, off.kvp_for(pose)) == on.abc_factor(pose, on.kvp_for(pose))
    assert off._renderer is not None and not off._renderer._cache
