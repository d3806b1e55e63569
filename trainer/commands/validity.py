"""``vptrainer validity [--scenarios ...] [--seeds N] [--json]``: does the scoring tell right from wrong?

Plays the catalogue of :mod:`trainer.core.scoring.validity` (a clean expert and single-error
variants, one per policy rule and per non-critical metric family) on the built-in cases and
prints, per variant: pass rate, mean score, the metric that caught it and Cohen's d against
the expert (the smallest over the cases).  Exit status 1 when the table does not show what it
must (the expert passes every case; every rule-breaking variant fails every run; d >= 1.5).
"""

from __future__ import annotations

import json
import math
import os

NAME = "validity"
HELP = "play an expert and single-error variants on the built-in cases and check the scoring separates them"
DESCRIPTION = ("Plays a clean expert and single-error variants (one per pass/fail rule and per non-critical metric "
               "family) on every built-in case that should be treated, and reports pass rate, mean score, the "
               "catching metric and Cohen's d against the expert for each (docs/scoring.md).")


def add_arguments(parser):
    parser.add_argument("--scenarios", nargs="+", metavar="ID_OR_FILE", default=None,
                        help="cases to play (default: every built-in case)")
    parser.add_argument("--seeds", type=int, default=3, metavar="N", help="seeds per case (default 3: 0..N-1)")
    parser.add_argument("--variants", nargs="+", metavar="ID", default=None,
                        help="only these variants (the expert is always played)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N", help="worker processes (default: all cores)")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")


def _fmt_d(d) -> str:
    if d is None:
        return "-"
    return "inf" if d == "inf" or (isinstance(d, float) and math.isinf(d)) else f"{float(d):.1f}"


def format_table(table: dict) -> str:
    lines = [f"{'variant':30} {'rule':18} {'runs':>4} {'pass':>5} {'score':>6} {'d':>6}  caught by"]
    for r in table["rows"]:
        if r["scenario"] != "all":
            continue
        lines.append(f"{r['variant']:30} {r['rule'] or '-':18} {r['runs']:>4} {r['pass_rate']:>5.0%} "
                     f"{r['mean_score']:>6.1f} {_fmt_d(r['cohens_d']):>6}  {r['caught_by']}")
    return "\n".join(lines)


def run(args) -> int:

    from trainer.core.errors import ParameterError
    from trainer.core.scenario.loader import builtin_ids, resolve
    from trainer.core.scoring.validity import CATALOGUE, check, run_validity

    if args.seeds < 1 or args.seeds > 100:
        raise ParameterError("--seeds", args.seeds, "an integer from 1 to 100")
    ids = args.scenarios or builtin_ids()
    paths = [str(resolve(i)) for i in ids]
    variants = CATALOGUE
    if args.variants:
        known = {v.id: v for v in CATALOGUE}
        for v in args.variants:
            if v not in known:
                raise ParameterError("--variants", v, "one of " + ", ".join(known))
        variants = tuple(v for v in CATALOGUE if v.id == "expert" or v.id in args.variants)
    jobs = args.jobs or os.cpu_count() or 1
    table = run_validity(paths, seeds=tuple(range(args.seeds)), variants=variants, jobs=jobs)
    problems = check(table)
    table["problems"] = problems
    if args.json:
        print(json.dumps(table, indent=2))
    else:
        print(format_table(table))
        for p in problems:
            print(f"PROBLEM: {p}")
        print("validity: " + ("all checks hold" if not problems else f"{len(problems)} problem(s)"))

    return 1 if problems else 0
