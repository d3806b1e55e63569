"""Words for where the trocar tip is: the zone of the vertebral body, for the trainee's panel.

The panel names the zone the way an attending would say it on the lateral and AP views:
the posterior, middle or anterior third of the body depth, near the midline or not, and
"in the basivertebral venous region" when the tip sits in the basivertebral vein's
territory (a normal place for a central target, so it is said, not alarmed).  The level
tells the panel how to colour it: ``'target'`` in the target zone (FACTS.md 2: anterior
third, 0.67-0.90 of the depth), ``'near'`` in the front of the middle third (seed: front of
the middle third), ``'on the way'`` elsewhere inside bone and in the body's cortex from the middle of its depth on,
``'caution'`` in the disc,
outside the spine or another vertebra, and ``'danger'`` only in the canal, a foramen,
lung, or through the anterior cortex.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.core.anatomy.landmarks import Landmarks
from trainer.core.scoring.metric import tissue_class

__all__ = ["TipZone", "tip_zone", "shown_fraction", "MIDLINE_MM", "TARGET_DEPTH", "NEAR_DEPTH"]

#: Within this distance of the midline on AP the tip is "near the midline" (FACTS.md 2: +/-5 mm, unipedicular).
MIDLINE_MM = 5.0
#: The target zone in depth fractions (FACTS.md 2: 0.10-0.33 from the anterior cortex).
TARGET_DEPTH = (0.67, 0.90)
#: The front of the middle third (seeds/000_10316454a5df9267.txt) up to the target zone.
NEAR_DEPTH = (0.50, 0.67)

_BODY_TISSUES = ("cancellous", "body cortex", "cortex", "cleft", "basivertebral vein")
#: body tissues that are the body's shell (its walls and endplates), not the cancellous bone cement fills
_CORTEX_TISSUES = ("body cortex", "cortex")


@dataclass(frozen=True)
class TipZone:
    """Where the tip is, in words and as a colour level."""

    text: str
    level: str                      #: 'target', 'near', 'on the way', 'caution' or 'danger'
    depth_fraction: float | None = None
    third: str | None = None        #: 'posterior third', 'middle third', 'anterior third'
    near_midline: bool = False
    basivertebral: bool = False


def shown_fraction(df: float) -> str:
    """``df`` (the depth fraction) to two decimals as the panel writes it, never rounded across a band's edge.

    The target band is 0.67-0.90 and the near band starts at 0.50; a tip at 0.665 read "middle third of the body
    (0.67)" beside the hint "bring it to 0.67-0.90" (round 42's first-use walk, the L1 wedge), as if it were there.
    A fraction below an edge that rounds up to it is written one hundredth under it (0.66), one above 0.90 that
    rounds down to it one hundredth over (0.91).

    Parameters
    ----------
    df : float
        Depth fraction, 0 at the posterior wall and 1 at the anterior wall.

    Returns
    -------
    str
        Two decimals, e.g. "0.66".
    """
    shown = round(df, 2)
    for edge in (NEAR_DEPTH[0], TARGET_DEPTH[0]):
        if df < edge <= shown:
            shown = edge - 0.01
    if df > TARGET_DEPTH[1] >= shown:
        shown = TARGET_DEPTH[1] + 0.01
    return f"{shown:.2f}"


def _third(df: float) -> str:
    return "posterior third" if df < 1 / 3 else "middle third" if df < 2 / 3 else "anterior third"


def tip_zone(landmarks: Landmarks, tip_mm, tissue: str | None) -> TipZone:
    """Name the zone of the tip at ``tip_mm`` (x, y, z mm) in tissue ``tissue``.

    Parameters
    ----------
    landmarks : Landmarks
        The target vertebra (depth fraction 0 at the posterior wall, 1 at the anterior wall).
    tip_mm : sequence of 3 float
    tissue : str
        The tissue name under the tip (``'cancellous'``, ``'basivertebral_vein'``, ``'canal'``...).

    Returns
    -------
    TipZone
    """
    name = str(tissue or "outside").replace("_", " ")
    cls = tissue_class(name)
    if cls == "canal":
        return TipZone("in the spinal canal", "danger")
    if cls == "foramen":
        return TipZone("in a neural foramen", "danger")
    if name == "lung":
        return TipZone("in the lung", "danger")
    x, y = float(tip_mm[0]), float(tip_mm[1])
    df = float(landmarks.depth_fraction(y))
    if df > 1.0 and name not in _BODY_TISSUES:
        return TipZone("through the anterior cortex", "danger", df)
    if name not in _BODY_TISSUES:
        level = "caution" if cls in ("disc", "outside") or name in ("adjacent vertebra", "rib") else "on the way"
        # the label's "pedicle left" read "tip: in the pedicle left" in the trocar panel (round 39's first use)
        shown = " ".join(reversed(name.split())) if name in ("pedicle left", "pedicle right") else name
        return TipZone(f"in the {shown}" if cls != "outside" else "outside the body", level)
    third = _third(min(max(df, 0.0), 0.999))
    off = abs(x - float(landmarks.body_centre_mm[0]))
    near = off <= MIDLINE_MM
    bv = name == "basivertebral vein"
    # the posterior wall's cortex is on the way in; from the middle of the body on, cortex is a wall or an endplate
    in_cortex = name in _CORTEX_TISSUES and df >= NEAR_DEPTH[0]
    parts = [f"{third} of the body ({shown_fraction(df)})", "near the midline" if near else f"{off:.0f} mm from the midline"]
    if bv:
        parts.append("in the basivertebral venous region")
    if in_cortex:
        # the hand feels cortex, and the guide colours it amber; until round 44 a tip in the body's wall or endplate
        # at 0.75 read green "anterior third of the body" (the walk on the abdominal L3: 0.03 mL went in, to the disc)
        parts.insert(1, "in its cortex (a wall or an endplate)")
        level = "on the way"
    elif TARGET_DEPTH[0] <= df <= TARGET_DEPTH[1]:
        level = "target"
    elif NEAR_DEPTH[0] <= df < TARGET_DEPTH[0] or df > TARGET_DEPTH[1]:
        level = "near"
    else:
        level = "on the way"
    return TipZone(", ".join(parts), level, df, third, near, bv)
