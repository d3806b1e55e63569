"""``vptrainer assess SESSION.jsonl``: score a recorded session by replaying it.

The session's actions are re-applied to a fresh procedure built from the scenario text
recorded in the session; nothing stored in the file (summaries, scores) is trusted.
A broken hash chain or a scenario that does not match its recorded hash is reported as
tampering with exit status 2.  Synthetic patients come from the on-disk patient cache
(:mod:`trainer.core.anatomy.cache`; ``VPTRAINER_CACHE_DIR`` moves it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

NAME = "assess"
HELP = "score a recorded session by replaying it (never trusting stored results)"
DESCRIPTION = ("Replay SESSION.jsonl through the simulator, score it against the documented targets and print "
               "the outcome. --html/--pdf also write the debrief (shots with overlays, metrics with sources, "
               "timeline, radiation).")

EXIT_TAMPERED = 2


def add_arguments(parser):
    parser.add_argument("session", help="session file (JSON lines) written by the trainer or 'vptrainer play'")
    parser.add_argument("--json", action="store_true", help="print the score report as JSON")
    parser.add_argument("--html", metavar="OUT.html", default=None, help="write the HTML debrief")
    parser.add_argument("--pdf", metavar="OUT.pdf", default=None, help="write the PDF debrief")


def assess(path, render: bool = False):
    """Read, verify and replay a session; return ``(record, procedure, report)``.

    Raises
    ------
    TamperError
        Broken hash chain, scenario hash mismatch, or a replay that disagrees with the record.
    SessionError
        The file cannot be read as a session.
    """
    from trainer.core.scenario.build import patient_for
    from trainer.core.scoring import score
    from trainer.core.session.reader import read_session
    from trainer.core.session.replay import replay

    record = read_session(path)
    # sessions of one case share their patient: the on-disk cache skips the build
    patient = patient_for(record.scenario())
    proc = replay(record, render=render, patient=patient)
    return record, proc, score(proc)


def run(args) -> int:
    from trainer.core.errors import TamperError
    from trainer.core.scoring import context_for_procedure

    want_doc = bool(args.html or args.pdf)
    try:
        record, proc, report = assess(args.session, render=want_doc)
    except TamperError as exc:
        print(f"vptrainer assess: TAMPERED: {exc}", file=sys.stderr)
        return EXIT_TAMPERED
    if want_doc:
        from trainer.core.scoring.html import debrief_html

        html = debrief_html(report, context_for_procedure(proc), proc.last_images, title=proc.scenario.title)
        if args.html:
            Path(args.html).write_text(html, encoding="utf-8")
        if args.pdf:
            from trainer.report_pdf import write_pdf

            write_pdf(html, args.pdf, title=f"vptrainer debrief: {proc.scenario.title}")
    out = report.to_json()
    out["session"] = {"path": str(args.session), "complete": bool(record.complete),
                      "truncated": bool(record.truncated), "trainee": record.header.get("trainee"),
                      "seed": record.header.get("seed"), "actions": len(record.entries)}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        note = "" if record.complete else " (session not finished: scored as it stands)"
        print(f"{args.session}: {record.header.get('trainee', '?')} on {report.scenario_id}{note}")
        print(report.to_text())
        for kind, path in (("HTML", args.html), ("PDF", args.pdf)):
            if path:
                print(f"{kind} debrief: {path}")
    return 0
