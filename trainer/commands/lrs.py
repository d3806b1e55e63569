"""``vptrainer lrs push|pull``: exchange attempts with a Learning Record Store as xAPI statements."""

from __future__ import annotations

NAME = "lrs"
HELP = "send queued xAPI statements to a Learning Record Store (push) or import a site's attempts (pull)"
DESCRIPTION = ("push: send the statements queued in the trainee store (two per finished attempt; the vptrainer xAPI "
               "profile in docs/progress.md) to the LRS; what cannot be sent stays queued for the next push. "
               "pull: import the attempts of every vptrainer statement the LRS holds, so the cohort view shows "
               "several workstations.")


def add_arguments(parser):
    sub = parser.add_subparsers(dest="lrs_command", metavar="push|pull", required=True)
    for name, text in (("push", "send queued statements"), ("pull", "import the LRS's vptrainer attempts")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--store", metavar="PATH", default=None,
                       help="trainee store (default: records.sqlite3 in the user's data folder)")
        p.add_argument("--endpoint", required=True, metavar="URL", help="the LRS's xAPI base URL, e.g. http://host/xAPI")
        p.add_argument("--key", default="", help="LRS key (HTTP basic user)")
        p.add_argument("--secret", default="", help="LRS secret (HTTP basic password)")
        p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the LRS (default 10)")
        if name == "pull":
            p.add_argument("--since", default=None, metavar="ISO-TIME", help="only statements stored after this time")


def run(args) -> int:
    import sys

    from trainer.core.records.lrs import LrsClient, pull, push
    from trainer.core.records.store import default_store_path, open_store

    client = LrsClient(args.endpoint, args.key, args.secret, timeout_s=args.timeout)
    with open_store(args.store or default_store_path()) as store:
        if args.lrs_command == "push":
            r = push(store, client)
            print(f"{args.endpoint}: {r.sent} statement(s) sent, {r.already_there} already there, "
                  f"{len(r.rejected)} rejected, {r.pending} still queued")
            for sid, why in r.rejected:
                print(f"  rejected {sid}: {why}", file=sys.stderr)
            if r.error:
                print(f"vptrainer lrs push: {r.error}; the statements stay queued", file=sys.stderr)
                return 1
            return 1 if r.rejected else 0
        read, added = pull(store, client, args.since)
        print(f"{args.endpoint}: {read} statement(s) read, {added} attempt(s) added")
    return 0
