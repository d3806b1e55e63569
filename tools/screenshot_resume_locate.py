"""Save docs/screenshots/20-resume-locate-ct.png: the question Resume asks when a patient-CT session's case moved.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tools/screenshot_resume_locate.py SESSION.jsonl \\
        [--out docs/screenshots/20-resume-locate-ct.png]

``SESSION.jsonl``: a session played on a patient-CT scenario (``vptrainer play CASE.toml ...``), copied into a
folder without its case, so that its CT series is found neither there nor below it (the question's details
are the real error).
"""

from __future__ import annotations

import argparse
import sys

from PySide6.QtWidgets import QApplication


def main(argv=None) -> int:
    """Show the question for ``SESSION.jsonl`` and save it as a PNG; 2 when the session's CT is found."""
    from trainer.core.errors import ScenarioError
    from trainer.core.session.reader import read_session
    from trainer.ui.resume import LocateCTFolder

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("session")
    ap.add_argument("--out", default="docs/screenshots/20-resume-locate-ct.png")
    args = ap.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    try:
        read_session(args.session).scenario()
    except ScenarioError as exc:
        dlg = LocateCTFolder(args.session, exc)
    else:
        print(f"{args.session}: its CT series is found: no question to show", file=sys.stderr)
        return 2
    dlg.show()
    for _ in range(20):
        app.processEvents()
    dlg.grab().save(args.out)
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
