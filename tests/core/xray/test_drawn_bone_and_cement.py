"""What the renderer draws of the bone and the cement, and that the cement flow does not see it.

Oracles: the published shell thickness (Silva 1994 ~0.35 mm; Ritzel 1997 ventral > dorsal) times the
CT number of compact bone (FACTS.md 1.5, ~1441 HU); vertical trabeculae predominating in osteoporotic
bone (longer correlation along z than across); conservation of cement volume; cement filling marrow,
not trabeculae; and an A/B play of the same procedure with the plain drawing.
"""

import numpy as np
import pytest

from trainer.core.anatomy.builder import column_for
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.radiographic import SHELL_MM, SHELL_TISSUE_HU, impaction_hu, radiographic_hu
from trainer.core.xray import renderer as renderer_mod
from trainer.core.xray.cement_look import finger_mm, interdigitate
from trainer.core.xray.shapes import CementDeposit


@pytest.fixture(scope="module")
def drawn(symmetric_patient):
    before = symmetric_patient.volume.hu.copy()
    hu = radiographic_hu(symmetric_patient)
    assert np.array_equal(symmetric_patient.volume.hu, before)      # the flow's field is untouched
    return hu


def _zone(patient):
    """The impacted bone under the fractured endplate (HU added) at every fine voxel."""
    vol = patient.volume
    z, y, x = np.meshgrid(*(vol.grid.axis_mm(a) for a in "zyx"), indexing="ij")
    return impaction_hu(column_for(patient.params).target.body, patient.params.trabecular_hu, x, y, z)


def test_cancellous_mean_kept_and_trabeculae_vertical(symmetric_patient, drawn):
    vol = symmetric_patient.volume
    canc = vol.labels == Label.CANCELLOUS
    dev = drawn.astype(np.float32) - vol.hu - _zone(symmetric_patient)
    assert abs(float(dev[canc].mean())) < 0.5             # the rods add no bone
    lag = 4                                   # 2 mm on the 0.5 mm grid

    def corr(axis):
        a = np.moveaxis(dev, axis, 0)
        m = np.moveaxis(canc, axis, 0)
        both = m[:-lag] & m[lag:]
        x, y = a[:-lag][both], a[lag:][both]
        return float(np.corrcoef(x, y)[0, 1])

    assert corr(0) > 0.4                      # along z: rods several mm tall
    assert abs(corr(2)) < 0.2                 # across (x): about 1 mm thick
    assert float(dev[canc].std()) > 100.0     # strong enough to survive the projection


def _wall_mineral(hu, labels, spacing, line):
    """Excess over the cancellous mean (HU mm) of the body-cortex voxels along ``line`` (index arrays)."""
    cort = labels[line] == Label.BODY_CORTEX
    return float(((hu[line][cort].astype(float) - 95.0) * spacing).sum())


def test_shell_thickness_by_region(symmetric_patient, drawn):
    vol = symmetric_patient.volume
    lm = symmetric_patient.landmarks
    g = vol.grid
    sp = float(g.spacing_xyz_mm[0])
    k0, j0, i0 = g.nearest_index(np.asarray(lm.body_centre_mm))
    ks = range(k0 - 8, k0 + 9)                # the middle 8 mm of the height
    ny, nx = vol.hu.shape[1:]
    ant, lat, post, post_fine = [], [], [], []
    for k in ks:
        front = (np.full(j0, k), np.arange(j0), np.full(j0, i0))
        back = (np.full(ny - j0, k), np.arange(j0, ny), np.full(ny - j0, i0))
        side = (np.full(nx - i0, k), np.full(nx - i0, j0), np.arange(i0, nx))
        ant.append(_wall_mineral(drawn, vol.labels, sp, front))
        lat.append(_wall_mineral(drawn, vol.labels, sp, side))
        post.append(_wall_mineral(drawn, vol.labels, sp, back))
        post_fine.append(_wall_mineral(vol.hu, vol.labels, sp, back))
    # published shell thickness x compact bone's CT number over the marrow (95 HU)
    assert np.mean(ant) == pytest.approx(SHELL_MM["anterior"] * (SHELL_TISSUE_HU - 95.0), rel=0.2)
    assert np.mean(lat) == pytest.approx(SHELL_MM["lateral"] * (SHELL_TISSUE_HU - 95.0), rel=0.2)
    assert np.mean(ant) > 1.15 * np.mean(lat)                      # ventral thicker (Ritzel 1997)
    # the posterior wall keeps the fine CT's density (the lateral's depth line, CNR >= 5)
    assert np.mean(post) == pytest.approx(np.mean(post_fine), rel=0.02)


def _ball(n=48, r=9):
    c = n // 2
    kji = np.argwhere(np.ones((n, n, n), bool))
    keep = ((kji - c) ** 2).sum(axis=1) <= r * r
    return kji[keep], c


def _columns(n=48):
    """Marrow +1 in 1 mm columns along z every 2 mm (x), trabeculae -1 between them."""
    i = np.arange(n)
    m = np.where((i // 2) % 2 == 0, 1.0, -1.0).astype(np.float32)
    return np.broadcast_to(m, (n, n, n)).copy()


@pytest.mark.parametrize("eta", [36.0, 214.0, 490.0])
def test_cement_keeps_volume_and_fills_marrow(eta):
    kji, c = _ball()
    dep = CementDeposit(kji, np.full(len(kji), 0.9, np.float32), eta)
    marrow = _columns()
    out = interdigitate(dep, marrow, np.ones(marrow.shape, bool), 0.5)
    assert float(out.fraction.sum()) == pytest.approx(float(dep.fraction.sum()), rel=1e-4)
    r = np.sqrt(((out.ijk - c) ** 2).sum(axis=1)) * 0.5
    beyond = r > 9 * 0.5 + 0.5                 # drawn more than a voxel outside the ball
    assert beyond.any()
    # what reaches out lies in the marrow columns, not on the trabeculae
    in_marrow = marrow[out.ijk[beyond, 0], out.ijk[beyond, 1], out.ijk[beyond, 2]] > 0
    assert float(out.fraction[beyond][in_marrow].sum()) > 0.95 * float(out.fraction[beyond].sum())


def test_runny_cement_reaches_further_than_paste():
    kji, c = _ball()
    marrow = _columns()
    reach = {}
    for eta in (36.0, 490.0):
        out = interdigitate(CementDeposit(kji, np.full(len(kji), 0.9, np.float32), eta), marrow,
                            np.ones(marrow.shape, bool), 0.5)
        reach[eta] = float(np.sqrt(((out.ijk - c) ** 2).sum(axis=1)).max()) * 0.5
    assert finger_mm(36.0) > 2.5 * finger_mm(490.0)
    assert reach[36.0] > reach[490.0] + 1.5


def test_cement_outside_cancellous_bone_is_drawn_as_is():
    kji, c = _ball()
    dep = CementDeposit(kji, np.linspace(0.2, 0.9, len(kji)).astype(np.float32), 60.0)
    bone = np.ones((48, 48, 48), bool)
    bone[:, :, c:] = False                    # the right half is not cancellous bone (a leak, a vein)
    out = interdigitate(dep, _columns(), bone, 0.5)
    right_in = dep.ijk[:, 2] >= c + 12        # far from the bone (beyond any finger)
    got = {tuple(v): f for v, f in zip(out.ijk.tolist(), out.fraction.tolist())}
    for v, f in zip(dep.ijk[right_in].tolist(), dep.fraction[right_in].tolist()):
        assert got[tuple(v)] == pytest.approx(f, abs=1e-6)


def test_same_leaks_and_score_with_the_plain_drawing(monkeypatch):
    """A/B: the same scenario, seed and actions played with the drawn bone and cement and with the
    plain fine CT and deposit give the same cement state, leaks and score."""
    from trainer.core.procedure.cement.calibration import patient_of
    from trainer.core.scenario.loader import load_scenario
    from trainer.core.scoring.outcome import score
    from trainer.core.scoring.validity import play, variant_by_id

    sc = load_scenario("l1-wedge-default")
    pat = patient_of("l1-wedge-default")

    def run(seed, vid):
        proc = play(sc, pat, seed, variant_by_id(vid), render=True, pixels=96)
        rep = score(proc)
        return (proc.cement.state_sha256(), [(lk["type"], round(lk["volume_ml"], 9)) for lk in rep.leaks],
                round(rep.score, 9), rep.passed)

    cases = [(2, "expert"), (2, "runny_cement")]
    new = [run(s, v) for s, v in cases]
    monkeypatch.setattr(renderer_mod, "radiographic_hu", lambda patient: patient.volume.hu)
    monkeypatch.setattr(renderer_mod, "outer_rod_texture", lambda patient: [])
    monkeypatch.setattr(renderer_mod, "interdigitate", lambda deposit, *a, **k: deposit)
    plain = [run(s, v) for s, v in cases]
    assert new == plain
    assert any(leaks for _, leaks, _, _ in new)      # the comparison includes leaking runs
