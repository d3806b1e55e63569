"""On a real patient CT the cement spreads along the patient's own cancellous bone and is drawn with
irregular, interdigitating edges, not as a block (issues 14 and 15; docs/cement.md "Real CT patients").

The TotalSegmentator abdominal CT at L4 (3 mm slices), labelled from the reference mask's landmarks; 3 mL
in 0.25 mL pushes from the gallery's tip (left pedicle axis, front of the middle third), paste (5.5 min)
and runny (2 min), seed 3.  Oracles: the patient's own labels and HU (a ball of the same volume round
the tip, which ignores the bone), and hand-made convex outlines (a block and a disc measure 1.00,
tests/core/xray/test_cement_outline_measure.py).  The measure: benchmarks/cement_shape.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from bench_loader import load_benchmark

from trainer.core.anatomy.labels import Label
from trainer.core.xray.geometry import Pose
from trainer.core.xray.renderer import FluoroRenderer
from trainer.core.xray.shapes import CementDeposit

#: a convex outline (block, disc, ellipse) measures 1.00-1.01; round 9's real-CT blocks 1.02-1.04
NOT_A_BLOCK = 1.05


@pytest.fixture(scope="module")
def case():
    cs = load_benchmark("cement_shape")
    iq = load_benchmark("image_quality")
    (name, patient, carm), = list(iq.real_cases((("totalseg", "L4"),)))
    tip = cs.real_tip_mm(patient)
    renderer = FluoroRenderer(patient, carm.geometry.with_pixels(512))
    models = {c: cs.inject(patient, minutes, 3, tip_mm=tip) for c, minutes in cs.CEMENTS.items()}
    return cs, patient, renderer, tip, models


def test_paste_is_not_a_block_and_differs_from_runny(case):
    cs, patient, renderer, _, models = case
    out = {}
    for c, m in models.items():
        for view, orbital in (("ap", 0.0), ("lateral", 90.0)):
            out[c, view] = cs.outline_ratio(cs.cement_path(renderer, Pose(orbital, 0.0), m.deposit()))
    for view in ("ap", "lateral"):
        assert out["paste", view]["ratio"] >= NOT_A_BLOCK, (view, out["paste", view])
        assert out["runny", view]["ratio"] >= NOT_A_BLOCK, (view, out["runny", view])
        # runny cement spreads further through the body on both views
        assert out["runny", view]["area_px"] >= 1.2 * out["paste", view]["area_px"], view


def test_flow_follows_the_patients_cancellous_bone(case):
    _, patient, _, tip, models = case
    vol = patient.volume
    canc = vol.labels == Label.CANCELLOUS
    for c, m in models.items():
        dep = m.deposit()
        k, j, i = dep.ijk.T
        labels = set(np.unique(vol.labels[k, j, i]).tolist())
        if m.leaked_ml == 0.0:       # no leak: only cancellous bone (and what it encloses) holds cement
            assert labels <= {int(Label.CANCELLOUS), int(Label.CLEFT), int(Label.BASIVERTEBRAL_VEIN),
                              int(Label.SEGMENTAL_VEIN)}, (c, labels)
        assert int(Label.BODY_CORTEX) not in labels or m.leaks, c
        assert int(Label.DISC) not in labels or any(lk.type == "D" for lk in m.leaks), c
        hu = float(vol.hu[k, j, i].astype(float).mean())
        # the oracle that ignores the bone: the same number of cancellous voxels nearest the tip
        ck = np.argwhere(canc)
        d = np.linalg.norm(vol.grid.index_to_mm(ck) - np.asarray(tip, float), axis=1)
        ball = ck[np.argsort(d, kind="stable")[:len(dep.ijk)]]
        ball_hu = float(vol.hu[ball[:, 0], ball[:, 1], ball[:, 2]].astype(float).mean())
        lo, hi = np.percentile(vol.hu[canc], [5, 95])
        assert lo < hu < hi, (c, hu, lo, hi)           # cancellous bone's HU, not cortex or soft tissue
        # the flow that ignored the bone gave +4.6 HU here (paste, round 9); now -11.5 (paste), -20 (runny)
        assert hu < ball_hu - 5.0, (c, hu, ball_hu)     # it went where the patient's bone is sparser


def test_same_seed_same_drawing(case):
    cs, patient, renderer, tip, models = case
    again = cs.inject(patient, cs.CEMENTS["paste"], 3, tip_mm=tip)
    a, b = models["paste"].deposit(), again.deposit()
    assert np.array_equal(a.ijk, b.ijk) and np.array_equal(a.fraction, b.fraction)
    fresh = FluoroRenderer(patient, renderer.geometry)
    da, db = renderer.drawn_cement(a), fresh.drawn_cement(CementDeposit(b.ijk.copy(), b.fraction.copy(), b.viscosity_pa_s))
    assert np.array_equal(da.ijk, db.ijk) and np.array_equal(da.fraction, db.fraction)
