"""Scoring against documented targets (DESIGN.md 5; issue 6).

``score(procedure) -> ScoreReport`` for a live or replayed procedure, and
``score_events(events, context)`` for an event stream.  Metrics are plugins in
:mod:`trainer.core.scoring.metrics`; their targets, bands, weights and sources are in
assets/scoring_targets.toml.
"""

from trainer.core.scenario.targets import load_targets
from trainer.core.scoring.context import build_context
from trainer.core.scoring.metric import Metric, MetricResult, ScoringContext
from trainer.core.scoring.outcome import Scorer, context_for_procedure, score, score_events
from trainer.core.scoring.report import ScoreReport

__all__ = ["score", "score_events", "Scorer", "ScoreReport", "MetricResult", "Metric", "ScoringContext",
           "build_context", "context_for_procedure", "load_targets"]
