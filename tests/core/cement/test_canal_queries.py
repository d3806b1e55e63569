"""The cement domain's canal distance queries skip points far from the canal's box (every push asks them).

The skip (:func:`~trainer.core.procedure.cement.domain._near_box`) is checked against the distance to
the box by clipping, and the bounded canal distances against scipy's whole-crop transform.
"""

import numpy as np
from scipy import ndimage

from trainer.core.procedure.cement import CementModel
from trainer.core.procedure.cement.domain import CANAL, _near_box


def test_near_box_keeps_every_point_within_reach_of_the_box():
    rng = np.random.default_rng(7)
    kept = dropped = 0
    for _ in range(40):
        lo = rng.uniform(-20, 20, 3)
        hi = lo + rng.uniform(0, 15, 3)
        p = rng.uniform(-45, 45, (400, 3))
        reach = float(rng.uniform(0.5, 25))
        got = _near_box(p, lo, hi, reach)
        d = np.linalg.norm(p - np.clip(p, lo, hi), axis=1)       # distance to the box, by clipping
        assert got[d <= reach].all()                            # never drops a point within reach
        assert not got[d > reach * 1.001 + 0.001].any()         # and drops the clearly farther ones
        kept, dropped = kept + int(got.sum()), dropped + int((~got).sum())
    assert kept > 300 and dropped > 1000
    assert _near_box(p, lo, hi, np.inf).all()
    # points on the box's own surface and exactly at the reach are kept
    lo, hi = np.zeros(3), np.ones(3)
    on = np.array([[0.0, 0.5, 0.5], [1.0 + 2.0, 0.5, 0.5], [0.5, -0.25, 0.5]])
    assert _near_box(on, lo, hi, 2.0)[:2].all() and _near_box(on, lo, hi, 0.25)[2]


def test_canal_distances_within_a_limit_equal_the_whole_crop_transform(phantom):
    model = CementModel(phantom, "default", np.random.default_rng(0))
    dom = model.domain
    ref = ndimage.distance_transform_edt(dom.cls.reshape(dom.shape) != CANAL, sampling=dom.spacing_zyx_mm).ravel()
    rng = np.random.default_rng(3)
    # limits no voxel is exactly at (the k-d tree's bound is strict, the whole-transform branch's is not:
    # docs/realct-log.md pass 227 leaves that alone)
    for limit in (2.1, 6.6, 40.3):
        flat = rng.integers(0, dom.cls.size, 4000)
        got = dom.dist_canal_within_mm(flat, limit)
        want = np.where(ref[flat] <= limit, ref[flat], np.inf)
        assert np.array_equal(got, want)
        assert np.isfinite(got).any() and np.isinf(got).any()


def test_a_voxel_exactly_at_the_limit_is_within_it_on_both_paths(phantom):
    """"Within" is <=: scipy's whole-crop transform as the oracle, at limits that voxels sit exactly at (the k-d
    tree's own bound is strict: before pass 233 its path answered inf there, the whole-transform path the distance)."""
    model = CementModel(phantom, "default", np.random.default_rng(0))
    dom = model.domain
    ref = ndimage.distance_transform_edt(dom.cls.reshape(dom.shape) != CANAL, sampling=dom.spacing_zyx_mm).ravel()
    for limit in (float(dom.spacing_zyx_mm[0]) * 3, 20.0):        # 20 mm: the heat query's limit (8 x decay_mm)
        at = np.flatnonzero(ref == limit)
        assert at.size > 0, limit                                  # voxels exactly at the limit exist
        beyond = np.flatnonzero((ref > limit) & (ref < limit + 2.0))[:500]
        flat = np.concatenate([at[:2000], beyond])
        got = dom.dist_canal_within_mm(flat, limit)
        assert np.array_equal(got[: min(at.size, 2000)], ref[at[:2000]])   # kept, with its distance
        assert np.isinf(got[min(at.size, 2000):]).all()                       # and beyond it inf
