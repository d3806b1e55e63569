"""The next-step line above the tabs when the tip is in danger.

Round 27's walk-through (abdominal L3): the trocar entered the spinal canal, the trocar panel said in red "tip: in the
spinal canal", and the line above the tabs went on "Inject in small steps with lateral checks...".  Oracle: the
trocar panel's own zone line (the core's tip zone, trainer.core.scoring.tip_zone) shown beside it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt


def test_the_hint_says_withdraw_while_the_tip_is_in_the_canal(checklist_done):
    w, d = checklist_done()
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


def _lines_needed(label, text: str) -> int:
    """How many lines ``text`` takes word-wrapped in ``label``'s width and font."""
    from PySide6.QtCore import QRect

    width = label.contentsRect().width() - 2 * label.margin()
    rect = label.fontMetrics().boundingRect(QRect(0, 0, width, 100000), Qt.TextFlag.TextWordWrap, text)
    return round(rect.height() / label.fontMetrics().lineSpacing())


def _lines_held(label) -> int:
    return label.contentsRect().height() // label.fontMetrics().lineSpacing()


def test_each_stage_hint_fits_the_line_above_the_tabs(checklist_done):
    """Round 35's walk-through (1600 x 1000, real X): after "proceed" the line above the Procedure tab read "Square the
    C-arm: ... turn the orbital (Ctrl+Left/Right) until the spinous process lies midway", cut there: the line holds two
    lines of text and the hint needed four ("between the pedicles. Then click the AP image over the pedicle." unseen).
    Every stage's hint, and the ones made from the procedure's state, fit the lines it holds in its column."""
    from trainer.ui.help import IN_BODY_HINTS, STAGE_HINTS, stage_hint

    w, d = checklist_done(size=(1600, 1000))
    d.pump(0.05)
    assert w.hint.text() == stage_hint(w.view)      # the Procedure tab's column
    held = _lines_held(w.hint)
    assert _lines_needed(w.hint, w.hint.text()) <= held, (w.hint.text(), held)
    made = ["Decision made: finish the session (Ctrl+Enter) to see the debrief.",
            "Both views taken: click the AP image over the pedicle to pick the entry, then place (P).",
            *(f"The tip is {zone}: withdraw it (Z) and re-aim; no cement through it."
              for zone in ("in the spinal canal", "in a neural foramen")), *IN_BODY_HINTS.values()]
    for text in [*STAGE_HINTS.values(), *made]:
        assert _lines_needed(w.hint, text) <= held, (text, held)


def test_the_access_hint_moves_on_once_the_tip_is_in_the_body(checklist_done):
    """Round 40's first-use walk (pass 202, the 5 mm abdominal L3): with the trocar panel at "tip: middle third of the
    body (0.65)" the line above the tabs still said "Advance (A) ... until past the posterior wall", a step done.
    Now, while the tip is in the body, it says where to bring it, and at the target zone to mix.  Oracle: the trocar
    panel's zone line (the core's tip zone) and the score's anterior-third band, 0.67-0.90 (FACTS.md 2)."""
    w, d = checklist_done()
    d.align()
    d.key(Qt.Key.Key_1)
    d.idle()
    d.pick_entry("left", w.patient_landmarks.pedicle("left").entry_mm)
    d.place()
    seen = {}
    for _ in range(40):                                     # Advance (A) until the tip reaches the target zone
        zone = w.trocar.tissue_label.text()
        if "of the body (" in zone:
            seen.setdefault(w.view.trocar.zone_level, (zone, w.hint.text()))
        if w.view.trocar.zone_level in ("target", "danger"):
            break
        d.key(Qt.Key.Key_A)
        d.idle()
    assert "target" in seen and len(seen) >= 2, seen       # the body reached before its anterior third
    for level, (zone, hint) in seen.items():
        assert "past the posterior wall" not in hint, (zone, hint)
        if level == "target":
            assert "anterior third: mix the cement (M)" in hint, (zone, hint)
        else:
            assert "bring it to 0.67-0.90 of the depth" in hint, (zone, hint)
