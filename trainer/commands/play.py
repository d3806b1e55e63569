"""``vptrainer play``: perform a scripted procedure headless and record the session.

The actions file is JSON lines, one action object per line (docs/session-format.md);
blank lines and lines starting with ``#`` are skipped.  Actions the procedure refuses
are recorded in the session as refused and reported on stderr with their line; a line
that is not a JSON object with a ``type`` stops the run with exit status 2.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from trainer.core.errors import ParameterError, SessionError

NAME = "play"
HELP = "run a scripted procedure headless and record the session"
DESCRIPTION = ("Apply the actions of a JSON-lines file to a scenario, write the hash-chained session file "
               "and optionally every shot as a PNG.  Action types and fields: docs/session-format.md.")


#: Largest actions file read (about 1.5 million actions of ~60 bytes).
MAX_ACTIONS_BYTES = 100_000_000
#: play fsyncs the session every this many actions (a power failure loses at most SYNC_EVERY - 1 lines).
SYNC_EVERY = 1000


def add_arguments(parser):
    parser.add_argument("scenario", nargs="?", default=None,
                        help="scenario id or TOML file (default: the default scenario)")
    parser.add_argument("--actions", required=True, metavar="ACTIONS.jsonl", help="the actions, one JSON object a line")
    parser.add_argument("--out", required=True, metavar="SESSION.jsonl",
                        help="session file to write (must not exist, unless --force)")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing --out (only once the new session is complete: a refused or failed "
                             "run leaves it as it was)")
    parser.add_argument("--shots", metavar="DIR", default=None, help="save every shot as DIR/shot_NNN_VIEW.png")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    parser.add_argument("--trainee", default="anonymous", help="trainee name recorded in the session")
    parser.add_argument("--pixels", type=int, default=None,
                        help="detector size override in pixels (64 to 1024; default: the scenario's)")
    parser.add_argument("--seal-key", metavar="FILE", default=None,
                        help="seal every line with this key (HMAC secret or Ed25519 PEM private key; default: "
                             "$VPTRAINER_SEAL_KEY; docs/session-format.md)")


def iter_actions(path):
    """``(line number, action)`` pairs of an actions file, read line by line (bounded memory).

    Raises
    ------
    ParameterError
        Naming ``file:line`` for a line that is not a JSON object with a string ``type``.
    SessionError
        The file cannot be read, is not UTF-8 or is larger than :data:`MAX_ACTIONS_BYTES`.
    """
    from trainer.core.parse_limits import LimitError, loads_json, not_a_regular_file

    p = Path(path)
    bad = not_a_regular_file(p)
    if bad:
        raise SessionError(f"{p}: cannot read the actions file: it {bad}")
    try:
        size = p.stat().st_size
        if size > MAX_ACTIONS_BYTES:
            raise ParameterError("actions", str(p), f"a file of at most {MAX_ACTIONS_BYTES} bytes (it has {size})")
        fh = open(p, encoding="utf-8")  # noqa: SIM115 - closed by the with block below
    except OSError as exc:
        raise SessionError(f"{p}: cannot read the actions file: {exc.strerror or exc}") from None
    with fh:
        n = 0
        while True:
            try:
                line = fh.readline()
            except UnicodeDecodeError as exc:
                raise SessionError(f"{p}:{n + 1}: cannot read the actions file: not UTF-8 text ({exc.reason})") from None
            if not line:
                return
            n += 1
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            try:
                obj = loads_json(s)
            except LimitError as exc:
                raise ParameterError("action", s[:60], f"a JSON object ({exc})", source=f"{p}:{n}") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
                raise ParameterError("action", s[:60], "a JSON object with a string 'type' field", source=f"{p}:{n}")
            yield n, obj


def read_actions(path) -> list[tuple[int, dict]]:
    """All ``(line number, action)`` pairs (:func:`iter_actions`); at least one, else ParameterError."""
    out = list(iter_actions(path))
    if not out:
        raise ParameterError("actions", str(path), "a file with at least one action line", source=str(path))
    return out


def check_actions(path) -> int:
    """Read the whole file once without keeping it: the number of actions (every line checked)."""
    count = sum(1 for _ in iter_actions(path))
    if not count:
        raise ParameterError("actions", str(path), "a file with at least one action line", source=str(path))
    return count


def save_shot_png(image, directory: Path) -> Path:
    """Write a ShotImage as ``shot_NNN_VIEW.png`` (auto window, dense = dark)."""
    from trainer.core.xray.display import auto_window, to_display
    from trainer.core.xray.png import write_png

    window, level = auto_window(image.pixels)
    path = directory / f"shot_{image.index:03d}_{image.view}.png"
    write_png(path, to_display(image.pixels, window, level),
              text={"vptrainer": f"shot {image.index} {image.view} t={image.t_s:.1f}s sha256={image.sha256}"})
    return path


def _play(args, scenario, out, sealer, shots_dir):
    """Apply the actions file to a new live session; ``(procedure, refused count)``."""
    from trainer.core.session.live import LiveSession

    refused = 0
    # fsync every 1000 actions and at the end (crash guarantee: docs/session-format.md)
    with LiveSession(scenario, out, seed=args.seed, trainee=args.trainee, pixels=args.pixels,
                     sync_every=SYNC_EVERY, sealer=sealer, keep_events=False) as live:
        for n, action in iter_actions(args.actions):   # second pass: streamed, not kept
            res = live.apply(action)
            if not res.accepted:
                refused += 1
                print(f"{args.actions}:{n}: refused: {res.reason}", file=sys.stderr)
            elif res.image is not None and shots_dir is not None:
                save_shot_png(res.image, shots_dir)
        return live.procedure, refused


def run(args) -> int:
    from trainer.core.safe_write import check_output
    from trainer.core.scenario.loader import load_scenario

    out = Path(args.out)
    force = bool(getattr(args, "force", False))
    if out.exists() and not force:
        raise SessionError(f"{out}: the session file already exists; choose another --out path, or use --force "
                           "to replace it")
    src = Path(args.scenario) if args.scenario and Path(args.scenario).exists() else None
    check_output(out, force=force, inputs=[args.actions, src])
    shots_dir = None
    if args.shots:
        shots_dir = Path(args.shots)
        if not shots_dir.exists():
            shots_dir.mkdir(parents=True, exist_ok=True)
        check_output(shots_dir, option="--shots", folder=True, inputs=[args.actions, src, out])
    n_actions = check_actions(args.actions)        # a bad line stops the run before anything is written
    scenario = load_scenario(args.scenario)
    from trainer.core.session.seal import load_key, sealer_from_env

    sealer = load_key(args.seal_key) if getattr(args, "seal_key", None) else sealer_from_env()
    # --force over an existing file: record into a hidden file beside it and replace --out only when complete
    part = out.with_name(f".{out.name}.{os.getpid()}.partial") if force and out.exists() else None
    try:
        proc, refused = _play(args, scenario, part or out, sealer, shots_dir)
    except OSError as exc:
        if part is not None:
            part.unlink(missing_ok=True)
            raise SessionError(f"{out}: cannot write the session file ({exc.strerror or exc}); --out was left as it "
                               "was") from None
        # a full disk or a file-size limit while appending: every whole line written stays a valid,
        # resumable session (the reader drops a cut-off last line)
        raise SessionError(f"{out}: cannot write the session file ({exc.strerror or exc}); the actions up to the "
                           "last whole line are kept: 'vptrainer assess' scores them") from None
    except BaseException:
        if part is not None:
            part.unlink(missing_ok=True)
        raise
    if part is not None:
        os.replace(part, out)
    d = proc.dose
    tr = proc.trocar
    print(f"{n_actions} actions ({refused} refused), {d.shots} shots, {d.fluoro_s:.1f} s fluoroscopy, "
          f"DAP {d.dap_gycm2:.3f} Gy cm2, simulated time {proc.t_s:.0f} s, "
          f"{'finished' if proc.finished else 'not finished'}")
    if tr is not None:
        print(f"trocar tip {[round(float(v), 1) for v in tr.tip_mm]} mm in {tr.tissue}, grade {tr.grade}")
    if proc.cement is not None:
        c = proc.cement
        print(f"cement injected {c.injected_ml:.2f} mL, leaked {c.leaked_ml:.2f} mL")
    print(f"session written to {out}")
    return 0
