"""Review mode: moments replayed from the session file, the 3-D scene, the timeline."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from review_depth import hidden_surfaces

from trainer.core.anatomy.builder import build_patient
from trainer.core.scenario.loader import load_scenario
from trainer.ui.review_scene import STRUCTURES, anatomy_surfaces


def _enclosed_volume_mm3(verts, faces) -> float:
    """Volume inside a closed triangle mesh (divergence theorem)."""
    v0, v1, v2 = (verts[faces[:, i]].astype(float) for i in range(3))
    return abs(float(np.einsum("ij,ij->i", v0, np.cross(v1, v2)).sum()) / 6.0)


def test_surfaces_enclose_the_labelled_volumes():
    patient = build_patient(load_scenario(None).anatomy)
    vol = patient.volume
    surfaces = {s.name: s for s in anatomy_surfaces(patient)}
    assert set(surfaces) == set(STRUCTURES)
    for name, (labels, _rgba) in STRUCTURES.items():
        n = int(np.isin(vol.labels, [int(v) for v in labels]).sum())
        labelled = n * vol.grid.voxel_volume_mm3
        s = surfaces[name]
        # the isosurface of the block-averaged mask encloses the labelled volume (+-15 %)
        assert _enclosed_volume_mm3(s.vertices_mm, s.faces) == pytest.approx(labelled, rel=0.15), name
    # the pedicle walls lie around each pedicle's entry and the canal around the midline
    ped = surfaces["pedicles"].vertices_mm
    for side in ("left", "right"):
        entry = np.asarray(patient.landmarks.pedicle(side).entry_mm)
        near = np.linalg.norm(ped - entry, axis=1).min()
        assert near < 6.0, side
    canal = surfaces["canal"].vertices_mm
    assert abs(canal[:, 0].mean()) < 2.0


def test_review_replays_moments_from_the_session(make_window):
    w, d = make_window()
    picker = w.show_picker()
    d.start(picker)
    d.answer_checklist({"candidacy": "proceed"})
    d.align()
    d.pick_entry("left")
    d.place()
    d.advance_to(0.6)
    d.key(Qt.Key.Key_S)
    d.idle()
    d.mix_and_wait()
    d.inject(0.75, shot_every=3)
    for k in (Qt.Key.Key_2, Qt.Key.Key_S):
        d.key(k)
        d.idle()
    final_images = {v: m._image.copy() for v, m in w.monitors.items() if m.has_image}
    d.finish()
    d.click(w.debrief.review_button)
    review = w.review
    shown = []
    review.momentShown.connect(shown.append)
    d.wait_until(lambda: shown, "the final moment")
    m = shown[-1]
    assert m.index == len(review.record.entries) - 1
    items = review.state_items()
    assert items["surfaces"] == 3 and items["trocars"] == 1 and items["cement_points"] > 0
    # the legend's yellow pedicle walls are seen: until round 22 the translucent bone was drawn first
    # and the depth test hid the pedicles inside it ("[('pedicles', 'bone')]")
    assert hidden_surfaces(review) == []
    # the final moment replayed from the file shows exactly the images the trainee last saw
    for v, pixels in final_images.items():
        np.testing.assert_array_equal(review.monitors[v]._image, pixels)
    assert review.timeline.count() == sum(e["accepted"] for e in review.record.entries)
    injected = [review.timeline.item(i).text() for i in range(review.timeline.count())
                if review.timeline.item(i).data(Qt.ItemDataRole.UserRole + 1) == "inject"]
    assert injected and injected[-1].split("total ")[1].startswith(f"{w.debrief.report_json['cement_injected_ml']:.2f}")
    # an earlier moment: the row of the placement shows the trocar and no cement
    rows = [review.timeline.item(i) for i in range(review.timeline.count())]
    place_row = next(i for i, it in enumerate(rows) if it.data(Qt.ItemDataRole.UserRole + 1) == "place")
    review.timeline.setCurrentRow(place_row)
    d.wait_until(lambda: shown[-1].index == rows[place_row].data(Qt.ItemDataRole.UserRole), "the placement")
    items = review.state_items()
    assert items["trocars"] == 1 and items["cement_points"] == 0
    skin, tip = review.moment.state.trocars[0][1:]
    assert np.linalg.norm(tip - skin) < 1.0                  # just placed: the tip on the skin
    # and before it, no trocar at all; the images are those of the alignment shots
    review.timeline.setCurrentRow(place_row - 1)
    d.wait_until(lambda: shown[-1].index < rows[place_row].data(Qt.ItemDataRole.UserRole), "the alignment")
    assert review.state_items()["trocars"] == 0
    assert set(review.moment.images) == {"ap", "lateral"}
    d.click(review.back_button)
    assert w.stack.currentWidget() is w.debrief
