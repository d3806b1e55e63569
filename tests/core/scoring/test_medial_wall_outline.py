"""The medial-wall rule stops checking at the body's real posterior outline, not at a flat wall (pass 112).

A hand-built body (1 mm voxels, the L1-like landmarks of ``scoring_streams``: flat posterior wall at y 16.5 mm,
left medial pedicle wall line at x 12 mm) whose back wall is concave where it meets the left pedicle: in the
columns x 9-11 mm its dense cortex ends at y 14 (back face 14.5 mm, 2 mm in front of the midline's wall) and the
two voxels behind it are labelled body but hold canal-like CT numbers (20 HU), as the abdominal L4 right's labels
do.  A line that crosses the medial wall line 0.1 mm in front of the flat wall and reaches 0.76 mm medial of it
(outer surface 2.26 mm, past the 2 mm Gertzbein-Robbins tolerance, FACTS.md 2) by the time it is in front of the
corner must fail; the flat wall let it pass.
"""

import numpy as np
import pytest
import scoring_streams as S

from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.anatomy.labels import Label
from trainer.core.anatomy.patient import Patient
from trainer.core.scoring import build_context, score_events

CORNER_X_MM = (9.0, 10.0, 11.0)


def _patient(corner: bool) -> Patient:
    g = Grid(shape=(21, 41, 61), spacing_xyz_mm=(1.0, 1.0, 1.0), origin_mm=(-30.0, -16.0, -10.0))
    x, y = g.axis_mm("x"), g.axis_mm("y")
    X, Y = np.meshgrid(x, y)                                   # (ny, nx)
    lab = np.full(X.shape, int(Label.MUSCLE), np.uint8)
    hu = np.full(X.shape, 40, np.int16)
    body = (Y <= 16.0) & (np.abs(X) <= 20.0)
    lab[body], hu[body] = int(Label.CANCELLOUS), 200
    shell = body & ((Y == 16.0) | (Y == -16.0) | (np.abs(X) == 20.0))
    lab[shell], hu[shell] = int(Label.BODY_CORTEX), 600
    canal = (Y > 16.0) & (np.abs(X) < 12.0)
    lab[canal], hu[canal] = int(Label.CANAL), 20
    if corner:
        cols = np.isin(X, CORNER_X_MM)
        lab[cols & (Y == 14.0)], hu[cols & (Y == 14.0)] = int(Label.BODY_CORTEX), 600
        hu[cols & (Y > 14.0) & (Y <= 16.0)] = 20                # labelled body, not bone
    vol = Volume(hu=np.repeat(hu[None], 21, axis=0), labels=np.repeat(lab[None], 21, axis=0), grid=g)
    return Patient(volume=vol, landmarks=S.landmarks())


def _corner_line() -> S.Stream:
    """Crosses x = 12 mm at y = 16.4 mm, 0.4 mm medial per mm forward (0.76 mm medial at y 14.5)."""
    s = S.Stream().decide(S.EXPECTED).align()
    s.place((12.0 + 13.6 * 0.4, 30.0, 0.0), (12.0 - 16.4 * 0.4, 0.0, 0.0)).advance_to_y(0.0, step_mm=1.0)
    return s.mix_and_wait().inject(3.0).finish()


def test_the_outline_reads_the_dense_back_wall_per_column():
    from trainer.core.anatomy.posterior_outline import posterior_outline, wall_hu  # new in round 25

    p = _patient(corner=True)
    assert wall_hu(p.volume) == pytest.approx(310.0)           # halfway between canal 20 and cortex 600 HU
    o = posterior_outline(p.volume, p.landmarks)
    for x in CORNER_X_MM:
        assert o.wall_y_mm((x, 0.0, 0.0), np.nan) == pytest.approx(14.5)
    for x in (-11.0, 0.0, 8.0, 12.0):
        assert o.wall_y_mm((x, 0.0, 0.0), np.nan) == pytest.approx(16.5)
    assert o.wall_y_mm((40.0, 0.0, 0.0), -1.0) == -1.0         # off the grid: the caller's flat wall


def test_a_line_past_the_medial_wall_in_front_of_the_flat_wall_but_behind_the_corner_fails():
    r = score_events(_corner_line().events, build_context(patient=_patient(corner=True), expected=S.EXPECTED))
    m = r.metric("medial_wall_rule")
    assert m.status == "fail" and m.critical_failed, m.detail
    assert m.value == pytest.approx(0.4 * (16.4 - 14.5) + 1.5, abs=0.02)   # axis 0.76 + radius 1.5 mm


def test_the_same_line_passes_where_the_back_wall_is_flat():
    r = score_events(_corner_line().events, build_context(patient=_patient(corner=False), expected=S.EXPECTED))
    assert r.metric("medial_wall_rule").status == "pass", r.metric("medial_wall_rule").detail


def test_the_outline_is_measured_once_per_patient_and_equals_a_fresh_one(monkeypatch):
    """build_context runs at an assessment's start, at its end and for the debrief, each time for the same patient;
    the outline is measured once (on 286e67d, once per build: 2 calls here) and is the one a fresh measurement
    gives; another patient (another volume) is measured anew."""
    import trainer.core.anatomy.posterior_outline as po
    import trainer.core.scoring.context as context

    fresh = po.posterior_outline(_patient(corner=True).volume, S.landmarks())
    calls = []

    def counted(volume, landmarks):
        calls.append(volume)
        return fresh_measure(volume, landmarks)

    fresh_measure = po.posterior_outline
    monkeypatch.setattr(po, "posterior_outline", counted)
    monkeypatch.setattr(context, "posterior_outline", counted, raising=False)   # 286e67d's import
    p = _patient(corner=True)
    first, second = (build_context(patient=p).posterior_outline for _ in range(2))
    assert len(calls) == 1, len(calls)
    assert second is first
    np.testing.assert_array_equal(first.back_y_mm, fresh.back_y_mm)           # NaN where no body, as fresh
    assert (first.x0_mm, first.z0_mm, first.dx_mm, first.dz_mm) == (fresh.x0_mm, fresh.z0_mm, fresh.dx_mm,
                                                                     fresh.dz_mm)
    other = _patient(corner=False)
    assert build_context(patient=other).posterior_outline.wall_y_mm((10.0, 0.0, 0.0), np.nan) == pytest.approx(16.5)
    assert len(calls) == 2
