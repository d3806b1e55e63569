"""What the renderer draws beyond the fine CT: the impacted bone under a fractured endplate and the rod
texture of the vertebrae two and more levels from the target.

Oracles: conservation of bone mass (the lost height's cancellous bone, ``trabecular_hu x loss x intact
middle height`` HU mm through the centre of a biconcave body, from the fracture's definition in
FACTS.md 1.6: middle height x (1 - f)); the issue's "neighbouring vertebrae as sharp as the target"
measured against the neighbours the fine grid holds; and the context's own labels.
"""

import numpy as np
import pytest

from trainer.core.anatomy.builder import column_for
from trainer.core.anatomy.hu import CORTEX_MM
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.params import AnatomyParams
from trainer.core.anatomy.radiographic import IMPACTION_MM, impaction_hu, outer_rod_texture
from trainer.core.xray import renderer as renderer_mod
from trainer.core.xray.geometry import CArmGeometry, Pose, project
from trainer.core.xray.renderer import FluoroRenderer, fine_box_mm


def _centre_profile(body, trab, dz=0.01):
    z = np.arange(body.zc - 20.0, body.zc + 20.0, dz)
    return z, impaction_hu(body, trab, np.zeros_like(z), np.zeros_like(z), z)


@pytest.mark.parametrize("grade, loss", [(1, 0.2), (2, 0.3), (3, 0.45)])
def test_impacted_bone_is_the_lost_heights_bone(grade, loss):
    params = AnatomyParams(level="T12", morphology="biconcave", fracture_grade=grade, height_loss_fraction=loss,
                           trabecular_hu=88.0, jitter=0.0, seed=3)
    body = column_for(params).target.body
    z, extra = _centre_profile(body, 88.0)
    lost_mm = loss * body.intact_middle_height_mm          # biconcave: middle height x (1 - f)
    assert float(extra.sum() * 0.01) == pytest.approx(88.0 * lost_mm, rel=0.01)
    # a band under each endplate's cortex, densest next to the endplate
    top, bot = body.top(0.0, 0.0), body.bottom(0.0, 0.0)
    on = z[extra > 0]
    in_top = (on <= top - CORTEX_MM + 0.01) & (on >= top - CORTEX_MM - IMPACTION_MM - 0.01)
    in_bot = (on >= bot + CORTEX_MM - 0.01) & (on <= bot + CORTEX_MM + IMPACTION_MM + 0.01)
    assert np.all(in_top | in_bot)
    z_near, z_far = top - CORTEX_MM - 0.2, top - CORTEX_MM - 0.8 * IMPACTION_MM
    if z_far > bot + CORTEX_MM + IMPACTION_MM:             # the two bands do not overlap there
        assert np.interp(z_near, z, extra) > 3.0 * np.interp(z_far, z, extra)


def test_no_impacted_bone_in_an_intact_body_or_beside_a_wedge_s_back():
    intact = column_for(AnatomyParams(fracture_grade=0, jitter=0.0, seed=3)).target.body
    assert not np.any(_centre_profile(intact, 95.0)[1])
    wedge = column_for(AnatomyParams(morphology="wedge", fracture_grade=2, jitter=0.0, seed=3)).target.body
    z = np.arange(wedge.zc - 20.0, wedge.zc + 20.0, 0.05)
    back = impaction_hu(wedge, 95.0, 0.0, wedge.b - 0.5, z)        # the posterior height is kept
    front = impaction_hu(wedge, 95.0, 0.0, -wedge.b + 2.0, z)
    assert float(back.sum()) < 0.05 * float(front.sum()) and float(front.sum()) > 0


def test_outer_texture_lies_in_the_outer_bodies_cores(symmetric_patient):
    outer = outer_rod_texture(symmetric_patient)
    assert len(outer) == 2                                   # above and below the fine box
    ctx = symmetric_patient.context[0]
    lo, hi = fine_box_mm(symmetric_patient.volume.grid)
    for grid, delta in outer:
        on = np.argwhere(delta != 0)
        assert on.size
        pts = grid.index_to_mm(on)
        assert abs(float(delta.sum())) < 1e-3 * float(np.abs(delta).sum())          # zero mean: no bone added
        inside_fine = np.all((pts >= lo - 1e-6) & (pts <= hi + 1e-6), axis=1)
        assert not inside_fine.any()                                               # nothing drawn twice
        kji = np.rint(ctx.grid.mm_to_index(pts)).astype(int)
        labels = ctx.labels[kji[:, 0], kji[:, 1], kji[:, 2]]
        assert float(np.mean(labels == Label.ADJACENT_VERTEBRA)) > 0.95             # the context's bodies


def _striation(img, frame, body):
    """SD of the left-right pixel differences over the middle of a body's lateral projection."""
    c = np.array([0.0, 0.0, body.zc + body.middle_local_z()])
    uv = np.asarray(project(frame, c[None]))[0, :2]
    du = np.asarray(project(frame, (c + [0.0, body.b / 2, 0.0])[None]))[0, :2] - uv
    dv = np.asarray(project(frame, (c + [0.0, 0.0, body.dims.posterior_height_mm / 4])[None]))[0, :2] - uv
    hu, hv = int(abs(du[0])), int(abs(dv[1]))
    win = np.asarray(img, float)[int(uv[1]) - hv:int(uv[1]) + hv, int(uv[0]) - hu:int(uv[0]) + hu]
    return float(np.diff(win, axis=1).std())


def test_body_two_levels_down_is_as_textured_as_the_next_one(symmetric_patient, monkeypatch):
    """Lateral, noise-free: L3 (context grid) shows the trabecular striation of L2 (fine grid); the
    plain 2 mm context showed a tenth of it."""
    col = column_for(symmetric_patient.params)
    pose = Pose(90.0, 0.0)

    def striation():
        r = FluoroRenderer(symmetric_patient, CArmGeometry(pixels=512))
        img, frame = r.line_integrals(pose, 90.0), r.frame(pose)
        return _striation(img, frame, col.below(2).body), _striation(img, frame, col.below(1).body)

    two, one = striation()
    assert two > 0.6 * one
    monkeypatch.setattr(renderer_mod, "outer_rod_texture", lambda patient: [])
    two_plain, one_plain = striation()
    assert one_plain == pytest.approx(one)
    assert two_plain < 0.3 * one_plain
