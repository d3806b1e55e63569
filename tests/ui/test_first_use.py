"""What a first-time trainee hit (issue 16): each test drives the window with real events."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from trainer.core.session.reader import read_session


def _start(w, d, scenario: str):
    picker = w.show_picker()
    assert picker.select(scenario)
    d.start(picker)
    return picker


# ------------------------------------------------------------------ 1. stale checklist answers
def test_a_new_session_shows_no_answer_of_the_previous_patient(make_window):
    w, d = make_window()
    _start(w, d, "l1-wedge-default")
    d.click(w.chart.buttons[("inr", "acceptable")])
    d.idle()
    assert w.chart.buttons[("inr", "acceptable")].isChecked()
    _start(w, d, "l1-inr-high")
    assert w.view.decisions == {}
    checked = [key for key, b in w.chart.buttons.items() if b.isChecked()]
    assert checked == []


# ------------------------------------------------------------------ 2. keyboard auto-repeat on F
def _send_key(w, kind, auto_repeat: bool) -> None:
    ev = QKeyEvent(kind, Qt.Key.Key_F, Qt.KeyboardModifier.NoModifier, "f", auto_repeat)
    QApplication.sendEvent(w.stack, ev)


@pytest.mark.parametrize("marked", [True, False], ids=["repeat-marked", "repeat-unmarked"])
def test_a_held_f_with_auto_repeat_is_one_exposure(make_window, marked):
    """X auto-repeat arrives as release/press pairs every ~40 ms; Qt marks them auto-repeat only
    when it can tell (``marked``).  Either way the pedal never came up: one exposure."""
    w, d = make_window()
    _start(w, d, "l1-wedge-default")
    d.answer_checklist({"candidacy": "proceed"})
    d.key(Qt.Key.Key_1)
    d.idle()
    n_before = len(read_session(w.controller.path).actions)
    w.activateWindow()
    _send_key(w, QEvent.Type.KeyPress, False)
    d.pump(0.3)
    for _ in range(20):                                   # 20 repeats, 40 ms apart
        _send_key(w, QEvent.Type.KeyRelease, marked)
        _send_key(w, QEvent.Type.KeyPress, marked)
        d.pump(0.04)
    _send_key(w, QEvent.Type.KeyRelease, False)
    d.wait_until(lambda: not w.carm.fluoro_on, "the pedal to come up")
    d.idle()
    shots = [a for a in read_session(w.controller.path).actions[n_before:] if a["type"] == "shot"]
    assert shots, "the held key took no image"
    starts = [a for a in shots if not a.get("continuous")]
    assert len(starts) == 1                               # one exposure, however many repeats
    assert len(shots) <= 8                                # one action per 250 ms tick at most, not per repeat


# ------------------------------------------------------------------ 3. PDF debrief without stub pages
POOR_ACTIONS = """\
{"type": "decide", "item": "candidacy", "answer": "proceed"}
{"type": "carm", "preset": "ap"}
{"type": "shot"}
{"type": "carm", "preset": "lateral"}
{"type": "shot"}
"""


def _pdf_pages(pdf) -> list[str]:
    """Text of each page, by poppler's pdftotext (an independent reader of the PDF)."""
    import subprocess

    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    n = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    return [subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout for i in range(1, n + 1)]


def _ink_fraction(pdf, page: int) -> float:
    """Share of non-white pixels of a page rendered by pdftoppm at 30 dpi."""
    import subprocess

    import numpy as np

    out = subprocess.run(["pdftoppm", "-r", "30", "-gray", "-f", str(page), "-l", str(page), str(pdf)],
                         capture_output=True, check=True).stdout
    # binary PGM: P5\n<w> <h>\n255\n<data>
    head, rest = out.split(b"\n", 3)[:3], out.split(b"\n", 3)[3]
    w, h = (int(v) for v in head[1].split())
    pix = np.frombuffer(rest[: w * h], np.uint8)
    return float((pix < 200).mean())


def test_pdf_debrief_has_no_nearly_blank_page(tmp_path, capsys):
    """A poor attempt (many lessons, a long metric table): no page is a stub before a forced break."""
    from trainer.cli import main as cli_main

    actions = tmp_path / "poor.jsonl"
    expert = [line for line in Path("tests/data/expert_l1_left.jsonl").read_text().splitlines(True)
              if line.startswith("{")
              and '"decide"' not in line and '"finish"' not in line]
    actions.write_text(POOR_ACTIONS + "".join(expert[:40]) + '{"type": "finish"}\n')
    session = tmp_path / "poor-session.jsonl"
    assert cli_main(["play", "--actions", str(actions), "--out", str(session), "--pixels", "128"]) == 0
    pdf = tmp_path / "debrief.pdf"
    assert cli_main(["assess", str(session), "--pdf", str(pdf)]) == 0
    capsys.readouterr()
    pages = _pdf_pages(pdf)
    text = "".join(pages)
    for needle in ("Vertebroplasty debrief", "What to work on", "Metrics", "Timeline",
                   "Cement volume injected", "Fluoroscopy time"):
        assert needle in text
    assert 3 <= len(pages) <= 5
    for i, page in enumerate(pages, 1):
        assert len(page.strip()) > 600, f"page {i} of {len(pages)} is nearly blank: {page.strip()[:80]!r}"
        assert _ink_fraction(pdf, i) > 0.02, f"page {i} renders nearly blank"


# ------------------------------------------------------------------ 4. aim buttons where the arrows point
def test_trocar_angles_by_hand():
    from trainer.ui.trocar_panel import trocar_angles_deg

    s, c = np.sin(np.radians(15)), np.cos(np.radians(15))
    # left pedicle (+x), heading anterior (-y) and towards the midline (-x), 10 deg headwards
    e = np.sin(np.radians(10))
    d = np.array([-s * np.sqrt(1 - e * e), -c * np.sqrt(1 - e * e), e])
    assert trocar_angles_deg(d, "left") == pytest.approx((15.0, 10.0), abs=1e-9)
    assert trocar_angles_deg(d * [-1, 1, 1], "right") == pytest.approx((15.0, 10.0), abs=1e-9)
    assert trocar_angles_deg(d, "right") == pytest.approx((-15.0, 10.0), abs=1e-9)


def _trocar_placed(make_window, side: str):
    """``(window, driver)`` on the default case with the ``side`` trocar placed after an AP shot."""
    w, d = make_window()
    _start(w, d, "l1-wedge-default")
    d.answer_checklist({"candidacy": "proceed"})
    for k in (Qt.Key.Key_1, Qt.Key.Key_S):
        d.key(k)
        d.idle()
    d.pick_entry(side)
    d.place()
    assert w.view.trocar is not None and w.view.trocar.side == side
    return w, d


@pytest.mark.parametrize("side", ["left", "right"])
def test_aim_buttons_sit_where_the_arrow_keys_turn_the_trocar(make_window, side):
    from trainer.ui.trocar_panel import trocar_angles_deg

    w, d = _trocar_placed(make_window, side)

    def angles():
        return trocar_angles_deg(w.view.trocar.direction, side)

    for key, button, arrow in (("left", "left", Qt.Key.Key_Left), ("right", "right", Qt.Key.Key_Right),
                               ("up", "up", Qt.Key.Key_Up)):
        b = w.trocar.aim_buttons[button]
        assert f"[{key.capitalize()} arrow]" in b.toolTip()
        m0, c0 = angles()
        d.click(b)
        d.idle()
        m1, c1 = angles()
        d.key(arrow)
        d.idle()
        m2, c2 = angles()
        # the button and its arrow key turn the same way by the same step
        assert (m1 - m0, c1 - c0) == pytest.approx((m2 - m1, c2 - c1), abs=0.05)
        label = b.text()
        if "Medial" in label:
            assert m1 - m0 == pytest.approx(w.trocar.aim_deg, abs=0.3)
        elif "Lateral" in label:
            assert m1 - m0 == pytest.approx(-w.trocar.aim_deg, abs=0.3)
        elif "Cranial" in label:
            assert c1 - c0 == pytest.approx(w.trocar.aim_deg, abs=0.3)
    m, c = angles()
    ways = ("medial" if round(m, 1) >= 0 else "lateral", "cranial" if round(c, 1) >= 0 else "caudal")
    assert w.trocar.angle_label.text() == f"Angles: {ways[0]} {abs(m):.1f}°, {ways[1]} {abs(c):.1f}°"
    # the left pedicle is on the left of the AP image: its medial side is image right
    assert ("Medial" in w.trocar.aim_buttons["right"].text()) == (side == "left")


def test_a_caudally_aimed_trocar_reads_caudal_not_minus_cranial(make_window):
    """Pass 99: "cranial -13.0°" for a trocar aimed at the feet; a resident reads "caudal 13.0°".

    The oracle is the trocar's direction itself (LPS, skin to tip): its angle below the axial plane."""
    w, d = _trocar_placed(make_window, "left")

    def below_axial_deg():
        dx, dy, dz = (float(v) for v in w.view.trocar.direction)
        return float(np.degrees(np.arctan2(-dz, np.hypot(dx, dy))))

    for _ in range(12):                                   # Down: aim towards the feet
        if below_axial_deg() > 5.0:
            break
        d.key(Qt.Key.Key_Down)
        d.idle()
    down = below_axial_deg()
    assert down > 5.0
    text = w.trocar.angle_label.text()
    assert f"caudal {down:.1f}°" in text, text
    assert "cranial" not in text and "-" not in text, text
    for _ in range(12):                                   # Up: back over the axial plane, towards the head
        if below_axial_deg() < -1.0:
            break
        d.key(Qt.Key.Key_Up)
        d.idle()
    assert f"cranial {-below_axial_deg():.1f}°" in w.trocar.angle_label.text()


# ------------------------------------------------------------------ 5. buttons stay under the mouse
def _button_places(w) -> dict:
    from PySide6.QtWidgets import QPushButton

    out = {}
    for panel in (w.carm, w.trocar, w.cement):
        for i, b in enumerate(panel.findChildren(QPushButton)):
            out[(panel.title(), i)] = (b.mapTo(w, b.rect().topLeft()), b.size())
    return out


def test_buttons_do_not_move_when_texts_change(make_window):
    from trainer.core.scenario.rheology import _CONSISTENCY
    from trainer.service.view import CementView

    w, d = make_window()
    _start(w, d, "l1-wedge-default")
    d.answer_checklist({"candidacy": "proceed"})
    for k in (Qt.Key.Key_1, Qt.Key.Key_S):
        d.key(k)
        d.idle()
    d.pump(0.1)
    before = _button_places(w)
    d.pick_entry("right")                         # the entry text appears
    d.pump(0.1)
    assert "Entry picked" in w.trocar.entry_label.text()
    assert _button_places(w) == before
    d.place()
    d.pump(0.1)
    after_place = _button_places(w)
    assert {k: v[0] for k, v in after_place.items()} == {k: v[0] for k, v in before.items()}
    windows = w.view.cement.windows_min
    assert windows and windows["working_from"] < windows["setting_from"] < windows["set_from"]
    for phase, t_min in (("runny", 1.0), ("working", 6.0), ("setting", 11.0), ("set", 20.0)):
        for _upper, text in _CONSISTENCY:
            w.cement.show_cement(CementView(True, 60 * t_min, phase, text * 2, 1.25, True, windows, "Product X"))
            d.pump(0.02)
            assert _button_places(w) == after_place, (phase, text)
    assert w.cement.phase_bar.height() == w.cement.phase_bar.HEIGHT_PX
    spans = w.cement.phase_bar.spans_min()
    assert [s[0] for s in spans] == ["runny", "working", "setting", "set"]
    assert spans[1][1] == windows["working_from"] and spans[2][1] == windows["setting_from"]


# ------------------------------------------------------------------ 6. presets keep the correction
def test_presets_keep_the_orbital_correction_of_a_rotated_patient(make_window):
    w, d = make_window()
    _start(w, d, "l1-rotated-8deg")
    d.answer_checklist({"candidacy": "proceed"})
    d.key(Qt.Key.Key_1)
    d.idle()
    assert w.view.pose.orbital_deg == 0.0
    w.carm.orbital.setValue(8.0)                   # the trainee squares the rotated patient on AP
    w.carm.tilt.setValue(-4.0)
    d.click(w.carm.move_button)
    d.idle()
    assert (w.view.pose.orbital_deg, w.view.pose.tilt_deg) == (8.0, -4.0)
    d.key(Qt.Key.Key_2)                            # lateral keeps the 8 deg, with its own tilt (0)
    d.idle()
    assert (w.view.view, w.view.pose.orbital_deg, w.view.pose.tilt_deg) == ("lateral", 98.0, 0.0)
    d.click(w.carm.ap_button)                      # back to AP: the corrected pose, tilt included
    d.idle()
    assert (w.view.view, w.view.pose.orbital_deg, w.view.pose.tilt_deg) == ("ap", 8.0, -4.0)
    d.key(Qt.Key.Key_V)
    d.idle()
    assert w.view.pose.orbital_deg == 98.0
    assert "orbital 8.0°" in w.carm.ap_button.toolTip() and "[1]" in w.carm.ap_button.toolTip()
    # a new session starts from the nominal presets again
    _start(w, d, "l1-wedge-default")
    d.answer_checklist({"candidacy": "proceed"})
    d.key(Qt.Key.Key_2)
    d.idle()
    assert w.view.pose.orbital_deg == 90.0


# ------------------------------------------------------------------ 7. scenario errors in the picker
def test_picker_wraps_errors_reloads_fixed_files_and_never_duplicates_built_ins(make_window, tmp_path):
    import shutil

    from trainer import SCENARIOS_DIR

    w, d = make_window()
    w.open_scenario_action.trigger()               # Session > Open scenario file…
    picker = w.dialogs[-1]
    dlg = picker.file_dialog
    assert dlg is not None and dlg.isVisible()
    assert Path(dlg.directory().absolutePath()).resolve() == SCENARIOS_DIR.resolve()   # not the sessions folder
    dlg.reject()
    n = picker.list.count()
    bad = tmp_path / "case.toml"
    shutil.copy("tests/data/bad_scenarios/inr-negative.toml", bad)
    picker.add_scenario_file(str(bad))
    assert picker.list.count() == n + 1 and picker.current_scenario() is None
    picker.resize(700, 500)
    d.pump(0.05)
    text = picker.details.toPlainText()
    assert "expected a number from 0.5 to 10" in text
    assert picker.details.horizontalScrollBar().maximum() == 0      # wrapped: nothing hidden sideways
    assert "expected a number from 0.5 to 10" in picker.list.currentItem().toolTip()
    # the instructor fixes the file and opens it again: the same row, now valid
    bad.write_text(bad.read_text().replace("inr = -1.0", "inr = 1.1"))
    picker.add_scenario_file(str(bad))
    assert picker.list.count() == n + 1
    sc = picker.current_scenario()
    assert sc is not None and sc.chart["labs"]["inr"] == 1.1
    assert picker.start_button.isEnabled()
    # a built-in file opened from disk selects the built-in row
    picker.add_scenario_file(str(SCENARIOS_DIR / "l2-discitis.toml"))
    assert picker.list.count() == n + 1 and picker.current_scenario().id == "l2-discitis"
    # rows read "L1 fracture, ...", not "L1 · L1 fracture, ..."
    rows = [picker.list.item(i).text() for i in range(n)]
    assert not any(r.startswith("L1 · L1") for r in rows) and any(r.startswith("L1 fracture") for r in rows)


# ------------------------------------------------------------------ 8. after finishing
def test_after_finishing_the_images_stay_reachable_and_each_debrief_opens_clean(make_window):
    w, d = make_window()
    _start(w, d, "l1-wedge-default")
    d.answer_checklist({"candidacy": "proceed"})
    for k in (Qt.Key.Key_1, Qt.Key.Key_S, Qt.Key.Key_2, Qt.Key.Key_S):
        d.key(k)
        d.idle()
    d.finish()
    assert w.stack.currentWidget() is w.debrief
    table = w.debrief.table
    table.verticalScrollBar().setValue(table.verticalScrollBar().maximum())
    assert table.verticalScrollBar().value() > 0
    d.click(w.debrief.images_button)                      # back to the monitors and the final images
    assert w.stack.currentIndex() == 0
    assert w.monitors["ap"].has_image and w.monitors["lateral"].has_image
    assert not w.carm.isEnabled()                          # read-only: the attempt is over
    assert w.finish_button.text().startswith("Show the debrief")
    d.click(w.finish_button)
    assert w.stack.currentWidget() is w.debrief
    # a deferred patient: no rows of N/A, no cut "through the tip" of a trocar that never was
    _start(w, d, "l1-inr-high")
    answers = {k: g["expected"] for k, g in w.scenario.decisions.gates.items()}
    assert answers["candidacy"] != "proceed"
    d.answer_checklist(answers)
    d.finish()
    assert table.verticalScrollBar().value() == 0
    statuses = {table.item(i, 2).text() for i in range(table.rowCount())}
    assert "N/A" not in statuses and table.rowCount() >= 1
    n_na = sum(m["status"] == "n/a" for m in w.debrief.report_json["metrics"])
    assert n_na > 5 and f"{n_na} metrics did not apply" in w.debrief.summary.text()
    assert "tip" not in w.debrief.axial.title.text() and "trocar path" not in w.debrief.sagittal.title.text()


# ------------------------------------------------------------------ 9 and in-app help
def test_help_guide_hints_status_and_tooltips(make_window):
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractSlider,
        QAbstractSpinBox,
        QComboBox,
    )

    from trainer.ui.help import USER_GUIDE

    w, d = make_window()
    guide = w.show_user_guide()
    text = guide.browser.toPlainText()
    # the rendered guide holds every section heading of docs/user-guide.md
    headings = [line.lstrip("#").strip() for line in USER_GUIDE.read_text().splitlines() if line.startswith("## ")]
    assert len(headings) >= 8 and all(h.replace("`", "") in text for h in headings)
    w.show_shortcuts()
    sc = w.dialogs[-1]
    assert "The user guide" in sc.browser.toPlainText()       # the last line is there, in a scrolling view
    _start(w, d, "l1-wedge-default")
    assert "answer every item" in w.hint.text()
    d.answer_checklist({"candidacy": "proceed"})
    # proceeding: the status bar and the hint move on before the first shot
    assert w.status.fields["stage"].text() == "C-arm alignment"
    assert w.hint.text().startswith("Square the C-arm")
    # every control of the procedure column and the monitors says what it does
    missing = []
    for parent in (w.carm, w.trocar, w.cement, *w.monitors.values(), w.finish_button.parent()):
        controls = [c for kind in (QAbstractButton, QAbstractSpinBox, QComboBox, QAbstractSlider)
                    for c in parent.findChildren(kind)]
        for ctl in controls:
            if not ctl.toolTip() and ctl.isVisibleTo(w):
                missing.append(ctl.text() if hasattr(ctl, "text") and callable(ctl.text) else type(ctl).__name__)
    assert missing == []
    # and a control with a shortcut names it
    for ctl, key in ((w.carm.shot_button, "[S]"), (w.carm.fluoro_button, "[hold F]"), (w.carm.ap_button, "[1]"),
                     (w.carm.lat_button, "[2]"), (w.trocar.place_button, "[P]"), (w.cement.mix_button, "[M]"),
                     (w.cement.inject_button, "[I]"), (w.cement.wait_buttons[30], "[W]"),
                     (w.trocar.advance_buttons["in_fine"], "[Shift+A]"), (w.finish_button, "[Ctrl+Enter]")):
        assert key in ctl.toolTip(), (ctl.text(), ctl.toolTip())


def test_user_guide_shows_every_screenshot_it_names(make_window):
    from trainer.ui.help import IMAGE_WIDTH_PX, USER_GUIDE

    w, _d = make_window()
    guide = w.show_user_guide()
    named = USER_GUIDE.read_text().count("](screenshots/")
    assert named >= 6 and guide.image_count == named
    guide.resize(IMAGE_WIDTH_PX + 80, 600)
    QApplication.processEvents()
    assert guide.browser.horizontalScrollBar().maximum() == 0      # scaled to fit: no sideways scrolling
