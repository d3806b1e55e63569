"""The cement clock: seconds since mixing, as the cement model, the debrief and the score read it."""

from __future__ import annotations

__all__ = ["SINCE_MIX_DECIMALS", "seconds_since_mix"]

#: the time since mixing is kept to the microsecond (the session's times have 6 decimals)
SINCE_MIX_DECIMALS = 6


def seconds_since_mix(t_s: float, mixed_t_s: float) -> float:
    """Seconds (s) from mixing at ``mixed_t_s`` to ``t_s``, rounded to the microsecond.

    Simulated times are sums of action durations, and their difference carries the sums' float noise (mixed at
    124.15 s, 240 s later read 239.99999999999997 s), which decided the phase of a push made exactly at a phase
    boundary (a resident who waited to "4:00 since mixing" got runny cement, round 36).  Rounded, the boundary
    belongs to the later phase, as the rheology defines it (:meth:`~trainer.core.scenario.rheology.Rheology.phase`).

    Parameters
    ----------
    t_s : float
        The moment (s of simulated time).
    mixed_t_s : float
        When the cement was mixed (s of simulated time).

    Returns
    -------
    float
        ``t_s - mixed_t_s`` in s, to :data:`SINCE_MIX_DECIMALS` decimals.
    """
    return round(float(t_s) - float(mixed_t_s), SINCE_MIX_DECIMALS)
