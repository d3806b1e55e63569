"""Published pedicle morphometry per level, T8-L5: the independent oracle the reference's pedicle
masks are held against (tests/realct/realct_reference.py, :func:`realct_reference.pedicle_mask_shape`).

Every number is one the project already cites, with its source and evidence tag, in
/work/shared/FACTS.md sections 1.2 and 1.3 (``[P]`` primary, ``[S]`` secondary, ``[NV]`` not verified);
the level table's values (assets/morphometry.csv) are shown for comparison only, never used as a bound.
Widths are transverse outer-cortex widths at the isthmus; heights its vertical (sagittal) extent.

*Range*: the union over the series listed for a level of mean +- 2 SD (mm).  Where no series gives
a mean and SD for the level (T8-T11), the range is the envelope of Kaur 2016's CT series, whose
width falls to its minimum, 4.5 +- 0.93 mm at T4, and rises to 8.31 +- 1.83 at T12 (FACTS.md 1.3),
so every level between lies within 4.5 - 2 x 0.93 to 8.31 + 2 x 1.83 mm.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Series:
    """One published series' value at one level (mm)."""

    mean_mm: float
    sd_mm: float | None      #: None where the source gives no SD (a mean or a range only)
    source: str


#: transverse pedicle width per level (mm); FACTS.md 1.2 (lumbar) and 1.3 (thoracic)
WIDTH_SERIES: dict[str, tuple[Series, ...]] = {
    "T8": (), "T9": (), "T10": (),
    "T11": (Series(9.75, None, "Panjabi 1991 Table 5, R 8.8 / L 10.7, SEM only [S]"),),
    "T12": (Series(8.31, 1.83, "Kaur 2016, Indian CT [P]"),
            Series(8.7, None, "Panjabi 1991 Table 5, R 8.8 / L 8.6, SEM only [S]")),
    "L1": (Series(8.7, 2.3, "Zindrick 1987 [S]"), Series(6.4, 1.6, "Lien 2007 [S]")),
    "L2": (Series(8.9, 2.2, "Zindrick 1987 [S]"), Series(7.4, 1.7, "Lien 2007 [S]")),
    "L3": (Series(10.3, 2.6, "Zindrick 1987 [S]"), Series(9.3, 1.9, "Lien 2007 [S]")),
    "L4": (Series(12.9, 2.1, "Zindrick 1987 [S]"), Series(11.6, 2.1, "Lien 2007 [S]")),
    "L5": (Series(16.1, 2.3, "Int J Spine Surg 15(6):1072 Table 6, CT, n 196 [P]"),
           Series(18.0, 4.1, "Zindrick 1987 [S]"), Series(17.5, 2.6, "Lien 2007 [S]")),
}

#: Kaur 2016's thoracic envelope (FACTS.md 1.3): the T4 minimum and the T12 value, mean and SD (mm)
KAUR_T4_MM, KAUR_T4_SD_MM = 4.5, 0.93
KAUR_T12_MM, KAUR_T12_SD_MM = 8.31, 1.83

#: pedicle height per level (mm): a range where the source gives one, else mean +- 2 SD
HEIGHT_RANGE_MM: dict[str, tuple[float, float, str]] = {
    **dict.fromkeys(("T8", "T9", "T10"), (8.6, 13.7, "Lien 2007 safe-zone height T1-T10 [P]")),
    **dict.fromkeys(("T11", "T12", "L1", "L2", "L3", "L4"),
                    (13.4, 16.7, "Lien 2007 safe-zone height T11-L5 13.9-16.7 [P]; Singh 2013 L1 14.6 to L4 13.4 [P]")),
    "L5": (12.9 - 2 * 1.9, 12.9 + 2 * 1.9, "Int J Spine Surg 15(6):1072 Table 6, 12.9 +- 1.9 [P]"),
}


def width_range_mm(level: str) -> tuple[float, float]:
    """The published range of the transverse pedicle width at ``level`` (mm; module docstring)."""
    with_sd = [s for s in WIDTH_SERIES[level] if s.sd_mm is not None]
    if not with_sd:
        return KAUR_T4_MM - 2 * KAUR_T4_SD_MM, KAUR_T12_MM + 2 * KAUR_T12_SD_MM
    return (min(s.mean_mm - 2 * s.sd_mm for s in with_sd), max(s.mean_mm + 2 * s.sd_mm for s in with_sd))
