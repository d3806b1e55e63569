"""Save the trainer window at each stage of an expert procedure into docs/screenshots/.

Run under a virtual X screen (tools/screenshots.sh):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/screenshots.py [--out DIR]

Stages: 01-picker, 02-checklist (S pressed before the checklist decision: turned away, the
checklist shown), 03-aligned, 04-trocar, 05-cement, 06-debrief, 08-review (3-D view and
timeline), 09-user-guide (Help > User guide).  With ``--bipedicular``: the t11-bipedicular case
with two trocars at once, 10-two-trocars (both in, before the cement) and 11-two-trocars-cement
(the cement through each cannula).  With ``--no-ap-checks``: only 21-debrief-no-ap-check, the debrief of
the expert with no AP check during the injection (failed on the rule ``no_ap_check``, round 26).  The
whole screen is grabbed, so dialogs over the window are in the picture.  Sessions, settings and the
trainee store (records) go to a temporary folder; the user's are never touched (until round 23 the
sessions were recorded in the user's store).  That folder stands in
as the home folder (``HOME``) for the run, so the status line shows the paths a user sees on a standard
install (``~/.local/share/vptrainer/sessions/...``), not a temporary ``/tmp/vpt-shots-...`` one
(08-review and 19-real-ct-review showed it until round 23).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from trainer import REPO_ROOT
from trainer.core.procedure.expert_plan import play_expert
from trainer.core.procedure.machine import Procedure
from trainer.core.scoring import score
from trainer.ui.app import create_window, default_session_dir, startup
from trainer.ui.demo import GuiDriver, window_expert_plan
from trainer.ui.settings import throwaway_settings


def grab(window, path: Path) -> None:
    QApplication.processEvents()
    screen = QApplication.primaryScreen()
    pix = screen.grabWindow(0) if QApplication.platformName() == "xcb" else window.grab()
    if not pix.save(str(path)):
        raise SystemExit(f"screenshots: cannot write {path}")
    print(f"saved {path} ({pix.width()}x{pix.height()})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO_ROOT / "docs" / "screenshots"))
    ap.add_argument("--scenario", default=None, help="scenario id or file (default: the default scenario)")
    ap.add_argument("--bipedicular", action="store_true", help="only the two-trocar screenshots (10, 11)")
    ap.add_argument("--no-ap-checks", action="store_true",
                    help="only the debrief (21-debrief-no-ap-check) of the expert who injects with no AP check")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # a throwaway home: the sessions and the store in its standard data folder, shown as ~/...
    os.environ["HOME"] = tempfile.mkdtemp(prefix="vpt-shots-")
    for var in ("XDG_DATA_HOME", "VPTRAINER_STORE"):
        os.environ.pop(var, None)
    sessions = default_session_dir()
    window = create_window(sessions, throwaway_settings(sessions.parent))
    window.move(0, 0)
    driver = GuiDriver(window, timeout_s=120)
    picker = startup(window, "t11-bipedicular" if args.bipedicular else args.scenario)
    driver.pump(0.5)
    if args.bipedicular:
        answers = {k: g["expected"] for k, g in picker.current_scenario().decisions.gates.items()}
        two = {"two trocars": "10-two-trocars", "two trocars cement": "11-two-trocars-cement"}

        def two_stage(name):
            driver.idle()
            driver.pump(0.3)
            if name in two:
                grab(window, out / f"{two[name]}.png")

        driver.bipedicular_run(picker, answers, stages=two_stage)
        print(f"score shown: {window.debrief.shown_score}; session: {window.controller.path}")
        window.close()
        return 0
    answers = {k: g["expected"] for k, g in picker.current_scenario().decisions.gates.items()}
    names = {"aligned": "03-aligned", "trocar": "04-trocar", "cement": "05-cement", "debrief": "06-debrief"}

    def stage(name):
        driver.idle()
        driver.pump(0.3)
        grab(window, out / f"{names[name]}.png")

    if args.no_ap_checks:
        # the clean expert with every AP check during the injection left out (the validity catalogue's
        # no_ap_checks): the debrief fails it on the rule no_ap_check (realct-log pass 119)
        names = {"debrief": "21-debrief-no-ap-check"}
        driver.start(picker)
        plan = replace(window_expert_plan(answers), ap_check_ml=None)
        driver.play(plan, stage)
        print(f"score shown: {window.debrief.shown_score}; session: {window.controller.path}")
        window.close()
        return 0
    grab(window, out / "01-picker.png")
    # the checklist stage as a first-time trainee meets it: S pressed before the decision is turned
    # away, the window shows the chart and checklist and says what to do first
    driver.start(picker)
    driver.key(Qt.Key.Key_S)
    driver.idle()
    driver.pump(0.3)
    grab(window, out / "02-checklist.png")
    plan = window_expert_plan(answers)
    driver.play(plan, stage, {"align": "aligned", "access": "trocar", "cement": "cement"})
    # the same plan played without a window: an assessor sees the two agree (realct-log pass 98)
    headless = score(play_expert(Procedure(window.scenario, patient=driver.patient(), render=False), plan))
    print(f"score shown: {window.debrief.shown_score} (the same plan headless: {headless.score}); "
          f"session: {window.controller.path}")
    # review mode: the final moment replayed, the 3-D view turned to show the trocar's path
    shown = []
    review = window.show_review()
    review.momentShown.connect(shown.append)
    driver.wait_until(lambda: shown, "the review")
    rows = [review.timeline.item(i).text() for i in range(review.timeline.count())]
    inject_rows = [i for i, t in enumerate(rows) if "inject" in t]
    if inject_rows:                                   # a moment during the injection
        review.timeline.setCurrentRow(inject_rows[len(inject_rows) // 2])
        driver.wait_until(lambda: len(shown) > 1, "a replayed moment")
    driver.pump(0.5)
    grab(window, out / "08-review.png")
    guide = window.show_user_guide()
    guide.resize(900, 900)
    guide.move(350, 40)
    # as Help > User guide opens it: at its top (title, how to start, "1. Choose a case"); until round 27 the
    # picture was scrolled 0.28 down, which the guide's growth moved from the cement pictures into the CT import
    driver.pump(0.5)
    grab(window, out / "09-user-guide.png")
    guide.close()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
