"""``vptrainer gui``: open the desktop trainer (the default when no subcommand is given)."""

from __future__ import annotations

import os
import sys

NAME = "gui"
HELP = "open the desktop trainer (default)"


def add_arguments(parser):
    parser.add_argument("scenario", nargs="?", default=None,
                        help="scenario id or TOML file (default: the default scenario)")
    parser.add_argument("--session-dir", default=None,
                        help="folder for session files (default: the user data folder)")
    parser.add_argument("--trainee", default=None, metavar="NAME",
                        help="whose attempts these are: the name the sessions and the trainee store record "
                             "(default: the login name, $USER), as 'play --trainee' takes it")


def has_display() -> bool:
    """True when Qt can open a window: a display server, or an explicit platform plugin."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def run(args) -> int:
    if not has_display():
        print("vptrainer: no display found; run it under a desktop session or with "
              "'xvfb-run -a vptrainer', or use the headless commands "
              "('vptrainer --help': play, assess, render, scenarios).", file=sys.stderr)
        return 2
    from trainer.ui.app import run_app

    return run_app(scenario=args.scenario, session_dir=args.session_dir, trainee=args.trainee)
