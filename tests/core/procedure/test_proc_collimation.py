"""Collimation: closing the shutters or the iris cuts the DAP in proportion to the open field."""

import numpy as np
import pytest

from trainer.core.procedure.machine import Procedure
from trainer.core.scenario.loader import load_scenario
from trainer.core.scoring.outcome import score


@pytest.fixture(scope="module")
def scenario():
    return load_scenario()


def _dap_of_one_shot(scenario, phantom, **shot):
    p = Procedure(scenario, patient=phantom, render=False, pixels=64)
    p.apply({"type": "shot", "pulses": 75, **shot})
    return p


def test_half_field_gives_half_the_dap_and_the_dose_metric_follows(scenario, phantom):
    full = _dap_of_one_shot(scenario, phantom)
    half = _dap_of_one_shot(scenario, phantom, field_mm=[150, 300])
    assert half.dose.dap_gycm2 == pytest.approx(0.5 * full.dose.dap_gycm2, rel=1e-9)
    assert half.dose.entrance_kerma_mgy == pytest.approx(full.dose.entrance_kerma_mgy, rel=1e-9)
    # the scored dose-area product metric (rounded to 1e-4 Gy.cm2 in the report)
    dap = {m.name: m.value for m in score(half).metrics}["Dose-area product"]
    dap_full = {m.name: m.value for m in score(full).metrics}["Dose-area product"]
    assert dap == pytest.approx(0.5 * dap_full, abs=2e-4) and dap_full > 0.02


def test_iris_cuts_the_dap_by_the_circle_area(scenario, phantom):
    full = _dap_of_one_shot(scenario, phantom)
    iris = _dap_of_one_shot(scenario, phantom, iris_mm=200)
    # hand: a 200 mm circle inside the 300 x 300 mm detector
    assert iris.dose.dap_gycm2 / full.dose.dap_gycm2 == pytest.approx(np.pi * 100 ** 2 / 300 ** 2, rel=1e-3)


def test_bad_collimation_is_refused_with_the_field_named(scenario, phantom):
    p = Procedure(scenario, patient=phantom, render=False, pixels=64)
    for bad, name in (({"field_mm": [5, 300]}, "field_mm"), ({"field_mm": [100]}, "field_mm"),
                      ({"field_mm": "wide"}, "field_mm"), ({"iris_mm": 0}, "iris_mm")):
        res = p.apply({"type": "shot", **bad})
        assert not res.accepted and f"shot.{name}" in res.reason
    assert p.dose.shots == 0
