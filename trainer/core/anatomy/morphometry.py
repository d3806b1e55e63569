"""The vertebral level table (``assets/morphometry.csv``) and per-patient dimensions.

The table holds the documented defaults of FACTS.md section 1 ("Recommended simulator
defaults"); :func:`vertebra_dims` turns one row into the dimensions of one patient's
vertebra: scaled by sex and ``size_scale`` and jittered per dimension by a seeded factor
inside ``1 +/- jitter`` (FACTS.md 1.1: between-series spread exceeds any single SEM).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from trainer.core.errors import ParameterError

__all__ = ["LevelRow", "VertebraDims", "COLUMN_ORDER", "TABLE_PATH", "level_table", "level_row",
           "vertebra_dims", "SEX_SCALE", "neighbour_level"]

TABLE_PATH = Path(__file__).resolve().parents[3] / "assets" / "morphometry.csv"

#: Cranio-caudal order of every level the column can hold.
COLUMN_ORDER = tuple([f"T{i}" for i in range(1, 13)] + [f"L{i}" for i in range(1, 6)] + ["S1"])

#: Linear size factor by sex: males about 5 % larger than females (FACTS.md 1.2, Gilad & Nissan).
SEX_SCALE = {"female": 0.976, "male": 1.024}

#: Per-level shrink for levels above the table's first row (T7), extrapolated [D].
_UPWARD_SHRINK = 0.975

_LENGTHS = ("endplate_width_mm", "body_depth_mm", "posterior_height_mm", "pedicle_width_mm",
            "pedicle_height_mm", "canal_width_mm", "canal_depth_mm", "disc_below_mm", "tp_length_mm")


@dataclass(frozen=True)
class LevelRow:
    """One row of the level table (documented means; mm and degrees)."""

    level: str
    endplate_width_mm: float
    body_depth_mm: float
    posterior_height_mm: float
    wedge_female_deg: float
    wedge_male_deg: float
    pedicle_width_mm: float
    pedicle_height_mm: float
    medial_angle_deg: float
    sagittal_angle_deg: float
    canal_width_mm: float
    canal_depth_mm: float
    disc_below_mm: float
    tp_length_mm: float
    spinous_angle_deg: float
    role: str


@dataclass(frozen=True)
class VertebraDims:
    """Dimensions of one patient's vertebra (mm, deg), intact (before any fracture).

    ``anterior_height_mm`` follows from the posterior height, the depth and the sex's
    wedge angle: ``posterior - depth * tan(wedge)``.
    """

    level: str
    endplate_width_mm: float
    body_depth_mm: float
    posterior_height_mm: float
    anterior_height_mm: float
    wedge_deg: float
    pedicle_width_mm: float
    pedicle_height_mm: float
    medial_angle_deg: float
    sagittal_angle_deg: float
    canal_width_mm: float
    canal_depth_mm: float
    disc_below_mm: float
    tp_length_mm: float
    spinous_angle_deg: float
    thoracic: bool
    scale: float              #: the overall linear factor applied (sex x size x jitter not included)

    @property
    def mean_height_mm(self) -> float:
        return 0.5 * (self.posterior_height_mm + self.anterior_height_mm)


@lru_cache(maxsize=4)
def _read_table(path: str) -> dict[str, LevelRow]:
    rows: dict[str, LevelRow] = {}
    with open(path, newline="") as fh:
        lines = [ln for ln in fh if not ln.lstrip().startswith("#") and ln.strip()]
    reader = csv.DictReader(lines)
    for lineno, rec in enumerate(reader, start=2):
        kw: dict[str, Any] = {}
        for f in fields(LevelRow):
            raw = rec.get(f.name)
            if raw is None:
                raise ParameterError(f.name, None, "a column of the level table", source=path)
            if f.name in ("level", "role"):
                kw[f.name] = raw.strip()
            else:
                try:
                    kw[f.name] = float(raw)
                except ValueError:
                    raise ParameterError(f.name, raw, "a number", source=f"{path} row {lineno}") from None
        rows[kw["level"]] = LevelRow(**kw)
    return rows


def level_table(path: str | Path | None = None) -> dict[str, LevelRow]:
    """All rows of the level table keyed by level name (T7 and S1 are neighbour-only rows)."""
    return _read_table(str(path or TABLE_PATH))


def level_row(level: str) -> LevelRow:
    """The table row of ``level``; levels above T7 are extrapolated from T7 (shrunk 2.5 % per level)."""
    table = level_table()
    if level in table:
        return table[level]
    if level not in COLUMN_ORDER:
        raise ParameterError("level", level, f"one of {', '.join(COLUMN_ORDER)}")
    top = table["T7"]
    k = COLUMN_ORDER.index("T7") - COLUMN_ORDER.index(level)
    if k <= 0:
        raise ParameterError("level", level, "a level from T1 to S1")
    f = _UPWARD_SHRINK ** k
    return replace(top, level=level, role="extrapolated",
                   **{n: getattr(top, n) * f for n in _LENGTHS})


def neighbour_level(level: str, step: int) -> str | None:
    """The level ``step`` positions caudal (+) or cranial (-) of ``level``; None past T1 or S1."""
    i = COLUMN_ORDER.index(level) + step
    if 0 <= i < len(COLUMN_ORDER):
        return COLUMN_ORDER[i]
    return None


def vertebra_dims(level: str, sex: str, size_scale: float, jitter: float,
                  rng: np.random.Generator | None) -> VertebraDims:
    """One patient's vertebra at ``level``.

    Parameters
    ----------
    level : str
        ``T1`` .. ``S1``.
    sex : str
        ``female`` or ``male``: linear factor :data:`SEX_SCALE` and the sex's wedge angle.
    size_scale : float
        Overall linear factor (1 = table means).
    jitter : float
        Relative spread; each length is multiplied by ``1 + jitter * u`` with ``u`` a clipped
        normal in ``[-1, 1]`` (SD 0.5), drawn from ``rng`` in a fixed order.
    rng : numpy.random.Generator or None
        None (or ``jitter == 0``) gives the table values exactly (times the scales).

    Returns
    -------
    VertebraDims
    """
    row = level_row(level)
    s = SEX_SCALE[sex] * float(size_scale)
    n_len = len(_LENGTHS)
    if rng is not None:
        u = np.clip(rng.normal(0.0, 0.5, size=n_len + 2), -1.0, 1.0)
    else:
        u = np.zeros(n_len + 2)
    if jitter == 0:
        u = np.zeros_like(u)
    fac = {n: s * (1.0 + jitter * u[i]) for i, n in enumerate(_LENGTHS)}
    vals = {n: getattr(row, n) * fac[n] for n in _LENGTHS}
    wedge = row.wedge_male_deg if sex == "male" else row.wedge_female_deg
    medial = row.medial_angle_deg * (1.0 + jitter * u[n_len])
    ant_h = vals["posterior_height_mm"] - vals["body_depth_mm"] * np.tan(np.radians(wedge))
    return VertebraDims(
        level=level,
        endplate_width_mm=vals["endplate_width_mm"],
        body_depth_mm=vals["body_depth_mm"],
        posterior_height_mm=vals["posterior_height_mm"],
        anterior_height_mm=float(ant_h),
        wedge_deg=float(wedge),
        pedicle_width_mm=vals["pedicle_width_mm"],
        pedicle_height_mm=vals["pedicle_height_mm"],
        medial_angle_deg=float(medial),
        sagittal_angle_deg=float(row.sagittal_angle_deg),
        canal_width_mm=vals["canal_width_mm"],
        canal_depth_mm=vals["canal_depth_mm"],
        disc_below_mm=vals["disc_below_mm"],
        tp_length_mm=vals["tp_length_mm"],
        spinous_angle_deg=float(row.spinous_angle_deg),
        thoracic=level.startswith("T"),
        scale=s,
    )
