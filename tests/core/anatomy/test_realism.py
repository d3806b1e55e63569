"""Shapes that make the radiographs read right: diaphragm domes, dense posterior elements,
waisted bodies, lung off the transpedicular path, bowel gas (docs/anatomy.md, "Shapes")."""

from __future__ import annotations

import numpy as np
from anatomy_support import cached

from trainer.core.anatomy.labels import Label, body_mask


def _axes(vol):
    return [vol.grid.axis_mm(a) for a in "xyz"]


def _label_at(patient, pt):
    """Label at a point: the fine volume inside its box, else the context."""
    for vol in (patient.volume, patient.context[0]):
        k, j, i = np.rint(vol.grid.mm_to_index(pt)).astype(int)
        sh = vol.labels.shape
        if 0 <= k < sh[0] and 0 <= j < sh[1] and 0 <= i < sh[2]:
            lab = int(vol.labels[k, j, i])
            if lab != Label.AIR or vol is patient.context[0]:
                return lab
    return int(Label.AIR)


def test_lung_base_is_a_dome_highest_in_front_and_lowest_in_the_posterior_recess(default_patient):
    ctx = default_patient.context[0]
    x, y, z = _axes(ctx)
    # lung path length along a lateral ray (x) at every (z, y); the lung base a lateral view
    # shows is the lowest z with at least 40 mm of lung, per y
    path = (ctx.labels == Label.LUNG).sum(axis=2) * ctx.grid.spacing_xyz_mm[0]
    js = [j for j in range(y.size) if (path[:, j] >= 40.0).any()]
    ys = y[js]
    base = np.array([z[np.flatnonzero(path[:, j] >= 40.0)[0]] for j in js])
    back = base[ys > ys.max() - 20].min()
    top = base.max()
    y_top = ys[np.argmax(base)]
    assert ys.min() + 10 < y_top < ys.max() - 40          # the dome's top lies in front, not at an edge
    assert top - back > 35.0                               # steep posterior fall to the recess
    # curved, not a plane: the base is far from the straight line joining its two ends
    line = np.interp(ys, [ys[0], ys[-1]], [base[0], base[-1]])
    assert np.max(np.abs(base - line)) > 15.0
    # the posterior recess reaches down to about the T12/L1 disc, the top stays above T12
    lm = default_patient.landmarks
    assert lm.superior_endplate_z_mm - 5.0 < back < lm.superior_endplate_z_mm + 25.0
    assert top > lm.superior_endplate_z_mm + 40.0


def test_no_lung_in_front_of_the_lumbar_spine(default_patient):
    ctx = default_patient.context[0]
    x, y, z = _axes(ctx)
    lm = default_patient.landmarks
    lung = ctx.labels == Label.LUNG
    front = (y[None, :, None] < lm.anterior_wall_y_mm - 5.0) & (np.abs(x)[None, None, :] < 60.0)
    low = z[:, None, None] < lm.superior_endplate_z_mm + 25.0
    assert not (lung & front & low).any()


def test_the_right_hemidiaphragm_is_higher_than_the_left(default_patient):
    ctx = default_patient.context[0]
    x, y, z = _axes(ctx)
    lung = ctx.labels == Label.LUNG

    def dome_top(side):
        cols = (x * side > 40.0)
        sub = lung[:, :, cols]
        lows = [z[np.flatnonzero(sub[:, j, i])[0]] for j in range(sub.shape[1]) for i in range(sub.shape[2])
                if sub[:, j, i].any()]
        return max(lows)

    assert dome_top(-1.0) > dome_top(1.0) + 5.0   # LPS: x < 0 is the patient's right


def test_no_lung_on_the_thoracic_transpedicular_path():
    p = cached(level="T9", fracture_grade=2.0, morphology="wedge", seed=9)
    lm = p.landmarks
    for ped in (lm.pedicle_left, lm.pedicle_right):
        axis = np.asarray(ped.axis)
        entry = np.asarray(ped.entry_mm)
        depth = lm.skin_y_mm - entry[1]
        for s in np.arange(0.0, depth / abs(axis[1]), 0.5):
            for off in ((0, 0, 0), (2.0, 0, 0), (-2.0, 0, 0), (0, 0, 2.0), (0, 0, -2.0)):
                assert _label_at(p, entry - s * axis + np.asarray(off)) != Label.LUNG


def test_pedicles_are_denser_than_the_osteoporotic_body_on_a_lateral_ray(default_patient):
    v = default_patient.volume
    lm = default_patient.landmarks
    x, y, z = _axes(v)
    c = np.asarray(lm.pedicle_left.centre_mm)
    k = int(np.argmin(np.abs(z - c[2])))
    hu = np.maximum(v.hu[k].astype(np.float64), 0.0)     # bone excess over water, HU
    through_pedicles = hu[int(np.argmin(np.abs(y - c[1])))].sum()
    through_body = hu[int(np.argmin(np.abs(y - 0.0)))].sum()
    assert through_pedicles > 1.3 * through_body
    ped = v.hu[v.labels == Label.PEDICLE_LEFT].astype(float)
    assert ped.mean() > 400.0        # thick cortex, dense core: cortical-dominant bone


def test_bodies_have_a_waist_and_flared_endplate_rims(default_patient):
    v = default_patient.volume
    lm = default_patient.landmarks
    x, y, z = _axes(v)
    body = body_mask(v.labels)
    j = int(np.argmin(np.abs(y - 0.0)))

    def width(zz):
        row = body[int(np.argmin(np.abs(z - zz))), j]
        return np.ptp(x[row]) if row.any() else 0.0

    zs = z[(z > lm.inferior_endplate_z_mm - 3.0) & (z < lm.superior_endplate_z_mm + 3.0)]
    widths = np.array([width(zz) for zz in zs])
    mid = width(lm.body_centre_mm[2])
    assert widths.max() - mid > 0.06 * widths.max()          # concave lateral walls (hourglass)
    z_rim = zs[np.argmax(widths)]                             # widest at an endplate rim
    assert min(abs(z_rim - lm.inferior_endplate_z_mm), abs(z_rim - lm.superior_endplate_z_mm)) < 3.0


def test_bowel_gas_lies_in_the_abdomen_in_front_of_the_lumbar_spine_and_never_in_the_fine_box():
    p = cached(level="L4", fracture_grade=0.0, seed=7)
    ctx = p.context[0]
    gas = (ctx.labels == Label.SOFT_TISSUE) & (ctx.hu < -500)
    assert gas.sum() * ctx.grid.voxel_volume_mm3 > 500.0
    _, y, _ = _axes(ctx)
    jj = np.nonzero(gas)[1]
    assert y[jj].max() < p.volume.grid.origin_mm[1]
    assert not ((p.volume.labels == Label.SOFT_TISSUE) & (p.volume.hu < -500)).any()


def test_endplate_cortex_is_denser_than_the_wall_cortex_and_the_mean_stays_cortical_hu(default_patient):
    v = default_patient.volume
    lm = default_patient.landmarks
    x, y, z = _axes(v)
    cort = v.labels == Label.BODY_CORTEX
    hu = v.hu.astype(float)
    # the inferior endplate at the body centre vs the left lateral wall at mid-height
    i0, j0 = int(np.argmin(np.abs(x))), int(np.argmin(np.abs(y)))
    col = cort[:, j0, i0] & (z < lm.body_centre_mm[2])
    endplate = hu[:, j0, i0][col].mean()
    k0 = int(np.argmin(np.abs(z - lm.body_centre_mm[2])))
    row = cort[k0, j0, :] & (x > 0)
    wall = hu[k0, j0, :][row].mean()
    assert endplate > 1.2 * wall
    assert abs(hu[cort].mean() - default_patient.params.cortical_hu) < 10.0
