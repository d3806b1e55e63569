"""Distances evaluated on demand equal the whole-box scipy transforms they replace, bit for bit."""

import numpy as np
import pytest
from scipy import ndimage

from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.params import AnatomyParams
from trainer.core.procedure.cement.domain import CANAL, CementDomain
from trainer.core.procedure.cement.model import CementModel
from trainer.core.procedure.distance import LazyDistance, boundary_voxels, exact_spacing
from trainer.core.procedure.walls import WallModel


def _blobs(rng, shape, level):
    return ndimage.gaussian_filter(rng.random(shape), 2.0) > level


@pytest.mark.parametrize("sampling", [(0.5, 0.5, 0.5), (1.0, 0.5, 2.0), (0.25, 0.75, 0.5), (0.7, 0.7, 0.7)])
def test_lazy_distance_equals_scipy_everywhere(sampling):
    rng = np.random.default_rng(3)
    for _ in range(6):
        shape = tuple(int(v) for v in rng.integers(4, 30, 3))
        mask = _blobs(rng, shape, rng.uniform(0.45, 0.55))
        if not mask.any():
            continue
        ref = ndimage.distance_transform_edt(~mask, sampling=sampling)
        lazy = LazyDistance(mask, sampling)
        assert np.array_equal(lazy.full(), ref)
        # every voxel asked one by one (the k-d tree where the spacing is exact)
        assert np.array_equal(lazy.at(np.argwhere(np.ones(shape, bool))).reshape(shape), ref)
        flat = rng.integers(0, mask.size, 50)
        assert np.array_equal(lazy.at_flat(flat), ref.ravel()[flat])


def test_exact_spacing_and_boundary():
    assert exact_spacing((0.5, 0.5, 0.5)) and exact_spacing((1.0, 0.25, 2.0))
    assert not exact_spacing((0.7, 0.5, 0.5)) and not exact_spacing((0.5, 0.1, 0.5))
    m = np.zeros((5, 5, 5), bool)
    m[1:4, 1:4, 1:4] = True
    b = boundary_voxels(m)
    assert b.sum() == 26 and not b[2, 2, 2] and b[1, 1, 1]
    full = np.ones((3, 3, 3), bool)
    assert not boundary_voxels(full).any()          # array edges are not a boundary
    with pytest.raises(ValueError):
        LazyDistance(np.zeros((3, 3, 3), bool), (1, 1, 1))


@pytest.fixture(scope="module")
def patient():
    return build_patient(AnatomyParams(voxel_mm=1.0, seed=5))


@pytest.mark.parametrize("side", ["left", "right"])
def test_breach_distance_map_equals_the_whole_box_transform(patient, side):
    walls = WallModel(patient)
    k0, sdf = walls._sdf_for(side)
    inside = sdf.inside
    assert inside.any() and not inside.all()
    sp = patient.volume.grid.spacing_zyx_mm
    ref = (ndimage.distance_transform_edt(~inside, sampling=sp)
           - ndimage.distance_transform_edt(inside, sampling=sp)).astype(np.float32)
    assert np.array_equal(sdf.full(), ref)
    assert np.array_equal(sdf.at(np.argwhere(np.ones(sdf.shape, bool))), ref.ravel())   # voxel by voxel (k-d trees)
    # and breach() reads those values: a shaft along the pedicle axis
    fr = walls.frames[side]
    t = np.linspace(fr.t_entry, fr.t_junction, 40)
    shaft = fr.centre + t[:, None] * fr.axis
    b, at = walls.breach(side, shaft, 1.0)
    assert at is not None
    kji = np.rint(patient.volume.grid.mm_to_index(at)).astype(int) - k0
    assert b == pytest.approx(max(0.0, float(ref[tuple(kji)]) + 1.0), abs=0)


def _eager_fields(dom, config):
    """The domain's per-voxel fields as the whole-crop computation made them before they became lazy."""
    sp = dom.spacing_zyx_mm
    env = dom.envelope.reshape(dom.shape)
    cls = dom.cls.reshape(dom.shape)
    d_out = ndimage.distance_transform_edt(~env, sampling=sp).ravel().astype(np.float32)
    canal = cls == CANAL
    d_canal = ndimage.distance_transform_edt(~canal, sampling=sp).ravel().astype(np.float32)
    edge = np.zeros(dom.shape, bool)
    edge[[1, -2], :, :] = True
    edge[:, [1, -2], :] = True
    edge[:, :, [1, -2]] = True
    far = (d_out >= float(config["leaks"]["pe_distance_mm"])) | edge.ravel()
    return d_out, d_canal, far


def test_cement_domain_fields_equal_the_whole_crop_computation(patient):
    config = CementModel(patient, "default", np.random.default_rng(0)).config
    dom = CementDomain(patient, config)
    d_out, d_canal, far = _eager_fields(dom, config)
    # leak codes: computed for everything at once on a fresh domain (what they mean is tested
    # against hand-placed voxels in tests/core/cement/test_leak_sites.py)
    code = np.asarray(CementDomain(patient, config).leak_code)
    rng = np.random.default_rng(1)
    some = rng.integers(0, dom.cls.size, 3000)
    # a few voxels first (lazy path), then everything (fills the rest)
    assert np.array_equal(dom.dist_outside_mm[some], d_out[some])
    assert np.array_equal(dom.leak_code[some], code[some])
    assert np.array_equal(dom.far[some], far[some])
    assert np.array_equal(np.asarray(dom.dist_outside_mm), d_out)
    assert np.array_equal(np.asarray(dom.leak_code), code)
    assert np.array_equal(np.asarray(dom.far), far)
    assert (code >= 0).any() and far.any() and (~far).any()
    # the canal minimum: random voxel sets, with and without a bound, equal the dense minimum
    fresh = CementDomain(patient, config)
    for n in (1, 10, 500, 5000):
        flat = rng.integers(0, dom.cls.size, n)
        want = float(d_canal[flat].min())
        assert fresh.min_dist_canal_mm(flat) == want
        for below in (want, want + 0.5, np.nextafter(np.float32(want), np.float32(0)), np.inf):
            got = fresh.min_dist_canal_mm(flat, float(below))
            assert got == (want if want < below else np.inf)
    assert np.array_equal(np.asarray(fresh.dist_canal_mm), d_canal)
    assert fresh.min_dist_canal_mm(np.array([], np.int64)) == np.inf
