"""The built-in metrics, one module per group (STYLE.md 11).

:data:`BUILTIN_METRICS` lists the classes in report order; every id has an entry in
assets/scoring_targets.toml (its target, bands, weight and source).
"""

from __future__ import annotations

from trainer.core.scoring.metrics.alignment import ApOrbitalError, ApTiltError, LateralOrbitalError
from trainer.core.scoring.metrics.bipedicular import CementShare, TipHemibody
from trainer.core.scoring.metrics.cement import (
                                                 ApChecks,
                                                 CanalWallTemperature,
                                                 CementPhase,
                                                 CementSpread,
                                                 CementVolume,
                                                 FillFraction,
                                                 LateralChecks,
                                                 LeakCanalForamen,
                                                 LeakOther,
                                                 StopRule,
)
from trainer.core.scoring.metrics.checklist import Candidacy, ChecklistGates
from trainer.core.scoring.metrics.efficiency import InstrumentMovements, ProgressPerShot, Redirections, TotalTime
from trainer.core.scoring.metrics.radiation import AirKerma, Dap, Exposures, FluoroTime, Pulses
from trainer.core.scoring.metrics.tip import TipDepth, TipEndplates, TipMidline
from trainer.core.scoring.metrics.trajectory import AnteriorCortex, BreachGrade, CanalForamenBreach, EntryPoint, MedialWallRule

__all__ = ["BUILTIN_METRICS"]

BUILTIN_METRICS = (
    Candidacy, ChecklistGates,
    ApOrbitalError, ApTiltError, LateralOrbitalError, EntryPoint, MedialWallRule, CanalForamenBreach,
    BreachGrade, AnteriorCortex,
    TipDepth, TipEndplates, TipMidline, TipHemibody, CementShare,
    CementVolume, CementPhase, StopRule, LeakCanalForamen, LeakOther, CanalWallTemperature, FillFraction,
    CementSpread, ApChecks, LateralChecks,
    Exposures, FluoroTime, Pulses, AirKerma, Dap,
    ProgressPerShot, TotalTime, Redirections, InstrumentMovements,
)
