"""CementModel on the synthetic phantom: refusals, conservation, determinism, read-outs."""

import json

import numpy as np
import pytest
from cement_phantom import TIP, make_phantom
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.core.anatomy.labels import Label
from trainer.core.errors import ActionRefused, ParameterError
from trainer.core.procedure.cement import CementModel
from trainer.core.xray.geometry import AP, LATERAL, Pose


def _model(patient, seed, veins_open=True, cracks=False, product="default"):
    """A model of ``patient`` from the first seed at or after ``seed`` whose bone has open veins
    (or not) and no fracture micro-cracks (or some): a precondition on the bone, not on the outcome."""
    for s in range(seed, seed + 200):
        m = CementModel(patient, product, np.random.default_rng(s))
        if all(m.flow.veins_open.values()) == veins_open and bool(m.flow.cracks.size) == cracks:
            return m
    raise AssertionError("no such bone in 200 seeds")


def _inject(m, total_ml, tip=TIP, t0=360.0, step=0.25, dt=10.0):
    res = []
    for s in range(int(round(total_ml / step))):
        res.append(m.inject(step, tip, t0 + dt * s))
    return res


def test_refusals_change_nothing(phantom):
    m = _model(phantom, 1)
    ok, why = m.can_inject(0.0, TIP)
    assert not ok and "not been mixed" in why
    r = m.inject(0.5, TIP, 0.0)
    assert r.refused_reason == why and r.delivered_ml == 0.0 and m.phase(0.0) == "unmixed"
    m.mix(100.0)
    before = m.snapshot()
    late = m.inject(0.5, TIP, 100.0 + 12.5 * 60)
    assert not late.accepted and "too stiff" in late.refused_reason
    hard = m.inject(0.5, TIP, 100.0 + 20 * 60)
    assert not hard.accepted and "set" in hard.refused_reason
    far = m.inject(0.5, (200.0, 0.0, 0.0), 400.0)
    assert not far.accepted and "not in or next to" in far.refused_reason
    in_cortex = (12.0, 22.0, 0.0)                                  # middle of the left pedicle (wall)
    ok, why = m.can_inject(400.0, in_cortex)
    assert not ok and "blocked" in why
    r = m.inject(0.5, in_cortex, 400.0)
    assert not r.accepted and "blocked" in r.refused_reason
    assert m.snapshot() == before and m.injected_ml == 0.0


def test_bad_arguments_raise_parameter_errors(mixed):
    for bad in (0.0, -1.0, 11.0, True, "1"):
        with pytest.raises(ParameterError, match="inject.ml"):
            mixed.inject(bad, TIP, 360.0)
    with pytest.raises(ParameterError, match="tip_mm"):
        mixed.inject(0.25, (1.0, 2.0), 360.0)
    with pytest.raises(ParameterError, match="view"):
        mixed.mark_visible("sideways")


def test_mixing_twice_is_refused_until_the_batch_has_set(mixed):
    with pytest.raises(ActionRefused, match="already mixed"):
        mixed.mix(60.0)
    mixed.mix(30 * 60.0)                       # the first batch has set: a new one is allowed
    assert mixed.batches == 2 and mixed.phase(30 * 60.0 + 60) == "runny"


def test_volume_is_conserved_and_the_deposit_holds_exactly_the_injected_cement(phantom):
    m = _model(phantom, 3)
    m.mix(0.0)
    _inject(m, 4.0, tip=(0.0, 4.0, 0.0), t0=20.0, dt=5.0)   # runny, by the vein: leaks
    assert m.leaked_ml > 0
    assert m.injected_ml == pytest.approx(4.0, abs=1e-9)
    assert abs(m.injected_ml - (m.in_body_ml + m.leaked_ml)) < 1e-6
    dep = m.deposit()
    vox = phantom.volume.grid.voxel_volume_mm3
    assert float(dep.fraction.astype(np.float64).sum()) * vox / 1000.0 == pytest.approx(m.injected_ml, rel=1e-5)
    assert np.all((dep.fraction > 0) & (dep.fraction <= 1))
    labels = phantom.volume.labels[dep.ijk[:, 0], dep.ijk[:, 1], dep.ijk[:, 2]]
    assert not np.isin(labels, [Label.BODY_CORTEX, Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT]).any()
    assert len(np.unique(dep.ijk, axis=0)) == len(dep.ijk)
    assert sum(lk.volume_ml for lk in m.leaks) <= m.leaked_ml + 1e-9


def test_same_seed_same_cement_different_seed_different_cement(phantom):
    def run(seed):
        m = CementModel(phantom, "default", np.random.default_rng(seed))
        m.mix(0.0)
        _inject(m, 2.0, t0=120.0)
        return m.snapshot()

    a, b, c = run(11), run(11), run(12)
    assert a == b
    assert a["state_sha256"] != c["state_sha256"]
    json.dumps(a)                              # JSON-safe


def _spread_mm(m, tip):
    dep = m.deposit()
    xyz = m.patient.volume.grid.index_to_mm(dep.ijk)
    return xyz, np.linalg.norm(xyz - np.asarray(tip), axis=1)


def test_runny_cement_fingers_paste_fills_compactly(phantom):
    tip = (0.0, -6.0, -4.0)
    runny = _model(phantom, 4)
    paste = _model(phantom, 4)
    runny.mix(0.0)
    paste.mix(0.0)
    runny.inject(1.0, tip, 30.0)               # 0.5 min after mixing
    paste.inject(1.0, tip, 420.0)              # 7 min
    _, d_runny = _spread_mm(runny, tip)
    _, d_paste = _spread_mm(paste, tip)
    assert np.percentile(d_runny, 95) > 1.3 * np.percentile(d_paste, 95)
    assert runny.flow.lam_per_mm(runny.viscosity_pa_s(30.0)) < paste.flow.lam_per_mm(paste.viscosity_pa_s(420.0))


def test_paste_spreads_further_superior_inferior_than_anterior_posterior(phantom):
    tip = (0.0, -2.0, 0.0)
    m = _model(phantom, 8)
    m.mix(0.0)
    m.inject(0.8, tip, 9 * 60.0)               # stiff paste: the front follows the permeability ellipsoid
    xyz, _ = _spread_mm(m, tip)
    sd = xyz.std(axis=0)
    assert sd[2] / sd[1] > 1.05                # SI > AP (Baroud 2004: k_AP/k_SI = 0.78)


def test_intact_cortex_holds_cement_defects_let_it_out(phantom, phantom_defects):
    m = _model(phantom, 2)
    m.mix(0.0)
    _inject(m, 3.0, tip=(0.0, -12.0, 0.0), t0=300.0)  # against the anterior wall
    assert not any(lk.type in ("C", "paravertebral", "D", "canal") for lk in m.leaks)

    pwd = _model(phantom_defects["posterior_wall_defect"], 2)
    pwd.mix(0.0)
    _inject(pwd, 2.0, tip=(4.0, 11.0, -4.0), t0=300.0)
    assert "canal" in {lk.type for lk in pwd.leaks}

    crack = _model(phantom_defects["endplate_crack"], 2)
    crack.mix(0.0)
    _inject(crack, 2.0, tip=(0.0, -6.0, 9.0), t0=300.0)
    disc = [lk for lk in crack.leaks if lk.type == "D"]
    assert disc and disc[0].region == "superior disc"


def test_cleft_fills_preferentially(phantom_defects):
    p = phantom_defects["cleft"]
    m = CementModel(p, "default", np.random.default_rng(6))
    m.mix(0.0)
    m.inject(0.5, (0.0, -2.0, 4.0), 300.0)
    dep = m.deposit()
    lab = p.volume.labels[dep.ijk[:, 0], dep.ijk[:, 1], dep.ijk[:, 2]]
    cleft_share = float(np.mean(lab == Label.CLEFT))
    marrow = (p.volume.labels == Label.CANCELLOUS) | (p.volume.labels == Label.CLEFT)
    cleft_vol_share = float((p.volume.labels == Label.CLEFT).sum()) / max(1, int(marrow.sum()))
    assert cleft_share > 5 * cleft_vol_share


def test_runny_venous_leak_leaves_the_vertebra_and_is_a_pe_risk(phantom):
    m = _model(phantom, 9)
    m.mix(0.0)
    res = _inject(m, 3.0, tip=(0.0, 4.0, 0.0), t0=20.0, dt=5.0)   # runny, next to the basivertebral vein
    b = [lk for lk in m.leaks if "B" in lk.kinds]                 # at the wall, or on into the canal
    assert b and any(lk.pe_risk for lk in b) and m.pe_risk
    first = [lk for r in res for lk in r.new_leaks if "B" in lk.kinds]
    assert sorted(lk.first_t_s for lk in first) == sorted(lk.first_t_s for lk in b)


def test_b_leaks_hide_on_the_lateral_but_show_on_the_ap(phantom):
    m = _model(phantom, 9)
    m.flow.plexus_add = 0.0       # a bone without an epidural-plexus barrier: the B cement reaches the canal
    m.mix(0.0)
    _inject(m, 3.0, tip=(0.0, 4.0, 0.0), t0=20.0, dt=5.0)
    # the largest leak that came down the basivertebral vein (at the wall, or on into the canal)
    b = max((lk for lk in m.leaks if "B" in lk.kinds), key=lambda lk: lk.volume_ml)
    lim = m.config["leaks"]["visible_min_ml"]
    assert lim["lateral"][b.type] > lim["ap"][b.type] and b.volume_ml >= lim["ap"][b.type]
    seen_lat = m.mark_visible(pose=LATERAL)
    expect_lat = b.volume_ml >= lim["lateral"][b.type]
    assert any(lk.region == b.region for lk in seen_lat) == expect_lat
    seen_ap = m.mark_visible("ap")
    b2 = next(lk for lk in m.leaks if lk.region == b.region)
    assert b2.visible and "ap" in b2.seen_on
    assert any(lk.region == b.region for lk in seen_ap) != expect_lat      # newly seen only once
    assert m.mark_visible("ap") == []


def test_view_of_pose_decides_leak_visibility_views():
    from trainer.core.xray.geometry import view_of

    assert view_of(AP) == "ap" and view_of(LATERAL) == "lateral"
    assert view_of(Pose(-90.0, 0.0)) == "lateral" and view_of(Pose(40.0, 10.0)) == "oblique"


def test_withdrawing_the_tip_moves_the_cement_posteriorly(phantom):
    def run(withdraw):
        m = _model(phantom, 7)
        m.mix(0.0)
        for s in range(12):
            y = -9.0 + (withdraw * s / 11.0)
            m.inject(0.25, (2.0, y, 0.0), 400.0 + 10 * s)
        return m

    still, pulled = run(0.0), run(12.0)
    assert pulled.posterior_extent_fraction < still.posterior_extent_fraction
    assert 0.0 <= pulled.posterior_extent_fraction <= 1.0


def test_a_second_mass_grows_at_a_distant_tip(phantom):
    m = _model(phantom, 12)
    m.mix(0.0)
    m.inject(0.5, (-10.0, -6.0, 0.0), 400.0)
    m.inject(0.5, (10.0, -6.0, 0.0), 410.0)      # other side, not touching the first mass
    xyz, _ = _spread_mm(m, (0, 0, 0))
    assert (xyz[:, 0] > 5).sum() > 0.3 * len(xyz) and (xyz[:, 0] < -5).sum() > 0.3 * len(xyz)
    assert abs(m.injected_ml - m.in_body_ml - m.leaked_ml) < 1e-6
    assert m.crosses_midline


def test_geometry_read_outs(phantom):
    m = _model(phantom, 13)
    assert m.posterior_extent_fraction is None and m.fill_fraction == 0.0
    m.mix(0.0)
    _inject(m, 6.0, tip=(0.0, -4.0, 0.0), t0=330.0, step=0.5)
    assert m.fill_fraction == pytest.approx(m.in_body_ml / m.domain.body_volume_ml)
    assert 0.1 < m.fill_fraction < 0.5
    assert m.reaches_endplates == (True, True)
    assert m.crosses_midline


def test_heat_scales_with_volume_and_reaches_the_canal_only_when_cement_is_near_it(phantom):
    m = _model(phantom, 14)
    assert m.peak_temperature_c == pytest.approx(37.0)
    m.mix(0.0)
    _inject(m, 1.0, tip=(0.0, -9.0, 0.0))
    t1 = m.peak_temperature_c
    _inject(m, 3.0, tip=(0.0, -9.0, 0.0), t0=400.0)
    assert 37.0 < t1 < m.peak_temperature_c < 90.0
    assert m.canal_wall_temperature_c <= 43.0          # cement kept anterior (FACTS 3.5)
    assert not m.thermal_risk
    post = _model(phantom, 14)
    post.mix(0.0)
    _inject(post, 3.0, tip=(0.0, 12.0, 0.0))
    assert post.canal_wall_temperature_c > 45.0 and post.thermal_risk and post.snapshot()["thermal_risk"]


def test_seven_millilitres_are_flagged_once(phantom):
    m = _model(phantom, 15)
    m.mix(0.0)
    res = _inject(m, 7.0, tip=(0.0, -4.0, 0.0), t0=330.0, step=0.5, dt=15.0)
    flagged = [n for n, r in enumerate(res) if "overfill" in r.flags]
    assert flagged == [len(res) - 1] and m.overfill and m.snapshot()["overfill"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pushes=st.lists(st.tuples(st.sampled_from([0.1, 0.25, 0.5, 1.0]),
                                 st.floats(-12.0, 12.0), st.floats(-12.0, 12.0), st.floats(-9.0, 9.0),
                                 st.floats(0.0, 40.0)), min_size=1, max_size=6),
       start_min=st.floats(0.2, 11.0), seed=st.integers(0, 2**32 - 1))
def test_any_sequence_of_pushes_conserves_volume(phantom, pushes, start_min, seed):
    m = CementModel(phantom, "default", np.random.default_rng(seed))
    m.mix(0.0)
    t = 60.0 * start_min
    asked = 0.0
    for ml, x, y, z, dt in pushes:
        t += dt
        r = m.inject(ml, (x, y, z), t)
        if r.accepted:
            asked += ml
            assert r.delivered_ml <= ml + 1e-12
            assert r.delivered_ml == pytest.approx(ml) or "stalled" in r.flags
        else:
            assert r.delivered_ml == 0.0
    assert m.injected_ml <= asked + 1e-9
    assert abs(m.injected_ml - m.in_body_ml - m.leaked_ml) < 1e-6
    dep = m.deposit()
    vox = phantom.volume.grid.voxel_volume_mm3
    deposited_ml = float(dep.fraction.astype(np.float64).sum()) * vox / 1000.0
    assert deposited_ml == pytest.approx(m.injected_ml, rel=1e-5, abs=1e-9)


def test_a_nutrient_channel_left_short_of_its_vein_is_joined(phantom):
    assert _model(phantom, 0).domain.bridged_voxels == 0
    gap = make_phantom()
    lab = gap.volume.labels
    x = gap.volume.grid.axis_mm("x")
    for sel, fill in (((x >= 19.5) & (x <= 20.0), Label.BODY_CORTEX), ((x > 20.0) & (x <= 21.5), Label.MUSCLE)):
        sub = lab[:, :, sel]                             # close the left vein exit: cortex, then muscle
        sub[sub == Label.SEGMENTAL_VEIN] = fill
        lab[:, :, sel] = sub
    m = _model(gap, 0)
    dom = m.domain
    assert dom.bridged_voxels > 0
    # the left channel inside the body and the left vein outside it are one connected vein again
    from scipy import ndimage

    from trainer.core.procedure.cement.domain import SVEIN
    lab, _ = ndimage.label(dom.cls.reshape(dom.shape) == SVEIN)
    inner = lab.ravel()[dom.flat_of_mm((17.0, 9.0, 0.0))]           # channel, 3 mm inside the left wall
    outer = lab.ravel()[dom.flat_of_mm((25.0, 9.0, 0.0))]           # vein, 5 mm outside it
    assert inner and inner == outer


def test_vein_entry_is_paid_where_cement_enters_and_falls_with_body_size(phantom):
    # docs/cement.md, Veins (round 6): E = lambda x entry_mm x (eta/300)^2 x patency x (V_body / 20.3 mL)^-1,
    # the full E where cement enters a vein from bone, 0.35 E along the vein's lumen; cracks keep theirs unscaled
    from trainer.core.procedure.cement.domain import BVEIN, CRACK, SVEIN

    m = CementModel(phantom, "default", np.random.default_rng(2))
    f = m.flow
    eta = 600.0                                         # (eta/300)^2 = 4, lambda = 0.12/mm x 2 = 0.24/mm
    size = (m.domain.body_volume_ml / 20.3) ** -1.0
    _, add = f.class_terms(eta)
    lumen = f._lumen_add(add)
    # (eta/300)^2 = 4 for the basivertebral entry, (eta/300)^3 = 8 for the segmental one (round 11)
    for c, entry_mm, r in ((BVEIN, 2.6, 4.0), (SVEIN, 0.8, 8.0)):             # round 8 (2.3 / 1.0 before)
        if np.isfinite(f.patency[c]):
            assert add[c] == pytest.approx(0.24 * entry_mm * r * f.patency[c] * size, rel=1e-9)
            assert lumen[c] == pytest.approx(0.35 * add[c], rel=1e-9)
        else:                                           # a closed vein stays closed along its lumen too
            assert add[c] >= 1e9 and lumen[c] >= 1e9
    assert add[CRACK] == pytest.approx(0.24 * 1.0 * 4.0, rel=1e-9)


@pytest.mark.parametrize("mixed_s", [124.15000000000001, 161.01000000000002, 458.79])
def test_the_phase_at_the_working_boundary_does_not_hang_on_float_noise(phantom, mixed_s):
    """Mixed at ``mixed_s`` and pushed 240 s later by summed durations (60 s of mixing, six 30 s waits), the
    times' difference is 239.99999999999994-240.00000000000003 s.  Oracle: the default product's rheology
    (assets/cement_products.toml: runny until 4 min at the reference temperature): at 4:00 the cement is in its
    working phase, whichever way the sum rounds (before round 36, 'runny' for two of these three)."""
    m = _model(phantom, 1)
    m.mix(mixed_s)
    t = mixed_s
    for step in (60.0, 30.0, 30.0, 30.0, 30.0, 30.0, 30.0):
        t += step
    assert abs((t - mixed_s) - 240.0) < 1e-12
    assert m.rheology.t_runny_s == 240.0 and m.rheology.rate == 1.0
    assert m.phase(t) == "working"
    assert m.phase(t - 0.001) == "runny"
    assert m.minutes_since_mix(t) == 4.0
