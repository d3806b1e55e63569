"""Viscosity, phases, bench consistency and product parameters (FACTS.md 3.3)."""

import numpy as np
import pytest

from trainer.core.errors import ParameterError
from trainer.core.procedure.cement import PHASES, Rheology, get_product, product_names
from trainer.core.scenario.rheology import CementProduct


@pytest.fixture(scope="module")
def default():
    return Rheology(get_product("default"))


def test_viscosity_is_monotone_and_plateaus_at_the_documented_maximum(default):
    t = np.linspace(0, 40 * 60, 400)
    eta = np.array([default.viscosity_pa_s(s) for s in t])
    assert np.all(np.diff(eta) >= 0)
    assert eta[-1] == pytest.approx(75000.0)        # Nicholas 2007 plateau, FACTS 3.3
    assert eta[0] > 0


def test_default_phase_windows_match_facts_defaults(default):
    ph = {m: default.phase(m * 60) for m in (1, 3.4, 4.5, 6, 9.5, 11, 13, 17, 20)}
    assert ph[1] == ph[3.4] == "runny"                   # too runny before ~3.5 min
    assert ph[4.5] == ph[6] == ph[9.5] == "working"      # working ~4-10 min
    assert ph[11] == ph[13] == "setting"
    assert ph[17] == ph[20] == "set"                     # hard at 15-20 min
    assert default.injectable(11.5 * 60)
    assert not default.injectable(12.5 * 60)             # not injectable after ~12 min at 37 C
    w = default.windows_min()
    assert 3.5 <= w["working_from"] <= 4.5 and 9 <= w["setting_from"] <= 11
    assert 11.5 <= w["injectable_until"] <= 12.5 and 15 <= w["set_from"] <= 20


def test_cold_cement_cures_at_half_the_rate_of_body_temperature():
    prod = get_product("default")
    warm, cold = Rheology(prod, 37.0), Rheology(prod, 25.0)
    assert cold.time_to_viscosity_s(2000.0) == pytest.approx(2 * warm.time_to_viscosity_s(2000.0), rel=1e-6)
    assert cold.phase(6 * 60) == "runny" and warm.phase(6 * 60) == "working"


def test_consistency_descriptions_follow_viscosity(default):
    texts = [default.consistency(default.viscosity_pa_s(m * 60)) for m in (1, 3.5, 6, 10.5, 13, 20)]
    assert "syrup" in texts[1] or "runs" in texts[0]
    assert "toothpaste" in texts[2] or "paste" in texts[2]
    assert "will not extrude" in texts[4]
    assert texts[5] == "hard, set"
    assert len(set(texts)) >= 5


def test_products_differ_in_the_documented_direction():
    assert {"default", "low-viscosity", "high-viscosity"} <= set(product_names())
    hi, lo = Rheology(get_product("high-viscosity")), Rheology(get_product("low-viscosity"))
    assert hi.phase(2.5 * 60) == "working"
    assert lo.phase(5 * 60) == "runny"
    assert hi.viscosity_pa_s(3 * 60) > 5 * lo.viscosity_pa_s(3 * 60)


def test_overrides_and_bad_values_raise_parameter_errors():
    p = get_product("default").with_overrides({"runny_until_min": 5.0})
    assert Rheology(p).phase(4.5 * 60) == "runny"
    with pytest.raises(ParameterError, match="colour"):
        get_product("default").with_overrides({"colour": "blue"})
    with pytest.raises(ParameterError, match="injectable_until_min"):
        CementProduct("x", runny_until_min=8.0, injectable_until_min=6.0)
    with pytest.raises(ParameterError, match="cement.product"):
        get_product("no-such-cement")
    with pytest.raises(ParameterError, match="temperature_c"):
        Rheology(get_product("default"), 80.0)
    assert PHASES[0] == "unmixed"
