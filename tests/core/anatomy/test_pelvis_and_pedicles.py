"""Published radiographic anatomy: pedicles inside the body outline on AP, iliac crests at the
intercristal line, the sacrum below L5 (docs/anatomy.md, "Pedicles" and "Pelvis")."""

from __future__ import annotations

import numpy as np
import pytest
from anatomy_support import TABLE_SIZE, cached

from trainer.core.anatomy.labels import Label

BODY = [Label.BODY_CORTEX, Label.CANCELLOUS, Label.BASIVERTEBRAL_VEIN]


def _axes(v):
    return v.grid.axis_mm("x"), v.grid.axis_mm("y"), v.grid.axis_mm("z")


@pytest.mark.parametrize("level", ["T8", "T9", "T10", "T11", "T12", "L1", "L2", "L3", "L4"])
@pytest.mark.parametrize("seed,jitter,slack_mm", [(3, 0.0, 0.0), (11, 0.1, 2.5)])
def test_pedicles_project_inside_the_body_outline_on_ap(level, seed, jitter, slack_mm):
    """On AP the pedicle ring (its inner cortical border, Robertson 2000 Spine 25:709) lies inside the
    body's silhouette: the outer wall at the isthmus reaches at most the pedicle cortex (1.5 mm)
    beyond it.  L5, whose pedicles project at the body's margin, is not held to it.  A jittered patient
    (widths +/- 10 % independently) may add ``slack_mm``."""
    p = cached(level=level, fracture_grade=0.0, jitter=jitter, size_scale=TABLE_SIZE, seed=seed)
    v, lm = p.volume, p.landmarks
    x, y, z = _axes(v)
    for ped, lab, s in ((lm.pedicle_left, Label.PEDICLE_LEFT, 1.0), (lm.pedicle_right, Label.PEDICLE_RIGHT, -1.0)):
        k = int(np.argmin(np.abs(z - ped.centre_mm[2])))
        j = int(np.argmin(np.abs(y - ped.centre_mm[1])))
        outer = np.max(s * x[v.labels[k, j] == lab])                   # pedicle's outer wall at the isthmus
        body_rows = np.isin(v.labels[k], BODY).any(axis=0)             # body silhouette in that AP row
        silhouette = np.max(s * x[body_rows])
        assert outer <= silhouette + 1.5 + 0.5 + slack_mm, (level, ped.side, outer, silhouette)
        # and the pedicle is not pushed into the canal: its medial wall stays at the interpedicular distance
        assert abs(s * ped.medial_wall_x_mm - 0.5 * lm.canal_width_mm) <= 1.0


def _crest_top_z(p):
    ctx = p.context[0]
    x, _, z = _axes(ctx)
    wings = (ctx.labels == Label.PELVIS) & (np.abs(x) > 70.0)[None, None, :]
    return float(z[np.nonzero(wings.any(axis=(1, 2)))[0].max()])


@pytest.mark.parametrize("sex", ["male", "female"])
def test_iliac_crests_lie_at_the_intercristal_line(sex):
    """Snider 2008 (Spine 33:E161): the intercristal line crosses the L4 body or its inferior endplate
    in men and the L5 body or its superior endplate in women (the population range: L4 inferior
    endplate to L5 superior endplate, radiopaedia 'intercristal line')."""
    p = cached(level="L4", fracture_grade=0.0, sex=sex, seed=5)
    lm = p.landmarks
    top = _crest_top_z(p)
    l4_bottom, l4_top = lm.inferior_endplate_z_mm, lm.superior_endplate_z_mm
    if sex == "male":       # L4 body or its inferior endplate
        assert l4_bottom - 3.0 <= top <= l4_top, (top, l4_bottom, l4_top)
    else:                   # below L4 (the L4-L5 disc at most) down to the L5 body (about 9 + 23 mm lower)
        assert l4_bottom - 9.3 - 23.0 <= top <= l4_bottom - 3.0, (top, l4_bottom)
    # both crests at the same height (a level pelvis) and well lateral (intercristal width 260-290 mm)
    ctx = p.context[0]
    x, _, z = _axes(ctx)
    wings = ctx.labels == Label.PELVIS
    left = wings & (x > 70.0)[None, None, :]
    right = wings & (x < -70.0)[None, None, :]
    zl = z[np.nonzero(left.any(axis=(1, 2)))[0].max()]
    zr = z[np.nonzero(right.any(axis=(1, 2)))[0].max()]
    assert zl == zr
    width = x[np.nonzero(wings.any(axis=(0, 1)))[0]]
    assert 230.0 <= width.max() - width.min() <= 320.0


def test_sacrum_lies_below_l5_with_alae_and_foramina():
    p = cached(level="L4", fracture_grade=0.0, seed=5)
    ctx = p.context[0]
    x, y, z = _axes(ctx)
    pelvis = ctx.labels == Label.PELVIS
    midline = pelvis & (np.abs(x) < 15.0)[None, None, :]
    zs = z[np.nonzero(midline.any(axis=(1, 2)))[0]]
    assert zs.size > 0
    # the L5 body (the next body below the L4 target, in the fine volume) lies above the sacral segments
    v = p.volume
    fx, fy, fz = _axes(v)
    col = ((v.labels == Label.ADJACENT_VERTEBRA) & (np.abs(fx) < 5.0)[None, None, :]
           & (np.abs(fy) < 5.0)[None, :, None])
    body_z = fz[np.nonzero(col.any(axis=(1, 2)))[0]]
    l5 = body_z[body_z < p.landmarks.inferior_endplate_z_mm]
    assert l5.size > 0
    assert zs.max() < l5.min()
    # the sacral base is wide (alae to about 50 mm either side of the midline)
    base = pelvis & (z > zs.max() - 25.0)[:, None, None]
    xs = x[np.nonzero(base.any(axis=(0, 1)))[0]]
    assert xs.max() >= 45.0 and xs.min() <= -45.0
    # sacral foramina: lucent holes in the AP projection of the sacrum lateral to the midline
    ap = pelvis.sum(axis=1)
    k = int(np.argmin(np.abs(z - (zs.max() - 20.0))))
    row = ap[k, (np.abs(x) > 10.0) & (np.abs(x) < 35.0)]
    assert row.min() < 0.6 * row.max()


def test_no_pelvis_without_the_lower_lumbar_spine():
    p = cached(level="T12", fracture_grade=0.0, seed=5)
    assert not (p.context[0].labels == Label.PELVIS).any()


def _rib_contacts(p, near_labels, z_lo, z_hi):
    """Rib voxels face-adjacent to any of ``near_labels`` with z in [z_lo, z_hi] (fine volume)."""
    lab = p.volume.labels
    _, _, z = _axes(p.volume)
    rib = lab == Label.RIB
    near = np.isin(lab, near_labels)
    touch = np.zeros_like(rib)
    for ax in range(3):
        for d in (1, -1):
            touch |= rib & np.roll(near, d, axis=ax)
    zz = z[np.nonzero(touch.any(axis=(1, 2)))[0]]
    return zz[(zz >= z_lo) & (zz <= z_hi)]


def test_rib_heads_sit_on_the_costovertebral_joints():
    """Rib 9 articulates with the T8 and T9 bodies at the disc between them (demifacets); rib 12 with
    its own body only, on its upper half (a single facet; Gray's Anatomy, costovertebral joints)."""
    t9 = cached(level="T9", fracture_grade=0.0, seed=5)
    lm = t9.landmarks
    body = [Label.BODY_CORTEX, Label.ADJACENT_VERTEBRA]
    at_disc_above = _rib_contacts(t9, [Label.DISC], lm.superior_endplate_z_mm - 1.0, lm.superior_endplate_z_mm + 8.0)
    assert at_disc_above.size > 0                                # rib 9's head in the T8/T9 disc space
    assert _rib_contacts(t9, body, lm.superior_endplate_z_mm - 4.0, lm.superior_endplate_z_mm + 8.0).size > 0
    t12 = cached(level="T12", fracture_grade=0.0, seed=5)
    lm = t12.landmarks
    mid, top = lm.body_centre_mm[2], lm.superior_endplate_z_mm
    on_body = _rib_contacts(t12, [Label.BODY_CORTEX], mid, top)
    assert on_body.size > 0                                      # rib 12's head on the upper half of T12
    assert _rib_contacts(t12, [Label.DISC], lm.inferior_endplate_z_mm - 10.0, top + 8.0).size == 0
    assert _rib_contacts(t12, [Label.BODY_CORTEX], lm.inferior_endplate_z_mm - 1.0, mid - 2.0).size == 0
