"""docs/screenshots/26-picker-titles.png (tools/screenshot_titles.py): the picker rows of four titles that place
the level differently read as docs/user-guide.md section 1 says.  Oracle: the rows as the guide writes them,
typed here by hand, and the picture the tool saves.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


def test_the_titles_shot_lists_a_middle_level_as_written_and_another_level_in_front(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "screenshot_titles.py"), "--out", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    rows = r.stdout.splitlines()[:4]
    assert rows == ["Abdomen L3 teaching case",          # L3 case: the level in the middle, kept where it is
                    "L4 · Abdomen L3 teaching case",     # L4 case: the title names another level
                    "L3 · Real abd",                     # the level as the last word: moved to the front
                    "L3 · Teaching case"], r.stdout      # no level in the title: put in front
    shot = QImage(str(tmp_path / "26-picker-titles.png"))
    assert not shot.isNull() and shot.width() >= 1000 and shot.height() >= 600, (shot.width(), shot.height())
    guide = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    assert "(screenshots/26-picker-titles.png)" in guide
