"""Save docs/screenshots/25-debrief-assessment-notes.png: the debrief of a resumed session with its assessment notes.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/screenshot_assessment_notes.py \\
        [--out docs/screenshots/25-debrief-assessment-notes.png] [--more DIR]

The session is the clean expert's on a copy of the default case in the instructor's own folder, stopped before
its finish (the window killed), its line ends turned CR LF on the way (a mail program, git's autocrlf) and the
case file edited since (its title).  The trainer resumes it, the resident finishes it, and the debrief says what
``vptrainer assess`` says about that file, at its top.  ``--more DIR``: also the Resume offer
(``resume-offer-notes.png``), the window right after the resume (``resume-notes.png``, the notes above the images)
and the review (``review-notes.png``).  Everything lives in
a temporary home folder; the user's sessions, settings and store are never touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs/screenshots/25-debrief-assessment-notes.png")
    ap.add_argument("--more", default=None, metavar="DIR", help="also the resumed window and the review")
    args = ap.parse_args(argv)
    os.environ["HOME"] = tempfile.mkdtemp(prefix="vpt-notes-")
    for var in ("XDG_DATA_HOME", "VPTRAINER_STORE"):
        os.environ.pop(var, None)
    from screenshots import grab

    from trainer import SCENARIOS_DIR
    from trainer.core.anatomy.cache import cached_patient
    from trainer.core.procedure.expert_plan import expert_actions
    from trainer.core.scenario.loader import load_scenario
    from trainer.core.session.live import LiveSession
    from trainer.ui.app import create_window, default_session_dir, startup
    from trainer.ui.demo import GuiDriver
    from trainer.ui.resume import ResumeOffer
    from trainer.ui.settings import throwaway_settings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    cases = Path(os.environ["HOME"]) / "cases"
    cases.mkdir()
    toml = cases / "l1-wedge-anna.toml"
    shutil.copy(SCENARIOS_DIR / "l1-wedge-default.toml", toml)
    sc = load_scenario(toml)
    sessions = default_session_dir()
    sessions.mkdir(parents=True, exist_ok=True)
    session = sessions / "l1-wedge-anna-20261207-091500.jsonl"
    with LiveSession(sc, session, seed=7, trainee="anna", render=False, patient=cached_patient(sc.anatomy)) as live:
        for action in expert_actions(sc, live.procedure.patient)[:-1]:        # killed before the finish
            live.apply(action)
    session.write_bytes(session.read_bytes().replace(b"\n", b"\r\n"))
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('title = "', 'title = "Anna\'s L1 (target band narrowed) - ', 1), encoding="utf-8")

    settings = throwaway_settings(sessions.parent)
    settings.remember_scenario_folder(cases)
    window = create_window(sessions, settings)
    window.resize(1600, 1000)
    window.move(0, 0)
    driver = GuiDriver(window, timeout_s=120)
    offer = startup(window)
    if not isinstance(offer, ResumeOffer):
        print("no resume offer: nothing to show", file=sys.stderr)
        return 2
    if args.more:
        Path(args.more).mkdir(parents=True, exist_ok=True)
        driver.pump(0.3)
        offer.grab().save(str(Path(args.more) / "resume-offer-notes.png"))
    driver.click(offer.resume_button)
    driver.wait_until(lambda: window.view is not None, "the resumed session")
    driver.idle()
    driver.pump(0.5)
    if args.more:
        grab(window, Path(args.more) / "resume-notes.png")
    driver.finish()
    driver.pump(0.5)
    grab(window, Path(args.out))
    print("notes shown:", *window.debrief.notes.lines(), sep="\n  ")
    if args.more:
        shown = []
        review = window.show_review()
        review.momentShown.connect(shown.append)
        driver.wait_until(lambda: shown, "the review")
        driver.pump(0.5)
        grab(window, Path(args.more) / "review-notes.png")
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))          # tools/screenshots.py's grab
    sys.exit(main())
