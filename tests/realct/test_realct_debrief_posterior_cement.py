"""The debrief shows each failed rule where it happened: the cement past the posterior quarter, the bone entry's side.

Round 24 (passes 99 and 103): on the abdominal CT's L4 a resident who kept injecting after the cement reached the
posterior quarter of the body failed the stop rule, but the debrief's axial cut went through the tip (or, with the
trocar withdrawn, the body centre) and showed neither the most posterior cement nor the quarter's line: the rule
failed and the picture did not show why.  The bone entry read "lateral -0.04, cranial 0.23 radii": a signed number
after a side word.

Oracles: the cement model's deposit and leak voxels, turned into millimetres with the grid and searched with NumPy
for the most posterior in-body voxel (LPS: +y posterior); the landmarks' posterior wall and body depth for the
quarter's line (FACTS.md 2 and 3: stop when the cement reaches the posterior 25 % of the depth); the bone entry
from the procedure's own ``wall_crossed`` event against the pedicle's centre and radii, computed by hand.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from realct_cases import scenario_from_series

from trainer.core.procedure.expert_plan import ExpertPlan, play_expert
from trainer.core.procedure.machine import Procedure
from trainer.core.scoring import score
from trainer.core.scoring.metric import tissue_class
from trainer.core.scoring.validity import play, variant_by_id
from trainer.service.view import debrief_cuts

pytestmark = pytest.mark.slow

CYAN = (90, 230, 255)
ORANGE = (255, 150, 40)


@pytest.fixture(scope="module")
def l4(totalseg_ct, totalseg_series):
    sc, patient, _ = scenario_from_series(totalseg_ct, totalseg_series, "L4", "posterior-cement-L4.toml")
    return sc, patient


def _axial_z(title: str, sc) -> float:
    """The axial cut's z in the patient model's mm: the title gives the series' z (DICOM patient mm), the model is
    the series recentred on the scenario's ``body_centre_mm``."""
    m = re.match(r"Axial at z = (-?[\d.]+) mm in the CT series \(", title)
    assert m, title
    return float(m.group(1)) - float(sc.ct.landmarks["body_centre_mm"][2])


def test_the_axial_cut_goes_through_the_cement_past_the_posterior_quarter_and_draws_the_line(l4):
    sc, patient = l4
    proc = play(sc, patient, 0, variant_by_id("past_posterior_quarter"))
    report = score(proc)
    assert {m.id: m.status for m in report.metrics}["stop_rule"] == "fail"
    c = proc.cement
    cem = {tuple(v) for v in np.asarray(c.deposit().ijk).tolist()}
    leak = {tuple(v) for v in np.asarray(c.leak_voxels_kji()).tolist()}
    inside = np.array(sorted(cem - leak), float)
    pts = patient.volume.grid.index_to_mm(inside)
    y_post = pts[:, 1].max()
    lm = patient.landmarks
    depth = (lm.posterior_wall_y_mm - y_post) / lm.body_depth_mm
    assert depth <= 0.25
    assert depth == pytest.approx(c.posterior_extent_fraction, abs=1e-6)
    z_post = pts[np.isclose(pts[:, 1], y_post), 2]
    axial, sagittal = debrief_cuts(proc)
    z_cut = _axial_z(axial.title, sc)
    assert np.min(np.abs(z_post - z_cut)) < 0.05, (z_cut, sorted(set(z_post.tolist())))
    assert f"{lm.posterior_wall_y_mm - y_post:.1f} mm in front of the posterior wall" in axial.title
    # the ringed pixel is that cement, in cyan; the dashed line lies (y_post - y_quarter) / 0.5 mm rows below it
    col, row = (int(round(v)) for v in axial.posterior_cement_px)
    assert tuple(axial.rgb[row, col]) == CYAN
    y_quarter = lm.posterior_wall_y_mm - 0.25 * lm.body_depth_mm
    orange_rows = np.flatnonzero(np.all(axial.rgb == ORANGE, axis=-1).sum(axis=1) > 20)
    assert len(orange_rows)
    assert abs(orange_rows.mean() - (row + (y_post - y_quarter) / axial.pixel_mm)) <= 1.0
    # cyan cement lies behind (above) the line in the picture: the reason the rule failed is in view
    cyan_rows = np.flatnonzero(np.all(axial.rgb == CYAN, axis=-1).any(axis=1))
    assert cyan_rows.min() < orange_rows.min()
    assert sagittal.quarter_px > 0


def test_the_bone_entry_names_its_sides_with_unsigned_radii(l4):
    sc, patient = l4
    proc = play_expert(Procedure(sc, patient=patient, render=False),
                       ExpertPlan(sides=("left",), medial_error_deg=15.0))
    entry = next(e.data for e in proc.events if e.kind == "wall_crossed" and e.data.get("inward")
                 and e.data.get("point_mm") is not None and tissue_class(e.data.get("tissue_to")) == "bone")
    ped = patient.landmarks.pedicle_left
    dx = entry["point_mm"][0] - ped.centre_mm[0]            # LPS: +x is the patient's left, lateral for the left
    dz = entry["point_mm"][2] - ped.centre_mm[2]
    detail = next(m for m in score(proc).metrics if m.id == "entry_point").detail
    m = re.search(r"\(([\d.]+) radii (medial|lateral) and ([\d.]+) radii (superior|inferior) of it\)", detail)
    assert m, detail
    assert m.group(2) == ("lateral" if dx >= 0 else "medial")
    assert m.group(4) == ("superior" if dz >= 0 else "inferior")
    assert float(m.group(1)) == pytest.approx(abs(dx) / (ped.width_mm / 2), abs=0.006)
    assert float(m.group(3)) == pytest.approx(abs(dz) / (ped.height_mm / 2), abs=0.006)
    assert "-" not in detail.split("(", 1)[1]


def test_a_withdrawn_trocar_that_entered_the_canal_is_still_in_the_cuts(l4):
    """The validity variant withdraws its trocar before Finish: the cuts went through the body centre with no
    path, so a canal breach had no picture.  Oracle: the session's own events (the deepest tip of the trocar
    placed) and the label volume at that tip."""
    sc, patient = l4
    proc = play(sc, patient, 0, variant_by_id("canal_entered"))
    assert proc.trocar is None
    assert {m.id: m.status for m in score(proc).metrics}["canal_foramen_breach"] == "fail"
    placed = next(e.data for e in proc.events if e.kind == "trocar_placed")
    deepest = max((e.data for e in proc.events if e.kind == "trocar_moved" and e.data.get("tip_mm") is not None),
                  key=lambda d: d["depth_mm"])
    skin, tip = np.asarray(placed["skin_mm"], float), np.asarray(deepest["tip_mm"], float)
    axial, sagittal = debrief_cuts(proc)
    assert "deepest tip, trocar withdrawn" in axial.title, axial.title
    assert _axial_z(axial.title, sc) == pytest.approx(tip[2], abs=0.05)
    assert len(axial.path_px) == 2 and len(sagittal.path_px) == 2
    # axial picture: columns run to the patient's right (-x), rows to anterior (-y): the path points as -(dx, dy)
    d_pic = axial.path_px[-1] - axial.path_px[0]
    d_mm = -(tip - skin)[:2]
    cos = float(d_pic @ d_mm / np.linalg.norm(d_pic) / np.linalg.norm(d_mm))
    assert cos > 0.999
    # the deepest wall breach of the session is named with its Gertzbein-Robbins grade (FACTS.md 2: < 2, 2-4, > 4 mm)
    # and ringed red in both cuts
    worst = max((e.data for e in proc.events if e.kind == "breach" and e.data.get("breach_mm")),
                key=lambda d: d["breach_mm"])
    b = worst["breach_mm"]
    grade = 1 if b < 2.0 else 2 if b <= 4.0 else 3
    assert f"{b:.1f} mm, Gertzbein-Robbins grade {grade}" in axial.title, axial.title
    for cut in (axial, sagittal):
        assert np.all(cut.rgb == (255, 60, 60), axis=-1).sum() > 20


def test_the_axial_title_gives_the_series_z_the_landmark_editor_shows(l4):
    """Round 27's walk-through (pass 128): the debrief titled its axial cut "Axial at z = +4.5 mm", the patient
    model's z, where the landmark editor and ``import-ct`` said 317.2 mm.  Oracles: the series' own slice
    positions (ImagePositionPatient z, read here with pydicom) and the scenario's endplates, which ``import-ct``
    writes in the series' mm: the tip inside the vertebra is between them, in the series."""
    import pydicom

    from trainer.core.procedure.expert_plan import ExpertPlan, play_expert

    sc, patient = l4
    proc = play_expert(Procedure(sc, patient=patient, render=False), ExpertPlan(sides=("left",)))
    # the expert withdraws the trocar at the end: the cut goes through its deepest tip (the events' own)
    tip = proc.trocar.tip_mm if proc.trocar is not None else max(
        (e.data for e in proc.events if e.kind == "trocar_moved" and e.data.get("tip_mm") is not None),
        key=lambda d: d["depth_mm"])["tip_mm"]
    axial, _ = debrief_cuts(proc)
    m = re.match(r"Axial at z = (-?[\d.]+) mm in the CT series \(through the (deepest )?tip", axial.title)
    assert m, axial.title
    z = float(m.group(1))
    slices_z = [float(pydicom.dcmread(f, stop_before_pixels=True).ImagePositionPatient[2])
                for f in sorted(sc.ct.folder.iterdir()) if f.is_file()]
    assert min(slices_z) <= z <= max(slices_z), (z, min(slices_z), max(slices_z))
    lm = sc.ct.landmarks
    assert float(lm["inferior_endplate_z_mm"]) < z < float(lm["superior_endplate_z_mm"]), (z, lm)
    # to the tenth of a mm: the tip in the model plus the body centre the model was recentred on
    assert z == pytest.approx(float(tip[2]) + float(lm["body_centre_mm"][2]), abs=0.051)
