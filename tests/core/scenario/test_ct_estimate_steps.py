"""The named steps of the CT landmark estimate (ct_import: rings, body, walls, endplates, canal,
pedicles) on a hand-built phantom whose answers are known by construction (1 mm voxels):

* body: an elliptic cortical shell 2 mm thick, outer semi-axes 20 mm (x) by 15 mm (y), centred at
  (0, 0), closed by 2 mm endplates at z = -12..-11 and 11..12 mm (outer faces -12.5 and +12.5);
* canal: a ring (outer radius 10 mm, wall 2 mm) centred at y = 24 mm, z = -5..5 mm, with solid
  pedicle bars joining it to the body's posterior wall at x = +-7..+-11 mm.
"""

import numpy as np
import pytest

from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.scenario import ct_import as ci


@pytest.fixture(scope="module")
def phantom():
    g = Grid((41, 81, 81), (1.0, 1.0, 1.0), (-40.0, -40.0, -20.0))
    x, y, z = g.axis_mm("x"), g.axis_mm("y"), g.axis_mm("z")
    Z, Y, X = np.meshgrid(z, y, x, indexing="ij")
    hu = np.full(g.shape, 40, np.int16)
    e_out = (X / 20.0) ** 2 + (Y / 15.0) ** 2 <= 1.0
    e_in = (X / 18.0) ** 2 + (Y / 13.0) ** 2 <= 1.0
    inside_z = np.abs(Z) <= 12.0
    hu[e_out & inside_z & ~e_in] = 800                       # shell
    hu[e_in & (np.abs(Z) >= 11.0) & inside_z] = 800          # endplates
    hu[e_in & (np.abs(Z) < 11.0)] = 150                      # marrow
    r = np.hypot(X, Y - 24.0)
    ring_z = np.abs(Z) <= 5.0
    hu[(r <= 10.0) & (r > 8.0) & ring_z] = 800
    bars = (np.abs(np.abs(X) - 9.0) <= 2.0) & (Y >= 12.0) & (Y <= 20.0) & ring_z
    hu[bars] = 800
    return Volume(hu=hu, labels=np.zeros(g.shape, np.uint8), grid=g, meta={"folder": "phantom"})


def test_rings_body_walls_endplates_canal_pedicles(phantom):
    hu, g = phantom.hu, phantom.grid
    sp = np.asarray(g.spacing_xyz_mm)
    x, y, z = g.axis_mm("x"), g.axis_mm("y"), g.axis_mm("z")
    rings = ci._rings(hu, sp, 400.0, "phantom")
    k0, hole = ci._body_ring(rings, x, y, z, 20, None, "phantom")
    assert abs(z[k0]) < 11.0 and hole[40, 40]                 # the marrow hole through the centre
    aw, pw, xc, i_c, j_c = ci._walls(rings.cortex, k0, hole, x, y, "phantom")
    # the outer faces at x = +-5..6 mm: y = +-15 * sqrt(1 - (x/20)^2) = +-14.4 mm (to the voxel)
    assert aw == pytest.approx(-14.4, abs=1.0) and pw == pytest.approx(14.4, abs=1.0)
    assert xc == pytest.approx(0.0, abs=1.0)
    sup, inf = ci._endplates(hu, sp, z, j_c, i_c, k0, 400.0)
    assert sup == pytest.approx(12.5, abs=1.0) and inf == pytest.approx(-12.5, abs=1.0)
    kp, cx, cy, ids = ci._canal(rings, x, y, z, inf, sup, pw, xc, "phantom")
    assert abs(z[kp]) <= 5.0 and cx == pytest.approx(0.0, abs=1.0) and cy == pytest.approx(24.0, abs=1.0)
    centres = ci._pedicles(rings, ids, kp, cx, cy, x, y, z, sp, "phantom")
    # at the canal centre's depth the pedicle is the canal ring's wall: from the canal's inner
    # radius (8 mm) outwards; its centre lies half its width (<= 6 mm) lateral to x = +-8 mm
    for side, s in (("left", 1.0), ("right", -1.0)):
        px, py, pz = centres[side]
        assert 8.0 <= s * px <= 14.5 and py == pytest.approx(24.0, abs=1.0) and abs(pz) <= 5.5


def test_estimate_is_the_steps_together(phantom):
    est = ci.estimate_landmarks(phantom)
    assert np.allclose(est["body_centre_mm"], (0.0, 0.0, 0.0), atol=1.0)
    assert est["superior_endplate_z_mm"] == pytest.approx(12.5, abs=1.0)
    assert est["inferior_endplate_z_mm"] == pytest.approx(-12.5, abs=1.0)
