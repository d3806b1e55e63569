"""Learning curves of pass/fail outcomes: the standard CUSUM and the LC-CUSUM.

Standard CUSUM, Bolsin/Colson form (Kestin, *BJA* 1995; FACTS.md 8).  With an acceptable
failure rate ``p0``, an unacceptable one ``p1`` and type I/II errors ``alpha``, ``beta``::

    P = ln(p1/p0)            Q = ln((1-p0)/(1-p1))          s = Q / (P+Q)
    a = ln((1-beta)/alpha)   b = ln((1-alpha)/beta)
    h1 = a / (P+Q)   (upper limit: the failure rate is p1, unacceptable)
    h0 = -b / (P+Q)  (lower limit: the failure rate is p0, acceptable)
    S_n = S_(n-1) + (1 - s) after a failure,  S_n = S_(n-1) - s after a success,  S_0 = 0

The chart is read the Bolsin/Colson way: when ``S_n`` falls to ``h0`` below the reference
(the start, or the last crossing) the trainee has crossed the competence limit; when it
rises ``h1`` above the reference the failure rate is unacceptable (a *relapse* if the
trainee had been competent).  After each crossing the limits are redrawn from that point.

LC-CUSUM (Biau & Porcher, *Stat Med* 2010;29:1900, doi 10.1002/sim.3947): the null
hypothesis is "not yet competent" (failure rate ``p1``).  In the same units as above
(log-likelihood ratio divided by P+Q) a success adds ``s``, a failure subtracts ``1 - s``,
and the sum never goes below 0::

    L_n = max(0, L_(n-1) + s)  after a success,   L_n = max(0, L_(n-1) - (1 - s))  after a failure

Competence is declared when ``L_n >= h`` (default ``h = h1``, the SPRT limit; Biau &
Porcher choose ``h`` for a false-signal probability, which :func:`lc_false_signal_probability`
computes exactly).  After competence a Page CUSUM watches for deterioration, the mirror
image (``C_n = max(0, C_(n-1) + (1 - s))`` after a failure, ``- s`` after a success) with the
same limit; reaching it is a relapse and restarts the LC-CUSUM from 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from trainer.core.errors import ParameterError

__all__ = ["PRESETS", "CusumChart", "CusumParams", "lc_cusum", "lc_false_signal_probability", "standard_cusum"]


@dataclass(frozen=True)
class CusumParams:
    """Acceptable / unacceptable failure rates and the error rates of the decision limits."""

    p0: float = 0.10
    p1: float = 0.20
    alpha: float = 0.10
    beta: float = 0.10

    def __post_init__(self):
        for name in ("p0", "p1", "alpha", "beta"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0.0 < v < 1.0):
                raise ParameterError(name, v, "a probability strictly between 0 and 1")
        if not self.p0 < self.p1:
            raise ParameterError("p1", self.p1, f"greater than the acceptable failure rate p0 = {self.p0}")

    @property
    def P(self) -> float:
        return math.log(self.p1 / self.p0)

    @property
    def Q(self) -> float:
        return math.log((1 - self.p0) / (1 - self.p1))

    @property
    def s(self) -> float:
        """Decrement per success (failure units)."""
        return self.Q / (self.P + self.Q)

    @property
    def h0(self) -> float:
        """Lower (competence) decision limit, negative."""
        return -math.log((1 - self.alpha) / self.beta) / (self.P + self.Q)

    @property
    def h1(self) -> float:
        """Upper (unacceptable) decision limit."""
        return math.log((1 - self.beta) / self.alpha) / (self.P + self.Q)

    def to_json(self) -> dict:
        return {"p0": self.p0, "p1": self.p1, "alpha": self.alpha, "beta": self.beta,
                "s": round(self.s, 6), "h0": round(self.h0, 6), "h1": round(self.h1, 6)}


#: Literature presets (FACTS.md 8): acceptable/unacceptable failure rates, alpha = beta = 0.1.
PRESETS = {
    "5/10 %": CusumParams(0.05, 0.10),
    "10/20 %": CusumParams(0.10, 0.20),
    "5/15 %": CusumParams(0.05, 0.15),
}


@dataclass
class CusumChart:
    """One chart: the value after each attempt, its limits and the marked events.

    Attributes
    ----------
    method : str
        'standard' or 'lc'.
    values : list of float
        After each outcome (index i = attempt i+1).
    limits : dict
        'standard': ``h0``, ``h1`` (relative to ``references``); 'lc': ``h``.
    references : list of float
        Standard CUSUM: the reference each value is read against (0, then the last crossing).
    events : list of (int, str)
        ``(attempt index 0-based, 'competent' | 'unacceptable' | 'relapse')``.
    state : str
        'not yet competent', 'competent', 'unacceptable' or 'relapsed'.
    """

    method: str
    params: CusumParams
    values: list = field(default_factory=list)
    limits: dict = field(default_factory=dict)
    references: list = field(default_factory=list)
    events: list = field(default_factory=list)
    state: str = "not yet competent"

    @property
    def competent_at(self) -> int | None:
        """1-based attempt number of the first competence crossing, or None."""
        for i, kind in self.events:
            if kind == "competent":
                return i + 1
        return None

    def to_json(self) -> dict:
        return {"method": self.method, "params": self.params.to_json(),
                "values": [round(v, 6) for v in self.values],
                "limits": {k: round(v, 6) for k, v in self.limits.items()},
                "events": [{"attempt": i + 1, "event": k} for i, k in self.events],
                "state": self.state, "competent_at": self.competent_at}


def _check(outcomes) -> list[bool]:
    out = []
    for o in outcomes:
        if not isinstance(o, (bool, int)) or o not in (0, 1):
            raise ParameterError("outcome", o, "True (success) or False (failure)")
        out.append(bool(o))
    return out


def standard_cusum(successes, params: CusumParams = PRESETS["10/20 %"]) -> CusumChart:
    """Bolsin/Colson CUSUM of a sequence of outcomes (True = success, False = failure)."""
    outs = _check(successes)
    s, h0, h1 = params.s, params.h0, params.h1
    chart = CusumChart("standard", params, limits={"h0": h0, "h1": h1})
    total, ref = 0.0, 0.0
    competent = False
    for i, ok in enumerate(outs):
        total += -s if ok else 1.0 - s
        chart.values.append(total)
        chart.references.append(ref)
        d = total - ref
        if d <= h0 + 1e-12:
            chart.events.append((i, "competent"))
            competent, ref = True, total
            chart.state = "competent"
        elif d >= h1 - 1e-12:
            chart.events.append((i, "relapse" if competent else "unacceptable"))
            chart.state = "relapsed" if competent else "unacceptable"
            competent, ref = False, total
    return chart


def lc_cusum(successes, params: CusumParams = PRESETS["10/20 %"], h: float | None = None) -> CusumChart:
    """LC-CUSUM (Biau & Porcher 2010) with a deterioration CUSUM after competence.

    Parameters
    ----------
    successes : sequence of bool
    params : CusumParams
    h : float, optional
        Decision limit in failure units (default ``params.h1``).
    """
    outs = _check(successes)
    s = params.s
    limit = params.h1 if h is None else float(h)
    if not limit > 0:
        raise ParameterError("h", h, "a positive decision limit")
    chart = CusumChart("lc", params, limits={"h": limit})
    lc, watch, competent = 0.0, 0.0, False
    for i, ok in enumerate(outs):
        if not competent:
            lc = max(0.0, lc + (s if ok else -(1.0 - s)))
            chart.values.append(lc)
            if lc >= limit - 1e-12:
                competent, watch = True, 0.0
                chart.events.append((i, "competent"))
                chart.state = "competent"
        else:
            watch = max(0.0, watch + (-s if ok else 1.0 - s))
            chart.values.append(-watch)      # plotted downwards from the competence point
            if watch >= limit - 1e-12:
                competent, lc = False, 0.0
                chart.events.append((i, "relapse"))
                chart.state = "relapsed"
    return chart


def lc_false_signal_probability(params: CusumParams, h: float, n: int, p_fail: float | None = None) -> float:
    """Exact probability that the LC-CUSUM declares competence within ``n`` attempts when the
    true failure rate is ``p_fail`` (default ``p1``: a trainee who is not competent).

    Dynamic programming over the reachable values of the chart (no simulation).
    """
    q = params.p1 if p_fail is None else float(p_fail)
    s = params.s
    states = {0.0: 1.0}
    signalled = 0.0
    for _ in range(int(n)):
        nxt: dict[float, float] = {}
        for v, pr in states.items():
            for step, w in ((s, 1.0 - q), (-(1.0 - s), q)):
                t = max(0.0, v + step)
                if t >= h - 1e-9:
                    signalled += pr * w
                else:
                    key = round(t, 9)
                    nxt[key] = nxt.get(key, 0.0) + pr * w
        states = nxt
    return signalled
