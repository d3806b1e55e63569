"""The picked entry's line in the trocar panel: the point the place action records, each coordinate named, in mm.

Round 36 (a first-time resident on the real chest CT): "Entry picked: x +0.8, z +3.1 mm (depth +41.1)": the y
coordinate called "depth", with no unit, a word the same panel uses for the trocar's depth along its path ("depth
0.0 of 120 mm") once it is placed. Oracle: the ``place`` action written to the session file (its ``entry_mm``)
after a real click on the AP image and the P key.
"""

from __future__ import annotations

import json
import re


def test_the_entry_line_reads_the_recorded_entry_in_mm_with_each_axis_named(checklist_done):
    w, d = checklist_done()
    d.align()
    d.pick_entry("right")                                    # a mouse click on the AP image over the pedicle
    text = w.trocar.entry_label.text()
    shown = re.fullmatch(r"Entry picked: x ([-+][\d.]+), y ([-+][\d.]+), z ([-+][\d.]+) mm \(from the body centre\)\. "
                         r"Place it \(P\), or click again\.", text)
    assert shown is not None, text
    assert "depth" not in text
    d.place()
    placed = [json.loads(line) for line in w.controller.path.read_text().splitlines()]
    entry = next(e["action"]["entry_mm"] for e in placed if e.get("action", {}).get("type") == "place")
    assert [float(v) for v in shown.groups()] == [round(float(c), 1) for c in entry]
