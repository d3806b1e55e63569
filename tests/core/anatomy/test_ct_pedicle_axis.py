"""The pedicle fit of a labelled CT (ct_pedicle_axis) against a synthetic patient's known pedicles.

Oracle: the builder's own pedicle geometry (landmarks of the synthetic patient, whose
labels are the truth); the fit starts from an isthmus centre 2 mm off, as an estimate is.
"""

from __future__ import annotations

import numpy as np
import pytest

from trainer.core.anatomy.ct_pedicle_axis import bone_mask, fit_pedicle, vertebra_rotation_deg


@pytest.mark.parametrize("side", ["left", "right"])
def test_fit_recovers_the_synthetic_pedicle(default_patient, side):
    p = default_patient
    lm = p.landmarks
    ped = lm.pedicle(side)
    y_target = lm.posterior_wall_y_mm - 0.75 * lm.body_depth_mm
    start = np.asarray(ped.centre_mm) + (1.5, 0.0, -1.5)
    rot = vertebra_rotation_deg(lm.pedicle_left.centre_mm, lm.pedicle_right.centre_mm, lm.body_centre_mm)
    assert abs(rot) < 1.0                                # the synthetic vertebra is not rotated
    fit = fit_pedicle(p.volume, start, side, lm.posterior_wall_y_mm, y_target, bone_mask(p.volume), rot,
                      z_aim_mm=lm.body_centre_mm[2])
    assert abs(fit.medial_angle_deg - ped.medial_angle_deg) <= 4.0, (fit.medial_angle_deg, ped.medial_angle_deg)
    # the refined centre is back near the true axis (the search's finest offset step is 1 mm), closer
    # than the 2.1 mm it started from
    c, a = np.asarray(ped.centre_mm), np.asarray(ped.axis)
    d = np.asarray(fit.centre_mm) - c
    assert np.linalg.norm(d - (d @ a) * a) <= 1.5
    assert abs(fit.width_mm - ped.width_mm) <= 1.5 and abs(fit.medial_wall_x_mm - ped.medial_wall_x_mm) <= 1.5
    # a trocar of 11 G (1.5 mm radius) fits: the line stays more than its radius inside bone
    assert fit.clearance_mm > 1.5
    # the line reaches the target depth inside the body, below the pedicle's own height
    t_end = (fit.centre_mm[1] - y_target) / -fit.axis[1]
    assert fit.centre_mm[2] + t_end * fit.axis[2] <= ped.centre_mm[2]


def test_rotation_of_a_turned_vertebra():
    """By hand: pedicles at (+15, 20) and (-15, 24), body at (0, 0): the midpoint (0, 22) lies
    straight behind the body, no rotation; move the body 10 mm to +x: atan(10 / 22) = 24.4 deg."""
    assert vertebra_rotation_deg((15, 20, 0), (-15, 24, 0), (0, 0, 0)) == pytest.approx(0.0, abs=1e-9)
    assert vertebra_rotation_deg((15, 20, 0), (-15, 24, 0), (10, 0, 0)) == pytest.approx(24.44, abs=0.01)
