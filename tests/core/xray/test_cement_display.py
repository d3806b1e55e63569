"""How the C-arm processing shows cement: very dark, but graded where it is thin, and no halo.

Oracles: a synthetic dense blob whose excess over the bone falls from its core to its margin (the
display must keep that order, show the margin grey and the core black, and leave every unmarked
pixel as the plain processing leaves it); and the procedure's own paste and runny deposits, which
differ in how thin they spread (runny cement penetrates further between the trabeculae, Baroud
2006, docs/cement.md), so after processing runny cement must show more grey and less black.
"""

import numpy as np
import pytest

from trainer.core.xray import display
from trainer.core.xray.shapes import MARK_CEMENT, MARK_STEEL


def _disc(n=128, radius=14.0, core=0.8, rim=0.05):
    """A marked disc whose excess (log units) falls linearly from ``core`` at its centre to ``rim``."""
    yy, xx = np.mgrid[:n, :n]
    r = np.hypot(yy - n / 2, xx - n / 2)
    metal = r <= radius
    return np.where(metal, core - (core - rim) * r / radius, 0.0).astype(np.float32), metal, r


def test_cement_is_graded_from_its_margin_to_a_black_core():
    """Over dense bone (0.15 log units of room before black, as over a vertebral body on the
    lateral), shown plainly every pixel with more excess than that room is black; graded, the
    order of the excess is kept, the margin is grey and the core black (black from
    ``METAL_BLACK_LOG``, 0.3: a margin under 0.2 is compressed to at most 0.1 of its 0.15 room)."""
    excess, metal, r = _disc()
    under, top = 2.0, 2.15
    out = np.float32(under) + excess
    display._shade_metal(out, metal, metal, top, pixel_mm=1.0)
    plain = np.minimum(under + excess, top)
    margin = metal & (excess > 0.15) & (excess < 0.2)
    assert np.all(plain[margin] >= top)                       # plainly: black to the edge
    assert np.all(out[margin] < top - 0.03)                    # graded: grey
    order = np.argsort(excess[metal])
    assert np.all(np.diff(out[metal][order]) >= -1e-6)        # denser stays darker
    assert np.all(out[metal & (excess > 0.6)] >= top)          # the core black
    assert np.all(out[metal] > under)                          # and all of it darker than the bone
    assert np.array_equal(out[~metal], np.full((~metal).sum(), np.float32(under)))


def test_grading_never_amplifies_noise():
    excess, metal, r = _disc()
    noise = np.random.default_rng(9).normal(0, 0.02, excess.shape).astype(np.float32)
    a, b = np.float32(2.0) + excess, np.float32(2.0) + excess + noise
    for out in (a, b):
        display._shade_metal(out, metal, metal, 2.15, pixel_mm=1.0)
    grey = metal & (excess < 0.3)
    assert np.std((b - a)[grey]) <= np.std(noise[grey]) + 1e-6


def test_no_halo_round_the_cement(monkeypatch):
    """Through the whole processing chain, every unmarked pixel is what it is without the grading.
    The body is kept at the window's top (no headroom): the grading acts only where the room is short."""
    monkeypatch.setattr(display, "TARGET_HEADROOM_LOG", 0.0)
    n = 256
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:n, :n]
    img = (4.5 + 1.5 * xx / n + rng.normal(0, 0.01, (n, n))).astype(np.float32)
    img[100:156, 100:156] += 0.8                               # a vertebral body
    excess, metal, r = _disc(n, core=1.2, rim=0.1)
    px = 300 / n
    shown = display.carm_image(img + excess, None, px, metal=metal)
    monkeypatch.setattr(display, "_shade_metal", lambda *a, **k: None)
    plain = display.carm_image(img + excess, None, px, metal=metal)
    assert np.array_equal(shown[~metal], plain[~metal])
    # and the cement itself is graded (0.018 lighter on average since black starts at 0.3 log, not 0.45)
    assert shown[metal].mean() < plain[metal].mean() - 0.01


def test_steel_is_not_graded(monkeypatch):
    """Marked as steel (the renderer's MARK_STEEL) the same disc is shown as without the grading:
    a trocar's half-black width is its apparent width (the grading narrowed the lateral one).  The
    body at the window's top (no headroom), where the cement is graded."""
    monkeypatch.setattr(display, "TARGET_HEADROOM_LOG", 0.0)
    n = 256
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:n, :n]
    img = (4.5 + 1.5 * xx / n + rng.normal(0, 0.01, (n, n))).astype(np.float32)
    img[100:156, 100:156] += 0.8
    excess, metal, r = _disc(n, core=1.2, rim=0.1)
    marks = np.where(metal, MARK_STEEL, 0).astype(np.uint8)
    px = 300 / n
    steel = display.carm_image(img + excess, None, px, metal=marks)
    cement = display.carm_image(img + excess, None, px, metal=np.where(metal, MARK_CEMENT, 0).astype(np.uint8))
    plain = display.carm_image(img + excess, None, px, metal=metal)
    assert np.array_equal(cement, plain)                        # a bool mask grades all it marks
    assert steel[metal].mean() > cement[metal].mean() + 0.02


def test_the_renderer_marks_steel_and_cement_apart(small_renderer, symmetric_patient):
    from trainer.core.xray.geometry import Pose
    from trainer.core.xray.shapes import CementDeposit, TrocarShape

    lm = symmetric_patient.landmarks
    c = np.asarray(lm.body_centre_mm, float)
    trocar = TrocarShape(tuple(c + [0.0, 5.0, 0.0]), (0.0, -1.0, 0.0), 80.0, 3.0)     # across the lateral view
    centre_kji = np.rint(symmetric_patient.volume.grid.mm_to_index(c + [10.0, 0, 0])).astype(int)
    kji = np.argwhere(np.ones((9, 9, 9), bool)) + centre_kji - 4
    dep = CementDeposit(kji, np.full(len(kji), 0.9, np.float32))
    _, marks = small_renderer.render_shot(Pose(90.0, 0.0), 90.0, trocar=trocar, cement=dep)
    assert marks.dtype == np.uint8 and set(np.unique(marks)) == {0, MARK_STEEL, MARK_CEMENT}
    _, only_cement = small_renderer.render_shot(Pose(90.0, 0.0), 90.0, cement=dep)
    _, only_steel = small_renderer.render_shot(Pose(90.0, 0.0), 90.0, trocar=trocar)
    assert set(np.unique(only_cement)) == {0, MARK_CEMENT} and set(np.unique(only_steel)) == {0, MARK_STEEL}
    assert np.array_equal(marks == MARK_STEEL, only_steel == MARK_STEEL)


@pytest.mark.slow
def test_paste_and_runny_cement_look_different_after_processing():
    from trainer.core.procedure.cement import CementModel
    from trainer.core.procedure.cement.calibration import patient_of
    from trainer.core.procedure.plans import expert_target_mm
    from trainer.core.xray.detector import adrc, expose
    from trainer.core.xray.geometry import CArmGeometry, Pose
    from trainer.core.xray.renderer import FluoroRenderer

    patient = patient_of("l1-wedge-default")
    g = CArmGeometry(pixels=256)
    rend = FluoroRenderer(patient, g)
    tip = expert_target_mm(patient, "left")

    def deposit(minutes):
        m = CementModel(patient, "default", np.random.default_rng(3))
        m.mix(0.0)
        for s in range(12):                                   # 3 mL in 0.25 mL pushes
            assert m.inject(0.25, tip, 60.0 * minutes + 10.0 * s).accepted
        return m.deposit()

    idx = np.arange(g.pixels // 4, g.pixels - g.pixels // 4, 4)
    for pose, kvp0 in ((Pose(0.0, 0.0), 80.0), (Pose(90.0, 0.0), 90.0)):
        kvp, f = adrc(lambda k, pose=pose: rend.line_integrals_at(pose, k, idx, idx), kvp0)
        black, grey = {}, {}
        for label, minutes in (("paste", 5.5), ("runny", 2.0)):
            li, metal = rend.render_shot(pose, kvp, cement=deposit(minutes))
            ex = expose(li, 4, g, np.random.default_rng(1), kvp=kvp, abc=False, dose_scale=f)
            shown = display.carm_image(ex.image, ex.field_mask, g.pixel_mm, metal=metal)[metal > 0]
            black[label] = float((shown >= 0.999).mean())
            grey[label] = float((shown < 0.97).mean())
        assert black["paste"] > black["runny"] + 0.1
        assert grey["runny"] > 0.3 and grey["runny"] > grey["paste"] + 0.1
