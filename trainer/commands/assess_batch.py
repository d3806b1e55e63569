"""``vptrainer assess DIR_OR_FILES... --csv OUT.csv [--jobs N]``: many sessions in one run.

Each session is verified (hash chain, seal), replayed and scored exactly as the one-file
``assess`` does (the same :func:`trainer.commands.assess.assess`), in a pool of worker
processes; a file that cannot be read, is tampered or fails to replay becomes a row with its
status and message, and the others go on.  Rows come out in the order of the inputs.

An action plan found in a folder (``scenarios expert`` writes ``plan.jsonl`` next to the sessions) is a
``skipped`` row, not an error; a plan named on the command line is assessed (and is an error).

Exit status: 0 when every session was scored and finished; 3 when some were unfinished
(none tampered or unreadable); 2 when any was tampered or could not be assessed.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

__all__ = ["expand_sessions", "is_action_plan", "is_session_header", "json_sessions_words", "assess_one", "assess_many",
           "run_batch", "CSV_FIELDS"]

CSV_FIELDS = ("path", "status", "passed", "score", "first_broken_rule", "first_broken_reason", "broken_rules", "seal",
              "trainee",
              "scenario", "seed", "actions", "exposures", "fluoro_s", "dap_gycm2", "total_time_s", "ct_series_found",
              "message", "notes")
#: ``first_broken_rule``: the first broken rule in the policy's order (the order of the procedure, as the debrief's
#: headline names it); ``first_broken_reason``: that rule's words for what happened, as ``assess`` and the debrief
#: say them (round 41: ``cement_over_max`` alone did not say that all the cement had leaked, nor
#: ``contraindication`` that a session stopped before its candidacy decision).
#: ``message``: why a row holds no score: the error of an ``error`` or ``tampered`` row, what a ``skipped`` row is;
#: empty for a scored row (passed, failed, unfinished).  ``notes``: what the one-session ``assess`` prints about a
#: scored file (its stderr notes and the UNFINISHED line), as ``progress TRAINEE --csv`` and the store keep them:
#: ``LABEL: text`` lines joined by " | " (round 39).  Each fact in one column: until round 40 ``message`` also
#: held the unfinished mark, the CR LF note and the case warnings that ``notes`` holds.
#: ``ct_series_found``: the folder a patient-CT session's series was found in by the fingerprint the
#: session recorded, when it was not the one its scenario names (empty otherwise), as the one-session
#: ``assess`` notes it (round 23: the spreadsheet did not say it).


def _recorded_words(recorded: list[tuple[int, bool]], store) -> str:
    """What a batch did to the store, counted in its attempts: one per session content (a copy of a session file,
    or a session assessed before, updates its attempt).  Until round 37 the line counted the sessions scored, "8
    attempt(s) recorded" for four sessions and their four copies, where the cohort then showed four."""
    ids = {aid for aid, _ in recorded}
    new = {aid for aid, created in recorded if created}
    words = f"{len(ids)} attempt(s) recorded in {store}"
    notes = []
    if len(ids) - len(new):
        notes.append(f"{len(ids) - len(new)} already there, updated")
    copies = len(recorded) - len(ids)
    if copies:
        notes.append(f"{copies} of the session files are copies of another in this batch, one attempt per content")
    return words + (f" ({'; '.join(notes)})" if notes else "")


def expand_sessions(items) -> list[Path]:
    """Files as given, and the ``*.jsonl`` files of folders (sorted); order kept, duplicates dropped."""
    out: list[Path] = []
    seen = set()
    for it in items:
        p = Path(it)
        found = sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
        for f in found:
            key = os.path.abspath(f)
            if key not in seen:
                seen.add(key)
                out.append(f)
    return out


#: bytes of a file's first line read to tell an action plan from a session
_FIRST_LINE_BYTES = 65536


def _first_line_object(path) -> dict | None:
    """The JSON object on the first line of ``path`` (its first :data:`_FIRST_LINE_BYTES`), or None when the file
    or the line cannot be read as one, or ``path`` is not a regular file (not opened: the session reader names it)."""
    from trainer.core.parse_limits import LimitError, loads_json, not_a_regular_file

    if not_a_regular_file(path):        # a FIFO waits for a writer when opened: the batch froze on one (hostile40)
        return None
    try:
        with open(path, "rb") as fh:
            obj = loads_json(fh.readline(_FIRST_LINE_BYTES))
    except (OSError, ValueError, LimitError):
        return None
    return obj if isinstance(obj, dict) else None


def is_action_plan(path) -> bool:
    """Whether ``path`` is an action plan (what ``scenarios expert`` writes and ``play --actions`` reads), not a
    session: its first line is an action object (``{"type": ...}``), where every session line carries ``kind``
    and ``hash``.  An unreadable file or line is not a plan (it is assessed and reported as such)."""
    obj = _first_line_object(path)
    return obj is not None and isinstance(obj.get("type"), str) and not {"kind", "hash"} & obj.keys()


def is_session_header(path) -> bool:
    """Whether the first line of ``path`` is a vptrainer session header (``kind`` header, our ``format``); an
    unreadable file or line is not."""
    from trainer.core.session.log import FORMAT

    obj = _first_line_object(path)
    return obj is not None and obj.get("kind") == "header" and obj.get("format") == FORMAT


def json_sessions_words(items, also: bool = False) -> str | None:
    """Words naming the sessions saved as ``.json`` in the folders of ``items`` (the batch reads ``*.jsonl``
    only), or None when there are none.  Round 38 (firstuse37's #9): a folder holding only ``default.json`` was
    "not allowed; expected ... *.jsonl files" without a word about the session in it.  ``also``: the folders'
    ``*.jsonl`` sessions were assessed, and these were not ("it also holds ..., not assessed: ...")."""
    folders = [Path(it) for it in items if Path(it).is_dir()]
    found = [f for d in folders for f in sorted(d.glob("*.json")) if f.is_file() and is_session_header(f)]
    if not found:
        return None
    names = [f.name if len(folders) == 1 else str(f) for f in found]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    one = len(found) == 1
    holds = ("it " if len(folders) == 1 else "they ") + ("also " if also else "") + ("holds" if len(folders) == 1
                                                                                  else "hold")
    return (f"{holds} {len(found)} session{'' if one else 's'} saved as .json{', not assessed' if also else ''}: "
            f"{shown}; rename {'it' if one else 'them'} to .jsonl or give {'it' if one else 'them'} by name")


def plans_in_folders(items, paths) -> set[str]:
    """The files of ``paths`` found in a folder of ``items`` (not named one by one) that are action plans;
    as absolute paths."""
    named = {os.path.abspath(it) for it in items if not Path(it).is_dir()}
    return {os.path.abspath(p) for p in paths if os.path.abspath(p) not in named and is_action_plan(p)}


def skipped_row(path) -> dict:
    """The CSV row of an action plan found in a folder: skipped, not an error."""
    row = dict.fromkeys(CSV_FIELDS, "")
    row.update(path=str(path), status="skipped", message="an action plan (for 'vptrainer play --actions'), "
               "not a session: not assessed")
    return row


def assess_one(path: str, ct_root=None, seal_key=None, require_seal: bool = False, want_attempt: bool = False) -> dict:
    """Verify, replay and score one session; a CSV row (never raises for a bad session).

    ``want_attempt``: the row also carries ``_attempt``, the trainee-store record of the session
    (:class:`trainer.core.records.store.AttemptRecord`; not a CSV column)."""
    from trainer.commands.assess_session import assess, unfinished_json
    from trainer.core.errors import TamperError, VPTrainerError
    from trainer.core.session.notes import CSV_SEPARATOR, note_lines, notes_json, read_notes
    from trainer.core.session.seal import load_key, sealer_from_env

    row = dict.fromkeys(CSV_FIELDS, "")
    row["path"] = str(path)
    try:
        verifier = load_key(seal_key) if seal_key else sealer_from_env()
        record, proc, report, seal = assess(path, render=False, ct_root=ct_root, verifier=verifier,
                                            require_seal=require_seal)
    except TamperError as exc:
        row.update(status="tampered", passed=False, message=str(exc))
        return row
    except (VPTrainerError, OSError, ValueError) as exc:
        row.update(status="error", passed=False, message=str(exc))
        return row
    notes = read_notes(record, proc.scenario, ct_root).kept        # the case file read once, here
    rules = [r["rule"] for r in report.failed_rules]
    reason = str(report.failed_rules[0]["text"]) if report.failed_rules else ""
    passed = bool(report.passed and record.complete)
    rad = report.radiation
    row.update(status="unfinished" if not record.complete else ("passed" if passed else "failed"),
               passed=passed, score=round(report.score, 2), first_broken_rule=rules[0] if rules else "",
               first_broken_reason=reason, broken_rules=" ".join(rules), seal=seal.message,
               trainee=record.header.get("trainee", ""),
               scenario=report.scenario_id, seed=record.header.get("seed", ""), actions=record.n_entries,
               exposures=rad.get("exposures", ""), fluoro_s=round(float(rad.get("fluoro_s", 0.0)), 3),
               dap_gycm2=round(float(rad.get("dap_gycm2", 0.0)), 6), total_time_s=round(report.total_time_s, 3),
               ct_series_found=str(record.ct_series_found or ""), notes=CSV_SEPARATOR.join(note_lines(notes)))
    if want_attempt:
        from trainer.core.records.attempts import attempt_from_assessment

        out = report.to_json()
        if not record.complete:     # as single assess --store keeps it (until round 39 the batch's had no mark)
            out = unfinished_json(out)
        out["seal"] = {"status": seal.state, "message": seal.message}
        # the store keeps the notes single assess prints and its debrief shows (an attempt looked at later says them)
        out["assessment_notes"] = notes_json(notes)
        try:
            row["_attempt"] = attempt_from_assessment(record.path, record.header, out, bool(record.complete))
        except VPTrainerError as exc:   # a name the store cannot keep: this row's error, the others stored (hostile41)
            row.update(status="error", passed=False, message=str(exc))
    return row


def _star(args):
    return assess_one(*args)


def assess_many(paths, jobs: int | None = None, ct_root=None, seal_key=None, require_seal: bool = False,
                want_attempt: bool = False) -> list:
    """Rows for ``paths`` in order, scored over ``jobs`` processes (1: in this process)."""
    work = [(str(p), ct_root, seal_key, require_seal, want_attempt) for p in paths]
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    if jobs == 1 or len(work) <= 1:
        return [_star(w) for w in work]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(jobs, len(work))) as ex:
        return list(ex.map(_star, work, chunksize=1))


def rows_to_csv(rows) -> str:
    """The rows as CSV text, every text cell formula-safe (:mod:`trainer.core.csv_cells`: a trainee named
    ``=HYPERLINK(...)`` is text in the spreadsheet; ``--json`` keeps the values as they are)."""
    from trainer.core.csv_cells import safe_cell

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: safe_cell(v) for k, v in r.items()})
    return buf.getvalue()


def run_batch(args, paths) -> int:
    from trainer.core.errors import ParameterError
    from trainer.core.safe_write import atomic_write_text, check_output

    for opt in ("html", "pdf"):
        if getattr(args, opt, None):
            raise ParameterError(f"--{opt}", getattr(args, opt), "one session only (not with several files or --csv)")
    if getattr(args, "jobs", None) is not None and args.jobs < 1:
        raise ParameterError("--jobs", args.jobs, "an integer >= 1")
    plans = plans_in_folders(args.session, paths)
    sessions = [p for p in paths if os.path.abspath(p) not in plans]
    if not sessions:
        hints = [f"{len(plans)} action plan(s), no session" if plans else None, json_sessions_words(args.session)]
        raise ParameterError("SESSION_OR_DIR", " ".join(map(str, args.session)), "session files or folders with "
                             "*.jsonl files", hint="; ".join(h for h in hints if h) or None)
    dest = None
    if args.csv:
        dest = check_output(args.csv, option="--csv", force=getattr(args, "force", False),
                            inputs=[str(p) for p in paths], suffixes=(".csv",))
    seal_key = getattr(args, "seal_key", None)
    if seal_key:                                 # a bad key is one error up front, not one per file
        from trainer.core.session.seal import load_key

        load_key(seal_key)
    store = getattr(args, "store", None)
    if store:
        from trainer.core.safe_write import same_path

        if any(same_path(store, p) for p in paths) or (dest is not None and same_path(store, dest)):
            raise ParameterError("--store", store, "a file other than the sessions and the CSV")
    scored = iter(assess_many(sessions, getattr(args, "jobs", None), getattr(args, "ct_root", None), seal_key,
                              getattr(args, "require_seal", False), want_attempt=bool(store)))
    rows = [skipped_row(p) if os.path.abspath(p) in plans else next(scored) for p in paths]
    attempts = [r.pop("_attempt") for r in rows if "_attempt" in r]
    if store:
        from trainer.core.records.store import open_store

        with open_store(store) as st:           # one transaction for the whole batch
            recorded = st.record_attempts(attempts)
    text = rows_to_csv(rows)
    if dest is not None:
        atomic_write_text(dest, text, force=getattr(args, "force", False), option="--csv")
    if args.json:
        import json

        print(json.dumps(rows, indent=2))
    elif dest is None:
        sys.stdout.write(text)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    from trainer.core.one_line import one_line

    # each stderr line one line: a path may hold a newline (the CSV keeps it, quoted; hostile40)
    print(one_line(f"vptrainer assess: {len(rows)} session(s): {summary}" + (f"; CSV: {dest}" if dest else "")
                   + (f"; {_recorded_words(recorded, store)}" if store else "")), file=sys.stderr)
    for r in rows:
        if r["status"] in ("tampered", "error"):
            print(one_line(f"vptrainer assess: {r['status'].upper()}: {r['message']}"), file=sys.stderr)
    others = json_sessions_words(args.session, also=True)
    if others:      # beside the *.jsonl sessions assessed: said, not read (round 38, pass 186's item left)
        named = ", ".join(str(it) for it in args.session if Path(it).is_dir())
        print(one_line(f"vptrainer assess: note: {named}: {others}"), file=sys.stderr)
    if counts.get("tampered") or counts.get("error"):
        return 2
    return 3 if counts.get("unfinished") else 0
