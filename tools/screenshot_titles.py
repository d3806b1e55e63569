"""Save the case picker listing your own scenarios whose titles place the level differently
(docs/screenshots/26-picker-titles.png).

Run under a virtual X screen:

    PYTHONPATH=. xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/screenshot_titles.py [--out DIR]

Four copies of built-in cases are written to ``~/cases/`` of a temporary home folder, each with another title:
the level in the middle ("Abdomen L3 teaching case" on L3), the same words on an L4 case, the level as the
last word ("Real abd L3"), and no level at all ("Teaching case").  The picker opens that folder and the first
of them is selected and the list scrolled to its end, so the four rows and the heading on the right are in the
picture.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication

from trainer import REPO_ROOT, SCENARIOS_DIR
from trainer.ui.app import create_window, default_session_dir, startup
from trainer.ui.demo import GuiDriver
from trainer.ui.settings import throwaway_settings

#: (file name, built-in case it copies, the title it gets)
CASES = (("a-abdomen-l3.toml", "l3-crush-grade3", "Abdomen L3 teaching case"),
         ("b-abdomen-l4.toml", "l4-wide-pedicles", "Abdomen L3 teaching case"),
         ("c-real-abd.toml", "l3-crush-grade3", "Real abd L3"),
         ("d-no-level.toml", "l3-crush-grade3", "Teaching case"))


def write_cases(folder: Path) -> None:
    """The :data:`CASES` in ``folder``: each built-in file with its ``title = ...`` line replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, builtin, title in CASES:
        text = (SCENARIOS_DIR / f"{builtin}.toml").read_text(encoding="utf-8")
        text, n = re.subn(r'(?m)^title = ".*"$', f'title = "{title}"', text, count=1)
        if n != 1:
            raise SystemExit(f"screenshot_titles: no title line in {builtin}.toml")
        (folder / name).write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO_ROOT / "docs" / "screenshots"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ["HOME"] = tempfile.mkdtemp(prefix="vpt-titles-")
    os.environ.pop("XDG_DATA_HOME", None)
    cases = Path(os.environ["HOME"]) / "cases"
    write_cases(cases)
    sessions = default_session_dir()
    window = create_window(sessions, throwaway_settings(sessions.parent))
    window.move(0, 0)
    driver = GuiDriver(window, timeout_s=60)
    picker = startup(window)
    picker.add_folder(cases)                      # selects the first file: the level in the middle
    picker.list.scrollToBottom()                  # the four rows in view, below the built-in cases
    driver.pump(0.5)
    rows = [picker.list.item(i).text().splitlines()[0] for i in range(picker.list.count())]
    print("\n".join(rows[-len(CASES):]))
    QApplication.processEvents()
    screen = QApplication.primaryScreen()
    pix = screen.grabWindow(0) if QApplication.platformName() == "xcb" else picker.grab()
    path = out / "26-picker-titles.png"
    if not pix.save(str(path)):
        raise SystemExit(f"screenshot_titles: cannot write {path}")
    print(f"saved {path} ({pix.width()}x{pix.height()})")
    picker.close()
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
