"""Parameters of the synthetic patient, validated on construction.

Every bad value raises :class:`trainer.core.errors.ParameterError` naming the
parameter, the value and the allowed range.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from trainer.core.errors import ParameterError

__all__ = ["LEVELS", "GRADES", "MORPHOLOGIES", "AnatomyParams", "default_height_loss", "level_from_text",
           "modelled_span"]

LEVELS = ("T8", "T9", "T10", "T11", "T12", "L1", "L2", "L3", "L4", "L5")

GRADES = (0.0, 0.5, 1.0, 2.0, 3.0)
MORPHOLOGIES = ("wedge", "biconcave", "crush")
SEXES = ("female", "male")


def level_from_text(text: str) -> str:
    """The level ``text`` names, case-insensitively (``"l1"`` -> ``"L1"``).

    Only the letter case is forgiven: ``"T13"``, ``"L 1"`` or ``" T12"`` come back unchanged, for the
    caller's one-line refusal naming :data:`LEVELS`.
    """
    up = text.upper() if isinstance(text, str) else text
    return up if up in LEVELS else text


def modelled_span(levels) -> str:
    """The levels of ``levels`` (top to bottom, e.g. a series' numbering) that are in :data:`LEVELS`, as a
    span: ``"T8 to T12"`` for C7-T12, ``"T12"`` for one, ``""`` for none.

    Parameters
    ----------
    levels : iterable of str
        Level names in cranio-caudal order ("C7", "T1", ... "S1").

    Returns
    -------
    str
        The first and last modelled level joined by " to ", the one, or "".
    """
    ours = [lv for lv in levels if lv in LEVELS]
    return "" if not ours else ours[0] if len(ours) == 1 else f"{ours[0]} to {ours[-1]}"


#: Height loss used when a scenario gives only the Genant grade: the middle of each
#: grade's band (FACTS.md 1.6; grade 2 preset = 30 % per "Recommended simulator defaults").
_DEFAULT_LOSS = {0.0: 0.0, 0.5: 0.15, 1.0: 0.22, 2.0: 0.30, 3.0: 0.45}
#: Genant bands of height loss (fraction), inclusive (FACTS.md 1.6).
GRADE_BANDS = {0.0: (0.0, 0.20), 0.5: (0.0, 0.20), 1.0: (0.20, 0.25), 2.0: (0.25, 0.40), 3.0: (0.40, 0.60)}


def default_height_loss(grade: float) -> float:
    """Fractional height loss for a Genant grade (0 to 3)."""
    return _DEFAULT_LOSS[float(grade)]


@dataclass(frozen=True)
class AnatomyParams:
    """Everything that shapes one synthetic patient.

    Parameters
    ----------
    level : str
        Target vertebra, ``T8`` to ``L5``.
    sex : str
        ``female`` or ``male`` (males about 5 % larger, FACTS.md 1.2 Gilad & Nissan).
    size_scale : float
        Overall size factor, 0.8 to 1.2.
    trabecular_hu : float
        Mean HU of the cancellous core, 40 to 300 (healthy about 230, osteoporotic 80-110).
    cortical_hu : float
        Mean HU of the cortical shell, 700 to 1800 (documented 1000-1500).
    fracture_grade : float
        Genant grade: 0, 0.5, 1, 2 or 3.
    morphology : str
        ``wedge`` (anterior height lost), ``biconcave`` (middle) or ``crush`` (whole body).
    height_loss_fraction : float or None
        Height loss as a fraction; ``None`` takes the middle of the grade's band.
    cleft, endplate_crack, posterior_wall_defect : bool
        Optional fracture features that later change how cement leaks.
    basivertebral_vein_scale, segmental_vein_scale : float
        Vein calibre relative to normal, 0.5 to 3.
    posterior_soft_tissue_mm : float
        Skin to lamina distance at the midline, 20 to 120 mm (body habitus).
    jitter : float
        Relative spread of the seeded per-dimension jitter, 0 to 0.2 (default 0.1).
    seed : int
        Seed of the patient's random generator (0 to 2**32-1).
    voxel_mm : float
        Fine-grid voxel size, 0.25 to 2 mm (default 0.5).
    """

    level: str = "L1"
    sex: str = "female"
    size_scale: float = 1.0
    trabecular_hu: float = 95.0
    cortical_hu: float = 1200.0
    fracture_grade: float = 2.0
    morphology: str = "wedge"
    height_loss_fraction: float | None = None
    cleft: bool = False
    endplate_crack: bool = False
    posterior_wall_defect: bool = False
    basivertebral_vein_scale: float = 1.0
    segmental_vein_scale: float = 1.0
    posterior_soft_tissue_mm: float = 45.0
    jitter: float = 0.1
    seed: int = 0
    voxel_mm: float = 0.5

    def __post_init__(self):
        def rng_check(name, lo, hi):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (lo <= float(v) <= hi):
                raise ParameterError(name, v, f"a number from {lo} to {hi}")

        if self.level not in LEVELS:
            raise ParameterError("level", self.level, f"one of {', '.join(LEVELS)}")
        if self.sex not in SEXES:
            raise ParameterError("sex", self.sex, "'female' or 'male'")
        if self.morphology not in MORPHOLOGIES:
            raise ParameterError("morphology", self.morphology, "'wedge', 'biconcave' or 'crush'")
        g = self.fracture_grade
        if isinstance(g, bool) or not isinstance(g, (int, float)) or float(g) not in GRADES:
            raise ParameterError("fracture_grade", g, "a Genant grade: 0, 0.5, 1, 2 or 3")
        rng_check("size_scale", 0.8, 1.2)
        rng_check("trabecular_hu", 40, 300)
        rng_check("cortical_hu", 700, 1800)
        rng_check("basivertebral_vein_scale", 0.5, 3.0)
        rng_check("segmental_vein_scale", 0.5, 3.0)
        rng_check("posterior_soft_tissue_mm", 20, 120)
        rng_check("jitter", 0.0, 0.2)
        rng_check("voxel_mm", 0.25, 2.0)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not (0 <= self.seed < 2**32):
            raise ParameterError("seed", self.seed, "an integer from 0 to 4294967295")
        if self.height_loss_fraction is not None:
            lo, hi = GRADE_BANDS[float(g)]
            v = self.height_loss_fraction
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (lo <= v <= hi):
                raise ParameterError("height_loss_fraction", v,
                                     f"{lo} to {hi} for Genant grade {g:g} (FACTS.md 1.6)")
        for f in ("cleft", "endplate_crack", "posterior_wall_defect"):
            if not isinstance(getattr(self, f), bool):
                raise ParameterError(f, getattr(self, f), "true or false")

    @property
    def height_loss(self) -> float:
        """Effective fractional height loss (0 for an intact vertebra)."""
        if self.height_loss_fraction is not None:
            return float(self.height_loss_fraction)
        return default_height_loss(self.fracture_grade)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}
