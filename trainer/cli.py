"""The ``vptrainer`` entry point: the GUI by default, headless subcommands otherwise.

Each subcommand lives in its own module in :mod:`trainer.commands` and exposes
``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.  Errors that
vptrainer raises on purpose (:class:`trainer.core.errors.VPTrainerError`) are printed as
one line on stderr with exit status 2; there is no traceback for bad input.  A name in the
message holding a newline, carriage return or other control character is written escaped (``\\n``,
:func:`trainer.core.one_line.one_line`), so that the line stays one; a scenario file's several
problems are one line each under a header line.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from trainer import __version__
from trainer.core.errors import ScenarioError, VPTrainerError
from trainer.core.one_line import one_line

EXIT_BAD_INPUT = 2


def error_text(exc: VPTrainerError) -> str:
    """What the command line prints after ``vptrainer: error:``: the message as one line, or a scenario file's
    several problems one line each, indented under their count.

    Parameters
    ----------
    exc : VPTrainerError

    Returns
    -------
    str
        Lines only where the layout puts them: a newline inside a problem or a name (a folder ``a\\nb``) is
        written ``\\n`` (it broke the one-line error over several lines, the second indented as a new problem).
    """
    if isinstance(exc, ScenarioError) and len(exc.problems) > 1:
        return f"{len(exc.problems)} problems:" + "".join(f"\n    {one_line(p)}" for p in exc.problems)
    return one_line(str(exc))


def _command_modules():
    import trainer.commands as pkg

    mods = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"trainer.commands.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "run"):
            mods.append(mod)
    return mods


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="vptrainer",
        description="Fluoroscopy-guidance trainer for percutaneous vertebroplasty. "
        "Without a subcommand the desktop trainer opens on the default scenario.",
    )
    parser.add_argument("--version", action="version", version=f"vptrainer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="subcommands")
    for mod in _command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP))
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = set(parser._subparsers._group_actions[0].choices)  # noqa: SLF001 (argparse internals)
    if not any(a in commands or a in ("-h", "--help", "--version") for a in argv):
        # no subcommand: the GUI, e.g. `vptrainer`, `vptrainer SCENARIO`, `vptrainer --session-dir D`
        argv = ["gui", *argv]
    args = parser.parse_args(argv)
    run = args._run
    try:
        return int(run(args) or 0)
    except VPTrainerError as exc:
        print(f"vptrainer: error: {error_text(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("vptrainer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
