"""Bone cement: rheology, flow through bone, leaks and heat (docs/cement.md)."""

from trainer.core.procedure.cement.leaks import Leak
from trainer.core.procedure.cement.model import MAX_STEP_ML, CementModel, InjectionResult
from trainer.core.scenario.rheology import PHASES, CementProduct, Rheology, get_product, product_names
from trainer.core.xray.shapes import CementDeposit

__all__ = ["CementModel", "InjectionResult", "Leak", "CementDeposit", "CementProduct", "Rheology", "PHASES",
           "get_product", "product_names", "MAX_STEP_ML"]
