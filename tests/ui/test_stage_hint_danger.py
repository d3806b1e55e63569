"""The next-step line above the tabs when the tip is in danger.

Round 27's walk-through (abdominal L3): the trocar entered the spinal canal, the trocar panel said in red "tip: in the
spinal canal", and the line above the tabs went on "Inject in small steps with lateral checks...".  Oracle: the
trocar panel's own zone line (the core's tip zone, trainer.core.scoring.tip_zone) shown beside it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt


def test_the_hint_says_withdraw_while_the_tip_is_in_the_canal(make_window):
    w, d = make_window()
    picker = w.show_picker()
    assert picker.select("l1-wedge-default")
    d.start(picker)
    d.answer_checklist({k: g["expected"] for k, g in w.scenario.decisions.gates.items()})
    d.align()
    d.key(Qt.Key.Key_1)
    d.idle()
    lm = w.patient_landmarks
    entry = lm.pedicle("left").entry_mm
    body_x = lm.body_centre_mm[0]
    d.pick_entry("left", (body_x + 0.25 * (entry[0] - body_x), entry[1], entry[2]))   # over the canal, not the pedicle
    d.place()
    for _ in range(40):                                     # Advance (A) until the tip is in danger
        if w.view.trocar.zone_level == "danger":
            break
        d.key(Qt.Key.Key_A)
        d.idle()
    assert w.view.trocar.zone_level == "danger", w.trocar.tissue_label.text()
    zone = w.view.trocar.zone
    assert w.trocar.tissue_label.text() == f"tip: {zone}"
    hint = w.hint.text()
    assert hint.startswith(f"The tip is {zone}") and "withdraw it (Z)" in hint, hint
    assert zone in ("in the spinal canal", "in a neural foramen"), zone
