"""Cement products and how their viscosity rises with time after mixing.

The model (FACTS.md 3.3, "Recommended simulator defaults"): viscosity is a monotone
exponential of the time since mixing, capped at the plateau all cements reach
(75e3 Pa s, Nicholas 2007),

    eta(t) = min(max_pa_s, runny_pa_s * exp((t_eff - t_runny) / tau)),

with the cure clock ``t_eff`` running faster in warm cement (the rate roughly doubles
from 25 to 37 C, Nicholas 2007).  Phases are viscosity bands shared by all products;
each product gives the two times that place its curve (``runny_until_min``,
``injectable_until_min``).  Constants live in ``assets/cement_products.toml``.

The catalogue lives with the scenario because a scenario names its product and overrides
its parameters, and the loader checks them against the product's ranges; the cement model
(:mod:`trainer.core.procedure.cement`, a layer above) runs the curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

import tomllib

from trainer import ASSETS_DIR
from trainer.core.errors import ParameterError

__all__ = ["CementProduct", "Rheology", "PHASES", "load_config", "get_product", "product_names",
           "CONFIG_PATH"]

CONFIG_PATH = ASSETS_DIR / "cement_products.toml"
PHASES = ("unmixed", "runny", "working", "setting", "set")


@dataclass(frozen=True)
class CementProduct:
    """One cement as the scenario names it.

    Parameters
    ----------
    name : str
        Key in ``assets/cement_products.toml``.
    title : str
    runny_until_min : float
        Minutes after mixing (at the reference temperature) when the paste stops
        dripping (viscosity reaches the runny threshold).
    injectable_until_min : float
        Minutes after mixing when the cement can no longer be pushed through the cannula.
    peak_temperature_c : float
        Peak polymerisation temperature in the body for a 4 mL fill (deg C).
    baso4_powder_wt : float
        Radiopacifier mass fraction of the powder (0 to 0.45).
    notes : str
    """

    name: str
    title: str = ""
    runny_until_min: float = 4.0
    injectable_until_min: float = 12.0
    peak_temperature_c: float = 80.0
    baso4_powder_wt: float = 0.30
    notes: str = ""

    def __post_init__(self):
        def num(name, lo, hi):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (lo <= float(v) <= hi):
                raise ParameterError(f"cement.{name}", v, f"a number from {lo} to {hi}", source=str(CONFIG_PATH))

        num("runny_until_min", 0.0, 30.0)
        num("injectable_until_min", 0.5, 60.0)
        num("peak_temperature_c", 40.0, 120.0)
        num("baso4_powder_wt", 0.0, 0.45)
        if self.injectable_until_min <= self.runny_until_min:
            raise ParameterError("cement.injectable_until_min", self.injectable_until_min,
                                 f"more than runny_until_min ({self.runny_until_min})", source=str(CONFIG_PATH))

    def with_overrides(self, overrides: dict | None) -> CementProduct:
        """A copy with scenario overrides applied (unknown keys raise ParameterError)."""
        if not overrides:
            return self
        names = {f.name for f in fields(self)} - {"name"}
        bad = sorted(set(overrides) - names)
        if bad:
            raise ParameterError(f"cement.{bad[0]}", overrides[bad[0]], f"one of {', '.join(sorted(names))}")
        return replace(self, **overrides)


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ParameterError("cement products file", path, "a readable TOML file", hint=str(exc)) from None


def load_config(path: str | Path | None = None) -> dict:
    """The parsed cement asset file (cached; treat as read-only)."""
    return _load(str(path or CONFIG_PATH))


def product_names() -> list[str]:
    """Names of the products in the asset file, sorted."""
    return sorted(load_config()["products"])


def get_product(name: str = "default") -> CementProduct:
    """The product called ``name`` in ``assets/cement_products.toml``."""
    prods = load_config()["products"]
    if name not in prods:
        raise ParameterError("cement.product", name, f"one of {', '.join(sorted(prods))}",
                             source=str(CONFIG_PATH))
    return CementProduct(name=name, **prods[name])


#: (viscosity upper bound in Pa s, how it behaves on the bench), checked in order.
_CONSISTENCY = (
    (30.0, "watery, runs off the spatula"),
    (100.0, "drips like syrup"),
    (600.0, "soft paste, forms a peak that slowly slumps"),
    (2000.0, "holds a peak like toothpaste"),
    (5800.0, "stiff putty, extrudes only with hard pressure"),
    (50000.0, "doughy, will not extrude"),
)


class Rheology:
    """Viscosity and phase of one product at one temperature.

    Parameters
    ----------
    product : CementProduct
    temperature_c : float
        Cement temperature (deg C); 20 to 45.
    config : dict, optional
        Parsed asset file (defaults to ``assets/cement_products.toml``).
    """

    def __init__(self, product: CementProduct, temperature_c: float | None = None, config: dict | None = None):
        cfg = (config or load_config())["viscosity"]
        self.product = product
        self.runny_pa_s = float(cfg["runny_pa_s"])
        self.working_end_pa_s = float(cfg["working_end_pa_s"])
        self.injectable_max_pa_s = float(cfg["injectable_max_pa_s"])
        self.set_pa_s = float(cfg["set_pa_s"])
        self.max_pa_s = float(cfg["max_pa_s"])
        ref_c = float(cfg["reference_temperature_c"])
        t_c = ref_c if temperature_c is None else temperature_c
        if isinstance(t_c, bool) or not isinstance(t_c, (int, float)) or not (20.0 <= t_c <= 45.0):
            raise ParameterError("cement.temperature_c", t_c, "a number from 20 to 45 (deg C)")
        self.temperature_c = float(t_c)
        #: cure-clock speed relative to the reference temperature
        self.rate = 2.0 ** ((self.temperature_c - ref_c) / float(cfg["doubling_per_c"]))
        self.t_runny_s = 60.0 * product.runny_until_min
        span = 60.0 * (product.injectable_until_min - product.runny_until_min)
        self.tau_s = span / math.log(self.injectable_max_pa_s / self.runny_pa_s)

    def viscosity_pa_s(self, since_mix_s: float) -> float:
        """Viscosity (Pa s) ``since_mix_s`` seconds after mixing (monotone non-decreasing)."""
        t_eff = max(0.0, float(since_mix_s)) * self.rate
        expo = (t_eff - self.t_runny_s) / self.tau_s
        if expo > math.log(self.max_pa_s / self.runny_pa_s):
            return self.max_pa_s
        return self.runny_pa_s * math.exp(expo)

    def time_to_viscosity_s(self, eta_pa_s: float) -> float:
        """Seconds after mixing when the viscosity reaches ``eta_pa_s``."""
        return max(0.0, (self.t_runny_s + self.tau_s * math.log(eta_pa_s / self.runny_pa_s)) / self.rate)

    def phase(self, since_mix_s: float) -> str:
        """``'runny'``, ``'working'``, ``'setting'`` or ``'set'``."""
        eta = self.viscosity_pa_s(since_mix_s)
        if eta < self.runny_pa_s:
            return "runny"
        if eta < self.working_end_pa_s:
            return "working"
        if eta < self.set_pa_s:
            return "setting"
        return "set"

    def injectable(self, since_mix_s: float) -> bool:
        """Whether the cement can still be pushed through the cannula."""
        return self.viscosity_pa_s(since_mix_s) < self.injectable_max_pa_s

    @staticmethod
    def consistency(eta_pa_s: float) -> str:
        """How a clinician describes cement of this viscosity on the bench."""
        for upper, text in _CONSISTENCY:
            if eta_pa_s < upper:
                return text
        return "hard, set"

    def windows_min(self) -> dict:
        """Phase boundaries in minutes after mixing at this temperature."""
        return {"working_from": round(self.time_to_viscosity_s(self.runny_pa_s) / 60.0, 2),
                "setting_from": round(self.time_to_viscosity_s(self.working_end_pa_s) / 60.0, 2),
                "injectable_until": round(self.time_to_viscosity_s(self.injectable_max_pa_s) / 60.0, 2),
                "set_from": round(self.time_to_viscosity_s(self.set_pa_s) / 60.0, 2)}
