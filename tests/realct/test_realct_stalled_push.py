"""A push of cement that does not go in is said in the window (round 41, pass 211).

A resident on the abdominal CT as 5 mm slabs at L2 (the body centre typed as the 3 mm series' estimate, as the
instructor of pass 211 did), the trocar through the left pedicle to 0.69 of the body's depth: the 7th push of 0.25
mL delivered 0.093 mL and every later one nothing, while the status line stayed empty.  The actions are the ones
that session recorded (xdotool under Xvfb), submitted to the window as its keys and clicks submit them.
Oracle: the session file the window wrote, read back with the stdlib json module: each inject's summary holds
the mL injected so far, so a push's share is the difference from the one before.
"""

from __future__ import annotations

import json

import pytest
from realct_gui import ct_window, start_ct

from trainer.cli import main
from trainer.core.scenario.loader import load_scenario

pytestmark = pytest.mark.slow

#: the pass's actions after the checklist: square (-4 deg), AP and lateral shots, the entry picked on the AP,
#: 21 advances of 5 mm (105 mm), mixing, four minutes' wait
ACCESS = ([{"type": "carm", "orbital_deg": -4.0, "tilt_deg": 0.0}, {"type": "shot"},
           {"type": "carm", "orbital_deg": 86.0, "tilt_deg": 0.0}, {"type": "shot"},
           {"type": "carm", "orbital_deg": -4.0, "tilt_deg": 0.0},
           {"type": "place", "side": "left", "gauge": 11, "length_mm": 120.0, "entry_mm": [8.552, 43.414, 3.153],
            "target_mm": [7.926, 7.556, 6.29]}]
          + [{"type": "advance", "mm": 5.0}] * 21 + [{"type": "mix"}] + [{"type": "wait", "s": 30.0}] * 8)


@pytest.fixture(scope="module")
def l2_case(totalseg_5mm_series):
    root, folder = totalseg_5mm_series
    out = root / "stall-l2.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", "L2", "--out", str(out), "--force",
                 "--body-centre", "5.5", "-135.1", "350.3"]) == 0
    return load_scenario(out)


def test_a_stalled_push_is_said_on_the_status_line(qtbot, l2_case, tmp_path):
    w, d = ct_window(qtbot, tmp_path / "sessions", tmp_path / "settings.ini")
    start_ct(w, d, l2_case)
    d.answer_checklist({k: g["expected"] for k, g in w.scenario.decisions.gates.items()})
    for action in ACCESS:
        w.controller.submit(dict(action))
        d.idle()
    said = []
    for _ in range(8):
        before = len(w.status.log)
        w.controller.submit({"type": "inject", "ml": 0.25})
        d.idle()
        said.append([m for m in w.status.log[before:] if "plunger" in m])
        if said[-1]:            # the window's status line shows it whole or in its short words (1600 px wide)
            assert w.status.currentMessage() in (said[-1][0], said[-1][0].split(" (")[0] + \
                ": look for a leak on AP and lateral, or stop."), w.status.currentMessage()
    rows = [json.loads(line) for line in w.controller.path.read_text().splitlines()]
    so_far = [0.0] + [r["summary"]["injected_ml"] for r in rows if r.get("action", {}).get("type") == "inject"]
    delivered = [b - a for a, b in zip(so_far, so_far[1:])]
    assert len(delivered) == 8, rows[-1]
    stalled = [i for i, ml in enumerate(delivered) if ml < 0.25 - 1e-6]
    assert stalled, delivered                              # the case this guards: some push went short
    for i, ml in enumerate(delivered):
        if i in stalled:
            assert len(said[i]) == 1 and f"{ml:.2f} of the 0.25 mL went in" in said[i][0], (i, delivered, said)
        else:
            assert said[i] == [], (i, said[i])
