"""Trocar geometry, tissue and wall crossings on the analytic phantom (known geometry)."""

import numpy as np
import pytest
from procedure_phantom import medial_rotation, rotate_z

from trainer.core.errors import ActionRefused
from trainer.core.procedure import trocar as T
from trainer.core.procedure.walls import PEDICLE_WALLS, WallModel, gr_grade


@pytest.fixture(scope="module")
def walls(phantom):
    return WallModel(phantom)


def _line(phantom, side, rot_deg=0.0):
    ped = phantom.landmarks.pedicle(side)
    e = np.asarray(ped.entry_mm)
    a = rotate_z(ped.axis, rot_deg)
    return e - 40 * a, e + 30 * a


def _drive(walls, tr, steps):
    crossings = []
    for s in steps:
        mv = T.move(walls, tr, s)
        crossings += mv.crossings
        tr = mv.trocar
    return tr, crossings


def test_place_puts_the_tip_on_the_skin(walls, phantom):
    entry, target = _line(phantom, "left")
    tr = T.place(walls, "left", entry, target).trocar
    assert tr.depth_mm == 0 and tr.tissue == "skin"
    assert 69.0 <= tr.skin_mm[1] <= 70.6          # phantom skin is y 68..70
    d = np.asarray(target) - np.asarray(entry)
    assert np.allclose(tr.direction, d / np.linalg.norm(d))
    assert tr.gauge == 11 and tr.outer_diameter_mm == 3.0


def test_place_refuses_a_line_that_never_meets_the_skin(walls):
    with pytest.raises(ActionRefused, match="never meets the skin"):
        T.place(walls, "left", (0.0, 200.0, 0.0), (0.0, 200.0, 10.0))


def test_along_the_pedicle_axis_reaches_the_body_without_a_pedicle_breach(walls, phantom):
    entry, target = _line(phantom, "left")
    tr, cr = _drive(walls, T.place(walls, "left", entry, target).trocar, [25.0] * 3)
    walls_hit = [c.wall for c, _ in cr]
    assert walls_hit == ["bone_entry", "body_posterior"]
    assert all(c.inward for c, _ in cr)
    assert tr.tissue == "cancellous"
    assert tr.max_breach_mm == 0.0 and tr.grade == 0
    assert tr.min_medial_margin_mm > 0.5


def test_fifteen_degrees_medial_breaches_the_medial_wall_into_the_canal(walls, phantom):
    entry, target = _line(phantom, "left", 15.0 * medial_rotation("left"))
    tr, cr = _drive(walls, T.place(walls, "left", entry, target).trocar, [5.0] * 14)
    ped = [(c, b) for c, b in cr if c.wall in PEDICLE_WALLS]
    assert ped, [c.wall for c, _ in cr]
    c, breach = ped[0]
    assert c.wall == "pedicle_medial" and not c.inward and c.tissue_to == "canal"
    assert breach > 0 and gr_grade(breach) >= 1
    assert tr.grade >= 1 and tr.min_medial_margin_mm < 0


def test_right_side_medial_breach_is_also_medial(walls, phantom):
    entry, target = _line(phantom, "right", 15.0 * medial_rotation("right"))
    tr, cr = _drive(walls, T.place(walls, "right", entry, target).trocar, [5.0] * 14)
    assert [c.wall for c, _ in cr if c.wall in PEDICLE_WALLS][0] == "pedicle_medial"


def test_fifteen_degrees_lateral_breaches_the_lateral_wall(walls, phantom):
    entry, target = _line(phantom, "left", -15.0 * medial_rotation("left"))
    tr, cr = _drive(walls, T.place(walls, "left", entry, target).trocar, [5.0] * 14)
    assert [c.wall for c, _ in cr if c.wall in PEDICLE_WALLS][0] == "pedicle_lateral"
    assert tr.min_medial_margin_mm > 0


def test_gertzbein_robbins_grades():
    assert [gr_grade(b) for b in (0.0, 0.1, 1.99, 2.0, 4.0, 4.01)] == [0, 1, 1, 2, 2, 3]


def test_cannot_advance_beyond_the_working_length(walls, phantom):
    entry, target = _line(phantom, "left")
    tr = T.place(walls, "left", entry, target, length_mm=100.0).trocar
    tr = T.move(walls, tr, 90.0).trocar
    with pytest.raises(ActionRefused, match="working length is 100"):
        T.move(walls, tr, 10.5)
    assert T.move(walls, tr, 10.0).trocar.depth_mm == pytest.approx(100.0)


def test_withdrawing_past_the_skin_removes_the_trocar(walls, phantom):
    entry, target = _line(phantom, "left")
    tr = T.move(walls, T.place(walls, "left", entry, target).trocar, 20.0).trocar
    assert T.move(walls, tr, -19.0).trocar.depth_mm == pytest.approx(1.0)
    assert T.move(walls, tr, -25.0).trocar is None


def test_aim_is_free_in_soft_tissue_and_limited_in_bone(walls, phantom):
    entry, target = _line(phantom, "left")
    tr = T.move(walls, T.place(walls, "left", entry, target).trocar, 15.0).trocar
    assert tr.tissue in ("fat", "muscle")
    mv, change, redirection = T.aim(walls, tr, rotate_z(tr.direction, 25.0))
    assert change == pytest.approx(25.0) and not redirection
    tr = T.move(walls, T.place(walls, "left", entry, target).trocar, 50.0).trocar
    assert tr.tissue == "pedicle_left"
    with pytest.raises(ActionRefused, match="withdraw"):
        T.aim(walls, tr, rotate_z(tr.direction, 6.0))
    mv, change, redirection = T.aim(walls, tr, rotate_z(tr.direction, 3.0))
    assert change == pytest.approx(3.0) and not redirection
    # back into soft tissue: a big change is possible again and counts as a redirection
    out = T.move(walls, mv.trocar, -30.0).trocar
    assert out.tissue in ("fat", "muscle") and out.been_in_bone
    mv, change, redirection = T.aim(walls, out, rotate_z(out.direction, -10.0))
    assert redirection and mv.trocar.redirections == 1


def test_tip_stays_on_the_axis_through_skin_puncture(walls, phantom):
    entry, target = _line(phantom, "left")
    tr = T.move(walls, T.place(walls, "left", entry, target).trocar, 12.0).trocar
    tr = T.aim(walls, tr, rotate_z(tr.direction, 10.0))[0].trocar
    v = tr.tip_mm - np.asarray(tr.skin_mm)
    assert np.linalg.norm(np.cross(v, tr.direction)) < 1e-9
    assert np.dot(v, tr.direction) == pytest.approx(tr.depth_mm)
