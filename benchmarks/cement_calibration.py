"""Calibration table of the cement model against the published leak series (docs/cement.md).

Runs every condition of ``trainer.core.procedure.cement.calibration.CONDITIONS`` over
``--seeds`` seeds (default 60) and prints a Markdown table (rates at 3 mL unless the row
injects less, with the 1-4 mL volume series of the expert row) followed by the odds
ratios, then the raw JSON with ``--json``.  Deterministic: the same seeds give the same
table.  Use ``nice -n 10`` on a shared machine; about 0.3 s of CPU per run.

Usage: python benchmarks/cement_calibration.py [--seeds 60] [--only expert,high_viscosity] [--jobs 2] [--json]
       [--set flow.tissue.segmental_vein.exit_mm=2.0 --set flow.lumen_noise_mult=0] [--brief [--ci]] [--no-reader]

``--jobs N`` runs the seeds in N worker processes (the same numbers as one process; the
CPU seconds per row are then the workers' sum, not measured).  ``--set key=value`` (repeatable)
overrides one number of ``assets/cement_products.toml`` by its dotted path, in this process and
in every worker, for a calibration sweep without editing the asset file.  ``--brief`` prints one
line per row instead of the table; with ``--ci`` each rate carries its 95 % Wilson interval and the CT
series' own is printed.  ``--no-reader`` skips the model reader (its columns stay empty), so a row's rate can be
measured on a few hundred seeds.
"""

from __future__ import annotations

import argparse
import json
import time

from trainer.core.procedure.cement.calibration import CONDITIONS, LITERATURE, odds_ratio, run_conditions, wilson_interval
from trainer.core.scenario.rheology import load_config

COLUMNS = ("any", "S", "B", "C", "D", "canal", "foramen", "visible", "visible_reader", "canal_c_mean",
           "canal_c_over_45")


def _row(name: str, vol: float, r: dict, seeds: int) -> str:
    cells = []
    for k in COLUMNS:
        v = r[k]
        cells.append("-" if v is None else f"{v:.1f}" if k == "canal_c_mean" else f"{100 * v:.0f} %")
    return f"| {name} | {seeds} | {vol:g} | " + " | ".join(cells) + " |"


def parse_sets(items: list[str]) -> list[tuple[list[str], float]]:
    """``["a.b.c=1.5"]`` -> ``[(["a", "b", "c"], 1.5)]``.

    Raises ValueError (one line) on a malformed item, a value that is not a number, or a key
    that is not a number already in ``assets/cement_products.toml`` (a typo must not sweep nothing).
    """
    cfg = load_config()
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        path = key.strip().split(".")
        if not sep or not all(path):
            raise ValueError(f"--set {item!r}: expected dotted.key=number")
        d = cfg
        for p in path[:-1]:
            if not isinstance(d.get(p), dict):
                raise ValueError(f"--set {item!r}: no table {p!r} in the cement asset file")
            d = d[p]
        if not isinstance(d.get(path[-1]), (int, float)):
            raise ValueError(f"--set {item!r}: no number {path[-1]!r} in that table of the cement asset file")
        try:
            out.append((path, float(value)))
        except ValueError:
            raise ValueError(f"--set {item!r}: {value!r} is not a number") from None
    return out


def apply_sets(sets: list[tuple[list[str], float]]) -> None:
    """Write the overrides into the (cached) cement config of this process."""
    cfg = load_config()
    for path, value in sets:
        d = cfg
        for p in path[:-1]:
            d = d[p]
        d[path[-1]] = value


def _rate(a: dict, k: str, n: int, ci: bool) -> str:
    """``"C 14"``, or with ``ci`` the 95 % Wilson interval too: ``"C 14 [10-20]"`` (percent)."""
    if not ci:
        return f"{k} {100 * a[k]:.0f}"
    lo, hi = wilson_interval(round(a[k] * n), n)
    return f"{k} {100 * a[k]:.0f} [{100 * lo:.0f}-{100 * hi:.0f}]"


def _brief(name: str, r: dict, ci: bool = False) -> str:
    vols = sorted(r["at_ml"])
    last_only = CONDITIONS[name].fill_fraction is not None or 3.0 not in r["at_ml"]
    v = vols[-1] if last_only else 3.0
    a = r["at_ml"][v]
    n = r["seeds"]
    line = f"{name}@{v:g}: " + " ".join(_rate(a, k, n, ci and k in ("any", "S", "B", "C", "D"))
                                         for k in ("any", "S", "B", "C", "D", "canal", "visible"))
    if a["visible_reader"] is None:
        return line + " (no reader)"
    return line + f" reader {100 * a['visible_reader']:.0f} (CT/radiograph leaks {a['ct_per_radiograph_leak']:.2f})"


def _brief_series() -> str:
    """The CT series without a cleft with the 95 % Wilson interval of each rate (``--ci``)."""
    n, lit = LITERATURE["ct_n"], LITERATURE["ct_no_cleft"]
    return "CT series, no cleft (PMC8449924, n 139): " + " ".join(
        _rate(lit, k, n, True) for k in ("any", "S", "B", "C", "D"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=60)
    ap.add_argument("--only", default="")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a number of assets/cement_products.toml by dotted path (repeatable)")
    ap.add_argument("--brief", action="store_true", help="one line per row instead of the table")
    ap.add_argument("--ci", action="store_true",
                    help="with --brief: the 95 %% Wilson interval of any, S, B, C, D (and the CT series' own)")
    ap.add_argument("--no-reader", action="store_true",
                    help="skip the model reader (the costliest part): rates on many seeds; reader columns empty")
    args = ap.parse_args()
    try:
        sets = parse_sets(args.set)
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    apply_sets(sets)
    names = [n for n in args.only.split(",") if n] or list(CONDITIONS)
    unknown = [n for n in names if n not in CONDITIONS]
    if unknown:
        print(f"error: unknown row(s) {', '.join(unknown)}; rows: {', '.join(CONDITIONS)}")
        return 2
    seeds = range(args.seeds)
    reader_rows = () if args.no_reader else None
    if args.jobs > 1:
        out = run_conditions(dict.fromkeys(names, seeds), args.jobs, reader_rows=reader_rows, initializer=apply_sets,
                             initargs=(sets,))
        for name in names:
            out[name]["cpu_s"] = None
    else:
        out = {}
        for name in names:
            t0 = time.process_time()
            out[name] = run_conditions({name: seeds}, reader_rows=reader_rows)[name]
            out[name]["cpu_s"] = round(time.process_time() - t0, 1)
    if args.brief:
        print(" ".join(args.set) or "(asset values)")
        for name in names:
            print("  " + _brief(name, out[name], args.ci))
        if args.ci:
            print("  " + _brief_series())
    else:
        _print_table(names, out)
    for a, b in (("high_viscosity", "expert"), ("high_viscosity", "low_viscosity"), ("runny_2min", "expert"),
                 ("low_viscosity", "expert")):
        if a in out and b in out:
            pa, pb = out[a]["at_ml"][3.0]["any"], out[b]["at_ml"][3.0]["any"]
            print(f"odds ratio {a} vs {b} at 3 mL: {odds_ratio(pa, pb, out[a]['seeds'], out[b]['seeds']):.2f}")
    if "expert" in out:
        at = out["expert"]["at_ml"]
        print("expert any by mL: " + " / ".join(f"{100 * at[v]['any']:.0f}" for v in sorted(at)))
        a3 = at[3.0]
        if a3["visible_reader"] is not None:
            print(f"expert at 3 mL: seen by the model reader {100 * a3['visible_reader']:.0f} % (volume thresholds "
                  f"{100 * a3['visible']:.0f} %; series 32.5-35.5 %), CT-counted leaks per reader-seen leak "
                  f"{a3['ct_per_radiograph_leak']:.2f} (thresholds {a3['ct_per_radiograph_leak_thresholds']:.2f}; "
                  "Yeom 2003: 74 / 49 = 1.51); share of each type seen: "
                  + ", ".join(f"{k} {100 * v:.0f} %" for k, v in a3["seen_share"].items() if k in ("B", "S", "C", "D", "canal"))
                  + "; on the lateral alone: "
                  + ", ".join(f"{k} {100 * v:.0f} %" for k, v in a3["lateral_seen_share"].items() if k in ("B", "S", "C", "D"))
                  + "; visible share at d' >= " + ", ".join(f"{k:g}: {100 * v:.0f} %" for k, v in a3["visible_at_k"].items()))
    if args.jobs <= 1:
        print("\nCPU seconds per row: " + ", ".join(f"{k} {v['cpu_s']}" for k, v in out.items()))
    if args.json:
        print(json.dumps(out, indent=1, default=str))
    return 0


def _print_table(names: list[str], out: dict) -> None:
    print("| row | seeds | mL | any | S | B | C | D | canal | foramen | visible on radiograph | seen by the model reader "
          "| canal wall C (mean) | canal wall > 45 C |")
    print("|---" * 14 + "|")
    for name in names:
        r = out[name]
        vols = sorted(r["at_ml"])
        last_only = CONDITIONS[name].fill_fraction is not None or 3.0 not in r["at_ml"]
        show = vols if name == "expert" else [vols[-1] if last_only else 3.0]
        for v in show:
            print(_row(name, v, r["at_ml"][v], r["seeds"]))
    lit = LITERATURE["ct_no_cleft"]
    print(f"| CT series, no cleft (PMC8449924) | 139 | - | {100 * lit['any']:.1f} % | {100 * lit['S']:.1f} % | "
          f"{100 * lit['B']:.1f} % | {100 * lit['C']:.1f} % | {100 * lit['D']:.1f} % | | | | | | |")
    lit = LITERATURE["ct_cleft"]
    print(f"| CT series, cleft (PMC8449924) | 139 | - | {100 * lit['any']:.1f} % | {100 * lit['S']:.1f} % | "
          f"{100 * lit['B']:.1f} % | {100 * lit['C']:.1f} % | {100 * lit['D']:.1f} % | | | | | | |")
    lo, hi = LITERATURE["radiograph_any"]
    print(f"| radiograph series (Al-Ali; BMC MSD 2020; Saad 2022) | 211-660 | - | {100 * lo:.1f}-{100 * hi:.1f} % "
          "| | | | | | | | | | |")


if __name__ == "__main__":
    raise SystemExit(main())
