"""Leak bookkeeping: extra-osseous cement grouped by type and region, with visibility.

Types (FACTS.md 4, Yeom 2003 and the extended scheme): ``'B'`` basivertebral vein,
``'S'`` segmental vein, ``'C'`` cortical defect (cement on or just outside the cortex),
``'D'`` disc, ``'canal'``, ``'foramen'``, ``'paravertebral'``.  The type says where the
cement ends up: cement in the canal outline or a foramen is a canal/foramen leak whatever
path it took, and its ``route`` names the vein it came through (a basivertebral leak
that reaches the epidural space is both: ``kinds == ('canal', 'B')``).  A leak is reported once
its volume reaches ``min_report_ml``; smaller amounts still count in ``leaked_ml``.
Venous cement that has travelled ``pe_distance_mm`` beyond the body (or to the edge of
the modelled region) has left the vertebra: a pulmonary-embolism risk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Leak", "LeakBook"]


@dataclass(frozen=True)
class Leak:
    """One leak as it stands now.

    Attributes
    ----------
    type : str
        ``'B'``, ``'S'``, ``'C'``, ``'D'``, ``'canal'``, ``'foramen'`` or ``'paravertebral'``.
    region : str
        Where, e.g. ``'left segmental vein'``, ``'superior disc'``.
    volume_ml : float
    first_t_s : float
        Simulated time when it reached the reporting threshold (s).
    pe_risk : bool
        Venous cement has left the vertebra.
    visible : bool
        It was large enough to see on at least one shot taken since it appeared.
    seen_on : tuple of str
        The views (``'ap'``, ``'lateral'``, ``'oblique'``) it was visible on.
    route : str or None
        ``'B'`` or ``'S'`` when the cement came through that vein, else None.
    """

    type: str
    region: str
    volume_ml: float
    first_t_s: float
    pe_risk: bool
    visible: bool = False
    seen_on: tuple = ()
    route: str | None = None

    @property
    def venous(self) -> bool:
        """The cement is in, or came through, a vein."""
        return self.type in ("B", "S") or self.route is not None

    @property
    def neural(self) -> bool:
        """Cement in the canal or a foramen (critical, FACTS 4)."""
        return self.type in ("canal", "foramen")

    @property
    def kinds(self) -> tuple:
        """Every type this leak counts as: where it is, then the vein it came through."""
        return (self.type,) if self.route in (None, self.type) else (self.type, self.route)

    def to_json(self) -> dict:
        return {"type": self.type, "region": self.region, "volume_ml": round(self.volume_ml, 4),
                "first_t_s": round(float(self.first_t_s), 3), "pe_risk": bool(self.pe_risk),
                "visible": bool(self.visible), "seen_on": list(self.seen_on), "route": self.route}


class LeakBook:
    """Running leak volumes per (type, region) code of a :class:`~.domain.CementDomain`.

    Parameters
    ----------
    table : list of (type, region, route)
        The domain's ``leak_table``.
    leak_cfg : dict
        ``[leaks]`` table of the asset file.
    """

    def __init__(self, table, leak_cfg: dict):
        self.table = list(table)
        n = len(self.table)
        self.cfg = leak_cfg
        self.volume_mm3 = np.zeros(n, np.float64)
        self.first_t_s: list[float | None] = [None] * n
        self.pe = [False] * n
        self.seen: list[set] = [set() for _ in range(n)]
        self.min_mm3 = 1000.0 * float(leak_cfg["min_report_ml"])

    def add(self, codes: np.ndarray, added_mm3: np.ndarray, far: np.ndarray, t_s: float) -> list[int]:
        """Book one step's extra-osseous cement; returns the codes that became reportable."""
        if codes.size == 0:
            return []
        n = len(self.table)
        before = self.volume_mm3 >= self.min_mm3
        self.volume_mm3 += np.bincount(codes, weights=added_mm3, minlength=n)
        for c in np.unique(codes[far]).tolist():
            if self.table[c][2] is not None:          # venous cement that has left the vertebra
                self.pe[c] = True
        after = self.volume_mm3 >= self.min_mm3
        new = np.nonzero(after & ~before)[0].tolist()
        for c in new:
            self.first_t_s[c] = float(t_s)
        return new

    def leak(self, c: int) -> Leak:
        kind, region, route = self.table[c]
        seen = tuple(sorted(self.seen[c]))
        first_t_s = self.first_t_s[c]
        assert first_t_s is not None, "a leak is booked when its first cement arrives"
        return Leak(kind, region, float(self.volume_mm3[c]) / 1000.0, float(first_t_s),
                    bool(self.pe[c]), bool(seen), seen, route)

    def leaks(self) -> list[Leak]:
        """Reported leaks, ordered by first time then type."""
        codes = [c for c in range(len(self.table)) if self.first_t_s[c] is not None]
        codes.sort(key=lambda c: (self.first_t_s[c], self.table[c][:2]))
        return [self.leak(c) for c in codes]

    def mark_visible(self, view: str) -> list[Leak]:
        """Mark the leaks large enough to see on a shot in ``view``; returns the newly seen ones."""
        limits = self.cfg["visible_min_ml"].get(view)
        if limits is None:
            raise ValueError(f"view must be 'ap', 'lateral' or 'oblique'; got {view!r}")
        newly = []
        for c in range(len(self.table)):
            if self.first_t_s[c] is None or view in self.seen[c]:
                continue
            if self.volume_mm3[c] / 1000.0 >= float(limits[self.table[c][0]]):
                first = not self.seen[c]
                self.seen[c].add(view)
                if first:
                    newly.append(self.leak(c))
        return newly
