"""Leaks are classified by where the cement ends up (issue 13): hand-placed voxels of the phantom.

The phantom (cement_phantom.py) is a box body whose posterior wall is at y = +15 mm, with
the canal behind it, a basivertebral vein from the centre to the posterior wall and on
into the epidural space, segmental veins at y = 9 mm through both lateral walls, discs
above and below and muscle around: every expected answer below follows from that layout.
"""

import numpy as np
import pytest
from cement_phantom import HALF

from trainer.core.anatomy.labels import Label
from trainer.core.procedure.cement import CementModel
from trainer.core.procedure.cement.domain import (
    LEAK_TABLE,
    CementDomain,
    FlowClass,
    body_envelope,
    classify_labels,
    crop_to_body,
    trabecular_porosity,
)
from trainer.core.procedure.cement.flow import Route
from trainer.core.scenario.rheology import load_config

AX, AY, AZ = HALF

#: (x, y, z) mm -> (type, region) expected, or None for "inside the body"
SITES = {
    (0.0, 5.0, 0.0): None,                                                 # vein 10 mm in front of the wall
    (0.0, -5.0, 5.0): None,                                                # cancellous bone
    (0.0, AY - 2.0, 0.0): ("B", "basivertebral vein at the posterior wall"),  # vein at its exit
    (0.0, AY + 1.0, 10.0): ("canal", "epidural space"),                    # vein painted in the canal
    (0.0, AY + 8.0, 0.0): ("canal", "epidural space"),
    (12.0, AY + 5.0, 10.0): ("foramen", "left foramen"),                   # +x is the patient's left
    (-12.0, AY + 5.0, 10.0): ("foramen", "right foramen"),
    (0.0, 0.0, AZ + 3.0): ("D", "superior disc"),
    (0.0, 0.0, -AZ - 3.0): ("D", "inferior disc"),
    (25.0, 9.0, 0.0): ("S", "left segmental vein"),
    (0.0, -AY - 1.5, 0.0): ("C", "anterior cortex"),                       # muscle 1.5 mm in front
    (0.0, -AY - 6.0, 0.0): ("paravertebral", "anterior paravertebral"),
}


@pytest.fixture(scope="module")
def domain(phantom):
    return CementDomain(phantom, load_config())


@pytest.mark.parametrize("xyz", list(SITES))
def test_each_site_is_classified_by_where_it_is(domain, xyz):
    f = domain.flat_of_mm(xyz)
    code = int(domain.leak_code[np.array([f])][0])
    want = SITES[xyz]
    if want is None:
        assert domain.in_body[f] and code == -1
    else:
        assert not domain.in_body[f]
        assert LEAK_TABLE[code][:2] == want


def test_a_venous_route_keeps_its_type_outside_the_canal_and_adds_it_inside(domain):
    sites = [(25.0, 9.0, 0.0), (-5.0, -AY - 1.5, 0.0), (0.0, AY + 8.0, 0.0), (12.0, AY + 5.0, 10.0)]
    flat = np.array([domain.flat_of_mm(p) for p in sites])
    b = [LEAK_TABLE[c] for c in domain.leak_code_with_route(flat, np.full(4, Route.BASIVERTEBRAL, np.uint8))]
    s = [LEAK_TABLE[c] for c in domain.leak_code_with_route(flat, np.full(4, Route.SEGMENTAL, np.uint8))]
    none = [LEAK_TABLE[c] for c in domain.leak_code_with_route(flat, np.zeros(4, np.uint8))]
    assert [t[0] for t in none] == ["S", "C", "canal", "foramen"]
    assert [t[0] for t in b] == ["B", "B", "canal", "foramen"] and b[2][2] == "B" and b[3][2] == "B"
    assert [t[:2] for t in s[:2]] == [("S", "left segmental vein"), ("S", "right segmental vein")]
    assert s[2] == ("canal", "epidural space via a segmental vein", "S")
    assert s[3] == ("foramen", "left foramen via a segmental vein", "S")


def test_domain_steps_crop_classify_envelope_porosity(phantom):
    labels, hu = phantom.volume.labels, phantom.volume.hu
    lo, sub, sub_hu = crop_to_body(labels, hu, (0.5, 0.5, 0.5), margin_mm=2.0)
    # body is |x|<=20, |y|<=15, |z|<=12 mm on a grid starting at (-30, -24, -24): 2 mm = 4 voxels margin
    assert tuple(lo) == (24 - 4 - 1, 18 - 4 - 1, 20 - 4 - 1)
    assert sub.shape == (49 + 8 + 2, 61 + 8 + 2, 81 + 8 + 2)
    assert (sub[0] == Label.AIR).all() and (sub_hu[:, :, -1] == 0).all()
    cls = classify_labels(sub)
    assert (cls[0] == FlowClass.WALL).all() and (cls[:, :, -1] == FlowClass.WALL).all()
    centre = tuple(np.array(sub.shape) // 2)
    assert cls[centre] == FlowClass.CANC and sub[centre] == Label.CANCELLOUS
    assert cls[sub == Label.BODY_CORTEX].max() == FlowClass.WALL
    assert (cls[sub == Label.MUSCLE] == FlowClass.SOFT).all()
    env = body_envelope(sub)
    assert env[centre] and not env[0, 0, 0]
    # the whole box body (cortex included) is the envelope: 81 x 61 x 49 voxels of 0.125 mm3
    body_box = np.isin(sub, [Label.BODY_CORTEX, Label.CANCELLOUS, Label.BASIVERTEBRAL_VEIN, Label.SEGMENTAL_VEIN])
    assert env.sum() >= 81 * 61 * 49 - 50 and env.sum() <= body_box.sum()
    por = trabecular_porosity(cls.ravel(), sub_hu.ravel(), load_config()["flow"])
    # FACTS-derived BV/TV = 0.03 + 0.0008 * 95 HU = 0.106 -> porosity 0.894 in cancellous bone, 1 elsewhere
    assert por[cls.ravel() == FlowClass.CANC] == pytest.approx(0.894)
    assert (por[cls.ravel() == FlowClass.SOFT] == 1.0).all()


def test_runny_cement_in_the_canal_is_a_canal_leak_and_the_pictures_show_the_same_cement(phantom):
    """Runny cement by the vein: whatever reaches the canal outline is booked (and drawn) as canal."""
    m = next(m for m in (CementModel(phantom, "default", np.random.default_rng(s)) for s in range(3, 200))
             if m.flow.veins_open["B"])               # a bone whose basivertebral vein drains (precondition)
    m.flow.plexus_add = 0.0       # and no epidural-plexus barrier: this test is about booking, not how often
    m.mix(0.0)
    for s in range(16):
        m.inject(0.25, (0.0, 10.0, 0.0), 20.0 + 5.0 * s)
    vols = m.leak_volumes_ml()
    assert vols["canal"] > 0.01 and m.canal_leak_ml == vols["canal"]
    assert sum(vols.values()) == pytest.approx(m.leaked_ml, abs=1e-9)
    canal_leaks = [lk for lk in m.leaks if lk.type == "canal"]
    assert canal_leaks and all(lk.neural for lk in canal_leaks)
    assert any(lk.kinds == ("canal", "B") for lk in canal_leaks)          # came down the basivertebral vein
    # the voxels the debrief draws as canal cement: all in the canal outline by the labels themselves
    kji = m.leak_voxels_kji(("canal",))
    lab = phantom.volume.labels[kji[:, 0], kji[:, 1], kji[:, 2]]
    y = phantom.volume.grid.index_to_mm(kji)[:, 1]
    assert np.all((lab == Label.CANAL) | ((lab == Label.BASIVERTEBRAL_VEIN) & (y > AY)))
    # and they hold exactly the booked canal volume
    dep = m.deposit()
    frac = {tuple(v): f for v, f in zip(dep.ijk.tolist(), dep.fraction.tolist())}
    vox = phantom.volume.grid.voxel_volume_mm3
    drawn_ml = sum(frac[tuple(v)] for v in kji.tolist()) * vox / 1000.0
    assert drawn_ml == pytest.approx(vols["canal"], rel=1e-5)
    # every leaked voxel is drawn under some type, and no in-body voxel is drawn as a leak
    every = {tuple(v) for v in m.leak_voxels_kji().tolist()}
    union = set()
    for t in ("B", "S", "C", "D", "canal", "foramen", "paravertebral"):
        union |= {tuple(v) for v in m.leak_voxels_kji(t).tolist()}
    assert union == every and len(every) == len(m.leak_voxels_kji())
    lab_all = phantom.volume.labels[tuple(np.array(sorted(every)).T)]
    assert not np.isin(lab_all, [Label.CANCELLOUS]).any() or m.leak_volumes_ml()["C"] > 0


def test_the_epidural_plexus_barrier_keeps_runny_venous_cement_out_of_the_canal(phantom):
    """Runny cement down the basivertebral vein stops at the wall unless the bone's plexus barrier is gone.

    The barrier applies wherever venous cement first enters the canal outline, including the vein
    where it was painted into the canal (issue 14: that path once had no barrier at all).
    """
    seed = next(s for s in range(3, 200)
                if CementModel(phantom, "default", np.random.default_rng(s)).flow.veins_open["B"])
    out = {}
    for barrier in ("bone's own", 0.0):
        m = CementModel(phantom, "default", np.random.default_rng(seed))
        if barrier == 0.0:
            m.flow.plexus_add = 0.0
        m.mix(0.0)
        for s in range(16):
            m.inject(0.25, (0.0, 10.0, 0.0), 20.0 + 5.0 * s)
        out[barrier] = m.leak_volumes_ml()
    assert out["bone's own"]["B"] > 0.0 and out["bone's own"]["canal"] == 0.0
    assert out[0.0]["canal"] > 0.01
