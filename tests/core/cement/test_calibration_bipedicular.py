"""The bipedicular path of the calibration protocol (``Condition(bipedicular=True)``, docs/cement.md).

A bipedicular row injects as the t11/t12 scenarios are done: one cannula in each pedicle at its
own jittered expert target, the first half of the pushes (rounded down) through the right one,
the rest through the left.  Oracles, all independent of ``calibration.run_seed``:

* hand counts: 1.25 mL in 0.25 mL pushes is 5 pushes, so 2 go through the right cannula and 3
  through the left; 1.5 mL is 3 + 3; push ``s`` leaves the syringe at 60 s x 5.5 min + 10 s x s;
* the plan (``plans.expert_target_mm``, another module): each tip lies within the protocol's
  +/-1.5 mm jitter box of the expert target on its own side, right of the body centre first;
* the cement itself: the cannulas are 2 x 7.1 mm - 2 x 1.5 mm >= 11 mm apart at T12 (round 7's
  tip), so while only the right cannula has injected the deposit lies right of the midline, and
  the left cannula's half goes to the left side;
* the protocol's documented seeding (``default_rng(seed).spawn(2)``: model stream, tip jitter):
  the right tip's jitter is the first three draws of the tip stream, the left's the next three.
"""

from dataclasses import replace

import numpy as np
import pytest

from trainer.core.procedure.cement import calibration
from trainer.core.procedure.cement.calibration import CONDITIONS, run_seed
from trainer.core.procedure.plans import expert_target_mm

SEED = 4


@pytest.fixture(scope="module")
def patient():
    return calibration.patient_of("t12-biconcave")


def _record(monkeypatch, total_ml: float, seed: int = SEED):
    """Run one bipedicular seed on T12, recording every push (tip mm, mL, t s, injected mL after)."""
    pushes = []
    real_inject = calibration.CementModel.inject

    def inject(self, volume_ml, tip_mm, t_s):
        r = real_inject(self, volume_ml, tip_mm, t_s)
        cx = float(self.domain.landmarks.body_centre_mm[0])
        dep = self.deposit()
        x_mm = self.domain.grid.index_to_mm(dep.ijk.astype(float))[:, 0]
        vol = dep.fraction * self.domain.voxel_mm3
        pushes.append({"tip": np.asarray(tip_mm, float).copy(), "ml": volume_ml, "t": t_s,
                       "injected": self.injected_ml, "right_ml": float(vol[x_mm < cx].sum()) / 1000.0,
                       "left_ml": float(vol[x_mm > cx].sum()) / 1000.0})
        return r

    monkeypatch.setattr(calibration.CementModel, "inject", inject)
    cond = replace(CONDITIONS["t12_bipedicular"], total_ml=total_ml)
    return run_seed(cond, seed), pushes


@pytest.mark.parametrize("total_ml, n_right, n_left", [(1.25, 2, 3), (1.5, 3, 3)])
def test_the_first_half_goes_through_the_right_cannula_the_rest_through_the_left(patient, monkeypatch,
                                                                                  total_ml, n_right, n_left):
    out, pushes = _record(monkeypatch, total_ml)
    assert len(pushes) == n_right + n_left
    assert [p["ml"] for p in pushes] == [0.25] * (n_right + n_left)
    assert [p["t"] for p in pushes] == pytest.approx([330.0 + 10.0 * s for s in range(n_right + n_left)])
    tips = np.array([p["tip"] for p in pushes])
    right, left = tips[:n_right], tips[n_right:]
    assert np.all(right == right[0]) and np.all(left == left[0])      # no withdrawal: one tip per cannula
    cx = float(patient.landmarks.body_centre_mm[0])
    assert right[0][0] < cx < left[0][0]
    for tip, side in ((right[0], "right"), (left[0], "left")):
        assert np.all(np.abs(tip - expert_target_mm(patient, side, 0.75)) <= 1.5 + 1e-9), side
    assert np.linalg.norm(left[0] - right[0]) >= 11.0
    # volumes: half the pushes (rounded down) through the right cannula, all of it by the end
    assert pushes[n_right - 1]["injected"] == pytest.approx(0.25 * n_right)
    assert pushes[-1]["injected"] == pytest.approx(total_ml)
    assert sorted(k for k in out if not isinstance(k, str)) == ([1.0, total_ml] if total_ml > 1 else [1.0])
    assert out["conservation_ml"] < 1e-9


@pytest.mark.parametrize("seed", [SEED, 7])
def test_each_cannula_fills_its_own_side(patient, monkeypatch, seed):
    _, pushes = _record(monkeypatch, 1.5, seed)
    after_right, last = pushes[2], pushes[-1]
    half = 0.75
    # only the right cannula has injected: its mass (radius about 6 mm round a tip about 7 mm right of
    # the midline) lies right of it, bar the venous cement that runs along the basivertebral vein
    assert after_right["injected"] == pytest.approx(half)
    assert after_right["right_ml"] >= 0.75 * half
    # the left cannula's half goes to the left side; the right side gains little of it
    assert last["left_ml"] - after_right["left_ml"] >= 0.75 * half
    assert last["right_ml"] - after_right["right_ml"] <= 0.25 * half


def test_tip_jitter_follows_the_documented_seeding(patient, monkeypatch):
    _, pushes = _record(monkeypatch, 1.0, seed=SEED)
    _, tip_ss = np.random.default_rng(SEED).spawn(2)
    draws = np.random.default_rng(tip_ss).uniform(-1.5, 1.5, 6)
    right_tip, left_tip = pushes[0]["tip"], pushes[-1]["tip"]
    assert right_tip - expert_target_mm(patient, "right", 0.75) == pytest.approx(draws[:3], abs=1e-9)
    assert left_tip - expert_target_mm(patient, "left", 0.75) == pytest.approx(draws[3:], abs=1e-9)
    # same seed, same run
    a, _ = _record(monkeypatch, 1.0, seed=SEED)
    b, _ = _record(monkeypatch, 1.0, seed=SEED)
    assert a[1.0]["kinds"] == b[1.0]["kinds"] and a[1.0]["canal_c"] == b[1.0]["canal_c"]
