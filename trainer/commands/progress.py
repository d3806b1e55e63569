"""``vptrainer progress [TRAINEE]``: learning curves and the cohort table from the trainee store."""

from __future__ import annotations

import json

NAME = "progress"
HELP = "learning curves (CUSUM, LC-CUSUM) of a trainee, or the cohort table, from the trainee store"
DESCRIPTION = ("Without TRAINEE: one line per trainee (attempts, pass rate, CUSUM and LC-CUSUM state, score trend). "
               "With TRAINEE: the attempts, both charts with their limits and events, and each metric's trend over the "
               "finished attempts. "
               "Formulas and presets: docs/progress.md.")


def add_arguments(parser):
    from trainer.core.records.cusum import PRESETS

    parser.add_argument("trainee", nargs="?", default=None, help="trainee name (default: the whole cohort)")
    parser.add_argument("--store", metavar="PATH", default=None,
                        help="trainee store (default: records.sqlite3 in the user's data folder)")
    parser.add_argument("--scenario", default=None,
                        help="only this scenario id, or a family prefix ending in '*' (l1-*)")
    parser.add_argument("--since", default=None, metavar="YYYY-MM-DD", help="only attempts started on or after")
    parser.add_argument("--until", default=None, metavar="YYYY-MM-DD", help="only attempts started on or before")
    parser.add_argument("--preset", default="10/20 %", choices=sorted(PRESETS),
                        help="acceptable/unacceptable failure rates (default 10/20 %%)")
    for name, text in (("p0", "acceptable failure rate"), ("p1", "unacceptable failure rate"),
                       ("alpha", "type I error"), ("beta", "type II error")):
        parser.add_argument(f"--{name}", type=float, default=None, help=f"{text} (overrides the preset)")
    parser.add_argument("--lc-h", type=float, default=None, help="LC-CUSUM decision limit (default: h1)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--csv", metavar="OUT.csv", default=None, help="write the table as CSV (refuses to overwrite)")
    parser.add_argument("--force", action="store_true", help="replace an existing --csv file")


def params_from_args(args):
    from dataclasses import replace

    from trainer.core.records.cusum import PRESETS

    base = PRESETS[args.preset]
    over = {k: getattr(args, k) for k in ("p0", "p1", "alpha", "beta") if getattr(args, k, None) is not None}
    return replace(base, **over) if over else base


def case_labeller(shown=str):
    """``label(attempt)``: the attempt's case in one line, read once per session file from its header
    (:mod:`trainer.core.records.case_label`: title, scenario id in its folder, series short id), folder
    paths written by ``shown``."""
    from trainer.core.records.case_label import session_case

    cache: dict = {}

    def label(a) -> str:
        if a.session_path not in cache:
            cache[a.session_path] = session_case(a.session_path, a.scenario_id).label(shown)
        return cache[a.session_path]

    return label


#: the per-attempt CSV's columns before one column per metric (docs/progress.md "`vptrainer progress`")
ATTEMPT_CSV_COLUMNS = ("attempt", "started_at", "scenario", "case", "passed", "score", "finished", "cusum", "lc_cusum",
                       "notes")


def _attempts_csv(attempts, progress, label) -> str:
    """One row per attempt.  ``score`` and the metric columns are what the attempt stored (an unfinished attempt's
    are progress only: ``finished`` 0, and the charts and trends leave them out); ``notes``: what assess said about
    the session file (:func:`~trainer.core.session.notes.notes_csv`: the lines joined by " | ", "" for none, a
    marker for an attempt recorded before round 39).  Every text cell is formula-safe (:mod:`trainer.core.csv_cells`)."""
    import csv
    import io

    from trainer.core.csv_cells import safe_row
    from trainer.core.records.progress import metric_value
    from trainer.core.session.notes import notes_csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    mids = list(progress["metrics"])
    w.writerow([*ATTEMPT_CSV_COLUMNS, *mids])
    for i, a in enumerate(attempts):
        w.writerow(safe_row([i + 1, a.started_at, a.scenario_id, label(a), int(a.passed), a.score, int(a.complete),
                             round(progress["cusum"]["values"][i], 6), round(progress["lc_cusum"]["values"][i], 6),
                             notes_csv(a.report),
                             *[("" if metric_value(a, m) is None else metric_value(a, m)) for m in mids]]))
    return buf.getvalue()


def _trend_lines(prog: dict) -> list[str]:
    """The score's and each numeric metric's trend (units per attempt), over the finished attempts, the unfinished
    ones named on the first line (their values are progress only; round 40: they were trended with the rest)."""
    from trainer.core.records.progress import unfinished_words

    n_done = prog["attempts"] - prog["unfinished"]
    left = unfinished_words(prog["unfinished_attempts"])
    if n_done < 2:
        # one line, not a "- (fewer than 2 values)" row per metric (32 of them after a first attempt, round 40)
        return [f"Trends per attempt: none yet (a trend needs 2 finished attempts; {n_done} so far"
                + (f", {left} unfinished" if left else "") + ")"]
    lines = [f"Trends per attempt over the {n_done} finished attempt{'' if n_done == 1 else 's'}"
             + (f" ({left} unfinished, left out)" if left else "") + ":"]
    rows = [("score", prog["score_trend_per_attempt"], "")]
    rows += [(mid, m["slope_per_attempt"], m["unit"]) for mid, m in prog["metrics"].items() if m["finished_values"]]
    for name, slope, unit in rows:
        shown = "- (fewer than 2 values)" if slope is None else f"{slope:+.4g}{' ' + unit if unit else ''}"
        lines.append(f"  {name:28s} {shown}")
    return lines


def check_dates(since, until) -> None:
    """``--since``/``--until`` are real dates (YYYY-MM-DD) and since <= until; else ParameterError."""
    import datetime as dt

    from trainer.core.errors import ParameterError

    days = {}
    for opt, val in (("--since", since), ("--until", until)):
        if val is None:
            continue
        try:
            if len(str(val)) != 10:
                raise ValueError
            days[opt] = dt.date.fromisoformat(str(val))
        except ValueError:
            raise ParameterError(opt, val, "a date written YYYY-MM-DD (e.g. 2026-03-01)") from None
    if len(days) == 2 and days["--since"] > days["--until"]:
        raise ParameterError("--since", since, f"a date on or before --until {until}",
                             hint="no attempt can match; swap the dates")


def run(args) -> int:
    from trainer.core.errors import ParameterError
    from trainer.core.records.progress import cohort_csv, cohort_rows, trainee_progress, unfinished_words
    from trainer.core.records.store import default_store_path, open_store
    from trainer.core.safe_write import atomic_write_text, check_output
    from trainer.core.shown_path import shown_path

    params = params_from_args(args)
    check_dates(args.since, args.until)
    if args.csv:
        check_output(args.csv, option="--csv", force=args.force, suffixes=(".csv",))
    path = args.store or default_store_path()
    from pathlib import Path

    if not Path(path).is_file():
        raise ParameterError("--store", str(path), "an existing trainee store (record attempts with "
                             "'vptrainer assess SESSION --store PATH' or the trainer)")
    with open_store(path) as store:
        if args.trainee is not None and args.trainee not in store.trainees():
            raise ParameterError("trainee", args.trainee, f"one of the trainees in {path}: "
                                 f"{', '.join(store.trainees()) or '(none recorded)'}")
        # with their reports: the CSVs' notes columns read them
        attempts = store.attempts(trainee=args.trainee, scenario=args.scenario, since=args.since, until=args.until,
                                  with_report=True)
    if args.trainee is not None:
        prog = trainee_progress(attempts, params, args.lc_h)
        if args.csv:
            atomic_write_text(args.csv, _attempts_csv(attempts, prog, case_labeller()), force=args.force, option="--csv")
        if args.json:
            print(json.dumps(prog, indent=2))
        else:
            c, lc = prog["cusum"], prog["lc_cusum"]
            rate = "-" if prog["pass_rate"] is None else f"{100 * prog['pass_rate']:.0f} %"
            n = prog["attempts"]
            left = unfinished_words(prog["unfinished_attempts"])
            print(f"{args.trainee}: {n} attempt{'' if n == 1 else 's'}, {prog['passed']} passed ({rate})"
                  + (f", {prog['unfinished']} unfinished ({left})" if left else ""))
            print(f"CUSUM p0={params.p0:g} p1={params.p1:g} alpha={params.alpha:g} beta={params.beta:g}: "
                  f"s={params.s:.4f} h0={params.h0:.3f} h1={params.h1:.3f}")
            print(f"  standard CUSUM: {c['state']}; events: "
                  + (", ".join(f"{e['event']} at attempt {e['attempt']}" for e in c["events"]) or "none"))
            print(f"  LC-CUSUM (h={lc['limits']['h']:.3f}): {lc['state']}; events: "
                  + (", ".join(f"{e['event']} at attempt {e['attempt']}" for e in lc["events"]) or "none"))
            shown = case_labeller(shown_path)
            for i, a in enumerate(attempts):
                print(f"  {i + 1:3d} {a.started_at[:19]:19s} {a.verdict} "
                      f"{a.score:5.1f}  CUSUM {c['values'][i]:+.3f}  LC {lc['values'][i]:+.3f}  {shown(a)}")
            for line in _trend_lines(prog):
                print(line)
        if args.csv:
            print(f"CSV written to {args.csv}")
        return 0
    rows = cohort_rows(attempts, params, args.lc_h, case_label=case_labeller())
    if args.csv:
        atomic_write_text(args.csv, cohort_csv(rows), force=args.force, option="--csv")
    if args.json:
        print(json.dumps({"params": params.to_json(), "cohort": rows}, indent=2))
    else:
        print(f"{'trainee':20s} {'n':>4s} {'pass':>6s} {'last':>6s} {'trend':>7s}  {'CUSUM':18s} {'LC-CUSUM':18s}")
        for r in rows:
            rate = "-" if r["pass_rate"] is None else f"{100 * r['pass_rate']:.0f}%"
            trend = "-" if r["score_trend_per_attempt"] is None else f"{r['score_trend_per_attempt']:+.2f}"
            last = "-" if r["last_score"] is None else f"{r['last_score']:.1f}"
            print(f"{r['trainee'][:20]:20s} {r['attempts']:4d} {rate:>6s} {last:>6s} {trend:>7s}  "
                  f"{r['cusum_state']:18s} {r['lc_cusum_state']:18s}")
        if args.csv:
            print(f"CSV written to {args.csv}")
    return 0
