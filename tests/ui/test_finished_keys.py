"""The procedure keys after Finish: every one says the procedure is finished, none gives advice it cannot follow.

Round 36 (a first-time resident on the real chest CT, under Xvfb with real X keys): after Finish, letters typed
into an editor that had not taken the keyboard reached the main window, and T answered "Switch trocar: no trocar
is in the right pedicle (choose Right and pick its entry on the AP image to place one)", P "Place: click the AP
image over the pedicle first." - steps a finished procedure no longer takes. The other keys already said "No
procedure in progress". Oracles: the session file (nothing recorded after the finish line) and the words on the
status line.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier
NONE = Qt.KeyboardModifier.NoModifier

#: every procedure key of Help > Keyboard shortcuts but F (the pedal, which takes no action when finished)
KEYS = [("S", Qt.Key.Key_S, NONE), ("V", Qt.Key.Key_V, NONE), ("1", Qt.Key.Key_1, NONE), ("2", Qt.Key.Key_2, NONE),
        ("Ctrl+Left", Qt.Key.Key_Left, CTRL), ("Ctrl+Up", Qt.Key.Key_Up, CTRL), ("P", Qt.Key.Key_P, NONE),
        ("T", Qt.Key.Key_T, NONE), ("Left", Qt.Key.Key_Left, NONE), ("Up", Qt.Key.Key_Up, NONE),
        ("A", Qt.Key.Key_A, NONE), ("Shift+A", Qt.Key.Key_A, SHIFT), ("Z", Qt.Key.Key_Z, NONE),
        ("M", Qt.Key.Key_M, NONE), ("I", Qt.Key.Key_I, NONE), ("W", Qt.Key.Key_W, NONE)]


@pytest.mark.parametrize("with_trocar", [True, False], ids=["trocar-in", "no-trocar"])
def test_every_procedure_key_after_finish_says_it_is_finished(checklist_done, with_trocar):
    w, d = checklist_done()
    if with_trocar:
        d.align()
        d.pick_entry("left")
        d.place()
        d.advance_to(0.3)
    w.show()
    d.finish()
    session = w.controller.path
    lines = session.read_text().splitlines()
    for name, key, mod in KEYS:
        before = len(w.status.log)
        d.key(key, mod)
        d.idle()
        said = w.status.log[before:]
        assert len(said) == 1, (name, said)
        assert said[0].startswith("The procedure is finished"), (name, said)
        for advice in ("click the AP image", "pick its entry", "place the trocar", "start or resume"):
            assert advice not in said[0], (name, said)
    assert session.read_text().splitlines() == lines           # nothing recorded after the finish
