"""``vptrainer assess SESSION.jsonl``: score a recorded session by replaying it.

The session's actions are re-applied to a fresh procedure built from the scenario text
recorded in the session; nothing stored in the file (summaries, scores) is trusted.
A broken hash chain, a broken seal or a scenario that does not match its recorded hash is
reported as tampering with exit status 2; a session without an accepted ``finish`` is
reported as UNFINISHED (never passed) with exit status 3.  The seal check says "sealed and
verified", "seal broken at line N" or "not sealed: hash chain only"
(:mod:`trainer.core.session.seal`).

Several files or folders, or ``--csv``: batch mode (:mod:`trainer.commands.assess_batch`),
scored in parallel over ``--jobs`` processes, one CSV row per session.
Synthetic patients come from the on-disk patient cache (:mod:`trainer.core.anatomy.cache`;
``VPTRAINER_CACHE_DIR`` moves it).
"""

from __future__ import annotations

import json
import sys

from trainer.commands.assess_batch import expand_sessions, run_batch
from trainer.commands.assess_session import assess, seal_verifier, unfinished_json
from trainer.core.one_line import one_line, utf8_text
from trainer.core.session.notes import UNFINISHED_TEXT

NAME = "assess"
HELP = "score a recorded session by replaying it (never trusting stored results)"
DESCRIPTION = ("Replay SESSION.jsonl through the simulator, score it against the documented targets and print "
               "the outcome. --html/--pdf also write the debrief (shots with overlays, metrics with sources, "
               "timeline, radiation).")

EXIT_TAMPERED = 2
EXIT_UNFINISHED = 3

__all__ = ["assess", "run", "add_arguments", "EXIT_TAMPERED", "EXIT_UNFINISHED", "UNFINISHED_TEXT"]


def add_arguments(parser):
    parser.add_argument("session", nargs="+", metavar="SESSION_OR_DIR",
                        help="session file (JSON lines) written by the trainer or 'vptrainer play'; several files "
                             "or folders (their *.jsonl) for a batch")
    parser.add_argument("--csv", metavar="OUT.csv", default=None,
                        help="batch: write one row per session (path, status, passed, score, first broken rule, seal, "
                             "radiation...)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="batch: worker processes (default: the number of cores)")
    parser.add_argument("--seal-key", metavar="FILE", default=None,
                        help="key file to verify the sessions' seals (HMAC secret or Ed25519 PEM key; default: "
                             "$VPTRAINER_SEAL_KEY)")
    parser.add_argument("--require-seal", action="store_true",
                        help="treat a session that is not sealed and verified as tampered (exit 2)")
    parser.add_argument("--json", action="store_true", help="print the score report as JSON")
    parser.add_argument("--html", metavar="OUT.html", default=None, help="write the HTML debrief")
    parser.add_argument("--pdf", metavar="OUT.pdf", default=None, help="write the PDF debrief")
    parser.add_argument("--force", action="store_true", help="replace an existing --html/--pdf file")
    parser.add_argument("--ct-root", metavar="DIR", default=None,
                        help="folder a CT scenario's [ct] folder must lie in (default: the session file's folder; "
                             "the path recorded in the session is never followed); a renamed or moved series is "
                             "found in it or its subfolders, 3 levels down, by the fingerprint the session recorded")
    parser.add_argument("--store", metavar="PATH", default=None,
                        help="also record the attempt in this trainee store (SQLite; created if missing); "
                             "re-assessing the same session updates its attempt (docs/progress.md)")


def check_ct_root(ct_root) -> None:
    """``--ct-root`` must name an existing folder (a file or a missing path is an error, not ignored)."""
    if ct_root is None:
        return
    from pathlib import Path

    from trainer.core.errors import ParameterError

    if not Path(ct_root).is_dir():
        raise ParameterError("--ct-root", ct_root, "an existing folder",
                             hint="it is a file" if Path(ct_root).exists() else "it does not exist")


def check_report_outputs(args) -> dict:
    """The --html/--pdf destinations checked before any replay (never the session itself)."""
    from trainer.core.safe_write import check_output

    outs = {}
    for opt, sfx in (("html", (".html", ".htm")), ("pdf", (".pdf",))):
        val = getattr(args, opt, None)
        if val:
            outs[opt] = check_output(val, option=f"--{opt}", force=getattr(args, "force", False),
                                     inputs=[args.session], suffixes=sfx)
    if "html" in outs and "pdf" in outs and outs["html"] == outs["pdf"]:
        from trainer.core.errors import ParameterError

        raise ParameterError("--pdf", args.pdf, "a file other than --html")
    store = getattr(args, "store", None)
    if store:
        from trainer.core.errors import ParameterError
        from trainer.core.safe_write import same_path

        if same_path(store, args.session) or any(same_path(store, o) for o in outs.values()):
            raise ParameterError("--store", store, "a file other than the session and the reports",
                                 hint="it would overwrite the session")
    return outs


def write_reports(outs: dict, html: str, title: str, force: bool) -> None:
    """Write the HTML and/or PDF debrief through the safe writer (validated, then renamed)."""
    from trainer.core.safe_write import atomic_write_text

    if "html" in outs:      # a session named with a non-UTF-8 byte: its escape, as stderr says it (hostile41)
        atomic_write_text(outs["html"], utf8_text(html), force=force, option="--html")
    if "pdf" in outs:
        from trainer.report_pdf import write_pdf_safely

        write_pdf_safely(html, outs["pdf"], title=title, force=force)


def _is_builtin(record) -> bool:
    from trainer import SCENARIOS_DIR

    sid = record.header.get("scenario_id")
    return isinstance(sid, str) and (SCENARIOS_DIR / f"{sid}.toml").is_file()


def record_in_store(store_path, record, report_json: dict, seal=None) -> dict:
    """Record one assessed session in the trainee store; ``{'path', 'attempt_id', 'created'}``.

    ``seal`` is the :class:`~trainer.core.session.seal.SealCheck` of the session (its ``state``
    is stored: verified, unverified, unsealed)."""
    from trainer.core.records.attempts import attempt_from_assessment
    from trainer.core.records.store import open_store

    report = {k: v for k, v in report_json.items() if k not in ("session", "store")}
    if seal is not None:
        report["seal"] = {"status": seal.state, "message": seal.message}
    attempt = attempt_from_assessment(record.path, record.header, report, bool(record.complete))
    with open_store(store_path) as store:
        aid, created = store.record_attempt(attempt)
    return {"path": str(store_path), "attempt_id": aid, "created": created}


def run(args) -> int:
    from trainer.core.errors import TamperError
    from trainer.core.scoring import context_for_procedure

    check_ct_root(getattr(args, "ct_root", None))
    paths = expand_sessions(args.session)
    if len(paths) != 1 or args.csv or len(args.session) != 1 or getattr(args, "jobs", None) is not None:
        return run_batch(args, paths)
    args.session = str(paths[0])
    outs = check_report_outputs(args)
    want_doc = bool(outs)
    try:
        verifier = seal_verifier(args)
        record, proc, report, seal = assess(args.session, render=want_doc, ct_root=getattr(args, "ct_root", None),
                                            verifier=verifier, require_seal=getattr(args, "require_seal", False))
    except TamperError as exc:
        print(one_line(f"vptrainer assess: TAMPERED: {exc}"), file=sys.stderr)
        return EXIT_TAMPERED
    from trainer.core.session.notes import ct_series_unchecked, notes_json, read_notes

    # the case file read once: the notes printed on stderr (about_file) and the ones the report keeps (kept: the
    # same and UNFINISHED), in the words of their one home, which the GUI reads too
    said = read_notes(record, proc.scenario, getattr(args, "ct_root", None))
    mismatch, file_changed = said.builtin_mismatch, said.file_changed
    unchecked = ct_series_unchecked(record, proc.scenario)
    # the report says what stderr says (and that the session is unfinished), so a PDF handed on, the --json and
    # the trainee store (--store) say it too
    shown = list(said.kept)
    if want_doc:
        from trainer.core.scoring.html import debrief_html

        html = debrief_html(report, context_for_procedure(proc), proc.last_images, title=proc.scenario.title,
                            notes=shown)
        write_reports(outs, html, f"vptrainer debrief: {proc.scenario.title}", getattr(args, "force", False))
    out = report.to_json()
    if not record.complete:
        out = unfinished_json(out)
    out["assessment_notes"] = notes_json(shown)
    out["session"] = {"seal": seal.message, "path": str(args.session), "complete": bool(record.complete),
                      "truncated": bool(record.truncated), "trainee": record.header.get("trainee"),
                      "seed": record.header.get("seed"), "actions": record.n_entries,
                      "scenario_matches_builtin": None if mismatch is None and not _is_builtin(record)
                      else mismatch is None}
    out["session"]["scenario_file_changed"] = file_changed
    out["session"]["crlf_lines"] = record.crlf_lines
    out["session"]["ct_series_checked"] = None if getattr(proc.scenario, "ct", None) is None else not unchecked
    found = getattr(record, "ct_series_found", None)
    out["session"]["ct_series_found"] = None if found is None else str(found)
    for label, text in said.about_file:     # a note names the session's path, which may hold a newline (hostile40)
        print(one_line(f"vptrainer assess: {label}: {text}"), file=sys.stderr)
    if getattr(args, "store", None):
        out["store"] = record_in_store(args.store, record, out, seal)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        # a name with a non-UTF-8 byte: its escape (a UTF-8 terminal's strict stdout raised on it; hostile41)
        print(utf8_text(f"{args.session}: {record.header.get('trainee', '?')} on {report.scenario_id}; "
                        f"{seal.message}"))
        if not record.complete:
            print(f"UNFINISHED: {UNFINISHED_TEXT}")
        print(report.to_text())
        for kind, path in (("HTML", args.html), ("PDF", args.pdf)):
            if path:
                print(utf8_text(f"{kind} debrief: {path}"))
        if "store" in out:
            st = out["store"]
            print(utf8_text(f"attempt {st['attempt_id']} {'recorded' if st['created'] else 'updated'} in "
                            f"{st['path']}"))
    return 0 if record.complete else EXIT_UNFINISHED
