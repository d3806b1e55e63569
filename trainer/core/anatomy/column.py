"""The spinal column around the target: stacking vertebrae and discs along z.

The target body's fractured middle sits at z = 0 (the patient origin).  Neighbours are
stacked with the disc between them: the gap at the posterior rim is the mid-disc height
of the level table minus the two endplate concavities (FACTS.md 1.2 and 1.4), so the
measured mid-disc height is about the table's.  The column is straight (no lordosis or
kyphosis) - a simplification noted in docs/anatomy.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.core.anatomy.body import INFERIOR_CONCAVITY_MM, SUPERIOR_CONCAVITY_MM, BodyShape
from trainer.core.anatomy.morphometry import COLUMN_ORDER, neighbour_level, vertebra_dims
from trainer.core.anatomy.params import AnatomyParams
from trainer.core.anatomy.vertebra import Vertebra

__all__ = ["Column", "build_column", "disc_gap_mm"]

_MAX_NEIGHBOURS = 8


def disc_gap_mm(mid_disc_mm: float) -> float:
    """Rim-to-rim gap giving a mid-disc height of ``mid_disc_mm`` between concave endplates."""
    return max(mid_disc_mm - SUPERIOR_CONCAVITY_MM - INFERIOR_CONCAVITY_MM, 0.5 * mid_disc_mm)


@dataclass
class Column:
    """Vertebrae from cranial to caudal; ``target_index`` points at the target."""

    vertebrae: list
    target_index: int
    tilt_rad: float = 0.0          #: forward tilt of the vertebrae above the target (kyphosis)
    tilt_pivot_yz: tuple = (0.0, 0.0)

    @property
    def target(self) -> Vertebra:
        return self.vertebrae[self.target_index]

    def above(self, k: int = 1):
        i = self.target_index - k
        return self.vertebrae[i] if i >= 0 else None

    def below(self, k: int = 1):
        i = self.target_index + k
        return self.vertebrae[i] if i < len(self.vertebrae) else None

    def is_tilted(self, v) -> bool:
        """Whether ``v`` lies above the target (and so is tilted with the column)."""
        i = next(k for k, w in enumerate(self.vertebrae) if w is v)
        return self.tilt_rad != 0.0 and i < self.target_index

    def discs(self):
        """Consecutive (upper, lower) pairs."""
        return list(zip(self.vertebrae[:-1], self.vertebrae[1:]))


def build_column(params: AnatomyParams, rngs, z_extent_mm: float = 110.0) -> Column:
    """Stack the target and its neighbours until ``z_extent_mm`` above and below.

    Parameters
    ----------
    params : AnatomyParams
    rngs : sequence of numpy.random.Generator
        ``rngs[0]`` jitters the target; ``rngs[k]`` the k-th neighbour above (odd k = 2i-1)
        and below (even k = 2i), so the target never depends on the column's length.
    """
    def dims(level, k):
        return vertebra_dims(level, params.sex, params.size_scale, params.jitter, rngs[k])

    loss = params.height_loss if params.fracture_grade > 0 else 0.0
    td = dims(params.level, 0)
    body = BodyShape(td, 0.0, params.morphology if loss > 0 else None, loss)
    body = BodyShape(td, -body.middle_local_z(), body.morphology, loss)
    up_levels, down_levels = [], []
    # above
    upper_bodies = []
    prev = body
    for i in range(1, _MAX_NEIGHBOURS + 1):
        lvl = neighbour_level(params.level, -i)
        if lvl is None:
            break
        d = dims(lvl, 2 * i - 1)
        yb = 0.5 * prev.dims.body_depth_mm - 0.5
        top_prev = float(prev.top(np.float64(0.0), np.float64(yb)))
        probe = BodyShape(d, 0.0)
        bot_local = float(probe.surfaces_local(np.float64(0.0), np.float64(0.5 * d.body_depth_mm - 0.5))[1])
        zc = top_prev + disc_gap_mm(d.disc_below_mm) - bot_local
        nb = BodyShape(d, zc)
        upper_bodies.append(nb)
        up_levels.append(lvl)
        prev = nb
        if nb.z_range()[0] > z_extent_mm:
            break
    lower_bodies = []
    prev = body
    for i in range(1, _MAX_NEIGHBOURS + 1):
        lvl = neighbour_level(params.level, i)
        if lvl is None:
            break
        d = dims(lvl, 2 * i)
        yb = 0.5 * prev.dims.body_depth_mm - 0.5
        bot_prev = float(prev.bottom(np.float64(0.0), np.float64(yb)))
        probe = BodyShape(d, 0.0)
        top_local = float(probe.surfaces_local(np.float64(0.0), np.float64(0.5 * d.body_depth_mm - 0.5))[0])
        zc = bot_prev - disc_gap_mm(prev.dims.disc_below_mm) - top_local
        nb = BodyShape(d, zc)
        lower_bodies.append(nb)
        down_levels.append(lvl)
        prev = nb
        if nb.z_range()[1] < -z_extent_mm or lvl == COLUMN_ORDER[-1]:
            break
    bodies = list(reversed(upper_bodies)) + [body] + lower_bodies
    verts = []
    for i, b in enumerate(bodies):
        disc_above = bodies[i - 1].dims.disc_below_mm if i > 0 else b.dims.disc_below_mm
        verts.append(Vertebra(b, disc_above, target=(b is body)))
    tilt, pivot = 0.0, (0.0, 0.0)
    if loss > 0 and params.morphology == "wedge":
        # the column above follows the collapsed superior endplate: it rotates forward about the
        # body's posterior-superior corner by the angle the endplate lost
        tilt = float(np.arctan2(loss * td.anterior_height_mm, td.body_depth_mm))
        yb = 0.5 * td.body_depth_mm
        pivot = (yb, float(body.top(np.float64(0.0), np.float64(yb - 0.5))))
    return Column(verts, len(upper_bodies), tilt, pivot)
