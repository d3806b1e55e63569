"""``vptrainer scenarios``: list, show, validate and import scenarios (docs/scenario-format.md)."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

from trainer.core.one_line import one_line

NAME = "scenarios"
HELP = "list, show, validate scenario files, or create one from a patient CT"
DESCRIPTION = ("Work with training scenarios (TOML files, format in docs/scenario-format.md). "
               "SCENARIO is a built-in id (see 'list') or a path to a .toml file.")


def add_arguments(parser):
    sub = parser.add_subparsers(dest="scenarios_action", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="list scenarios: id, title, level, fracture, difficulty, objectives")
    p.add_argument("--dir", default=None, help="folder of scenario files (default: the built-in library)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = sub.add_parser("show", help="show a scenario with its landmarks (patient mm) and expected decisions")
    p.add_argument("scenario", nargs="?", default=None, help="id or .toml file (default: the default scenario)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = sub.add_parser("validate", help="check scenario files; exit status 2 if any is invalid")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario .toml files")
    p.add_argument("--lenient", action="store_true",
                   help="warn about unknown fields and bad values that have a default instead of failing")
    p = sub.add_parser("import-ct", help="create a scenario from a DICOM CT series")
    p.add_argument("dir", metavar="DIR", help="folder holding one CT series, or several side by side (then --series)")
    p.add_argument("--series", default=None, metavar="N",
                   help="the series to read when DIR holds several (a Horos export, a PACS zip): its SeriesNumber or "
                        "SeriesInstanceUID; without it such a folder is refused naming its series")
    p.add_argument("--level", default=None,
                   help="target level, T8 to L5 (any letter case: l1 is L1); without it, the series' numbering is "
                        "read and the levels it holds are named")
    p.add_argument("--out", required=True, help="scenario file to write; DIR must lie inside its folder")
    p.add_argument("--title", default=None, help="scenario title")
    for name, n, what in (("body-centre", 3, "X Y Z"), ("pedicle-left", 3, "X Y Z"), ("pedicle-right", 3, "X Y Z"),
                          ("superior-endplate", 1, "Z"), ("inferior-endplate", 1, "Z")):
        p.add_argument(f"--{name}", type=float, nargs=n, metavar=tuple(what.split()) if n > 1 else what,
                       help=f"{name.replace('-', ' ')} in the CT's patient coordinates, mm "
                            "(estimated from the HU when not given)")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p = sub.add_parser("expert", help="write the built-in expert plan's actions for a scenario (an actions file "
                                      "for 'vptrainer play')")
    p.add_argument("scenario", help="id or .toml file (a CT scenario: its series is read and labelled)")
    p.add_argument("--out", required=True, metavar="PLAN.jsonl", help="actions file to write (JSON lines)")
    p.add_argument("--side", choices=("left", "right", "both"), default="left",
                   help="pedicle: left or right (unipedicular), both (bipedicular); default left")
    p.add_argument("--volume-ml", type=float, default=None,
                   help="cement to inject, mL, at most 10 (default: the middle of the volumes that pass both "
                        "the scenario's fill-fraction and cement-volume targets for this body, e.g. 3.5 mL "
                        "in a 20 mL L1; its cement maximum, 4 mL, when the body is too large for both)")
    p.add_argument("--medial-error-deg", type=float, default=0.0, metavar="DEG",
                   help="a teaching error: the aim turned DEG medially about the pedicle's entry, 0 to 30 "
                        "(default 0: the clean plan; 15 breaches the medial wall)")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")


def run(args) -> int:
    action = args.scenarios_action
    if action == "list":
        return _list(args)
    if action == "show":
        return _show(args)
    if action == "validate":
        return _validate(args)
    if action == "expert":
        return _expert(args)
    from trainer.commands._import_ct import import_ct

    return import_ct(args)


def _summary(s) -> dict:
    return {"id": s.id, "title": s.title, "level": s.anatomy.level, "fracture": s.fracture,
            "difficulty": s.difficulty, "objectives": list(s.objectives), "candidacy": s.decisions.candidacy,
            "path": str(s.path)}


def _list(args) -> int:
    from trainer import SCENARIOS_DIR
    from trainer.core.errors import ScenarioError
    from trainer.core.scenario.loader import load_scenario

    folder = Path(args.dir) if args.dir else SCENARIOS_DIR
    if not folder.is_dir():
        print(one_line(f"vptrainer: error: --dir {folder}: no such folder; expected a folder of .toml scenario files"),
              file=sys.stderr)
        return 2
    rows, bad = [], 0
    for path in sorted(folder.glob("*.toml")):
        try:
            rows.append(_summary(load_scenario(path)))
        except ScenarioError as exc:
            bad += 1
            for problem in exc.problems:
                print(f"vptrainer: error: {one_line(problem)}", file=sys.stderr)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'id':30s} {'level':5s} {'fracture':38s} {'difficulty':12s} {'candidacy':9s} title")
        for r in rows:
            print(f"{r['id']:30s} {r['level']:5s} {r['fracture']:38s} {r['difficulty']:12s} {r['candidacy']:9s} "
                  f"{r['title']}")
            for o in r["objectives"]:
                print(f"{'':32s}- {o}")
    return 2 if bad else 0


def scenario_json(s, landmarks: dict | None) -> dict:
    """Everything ``show --json`` prints (landmarks in patient mm, origin = target body centre)."""
    c = s.carm
    return {
        **_summary(s), "sha256": s.sha256, "seed": s.seed, "description": s.description,
        "patient": s.chart,
        "anatomy": s.anatomy.as_dict() if s.ct is None else None,
        "ct": None if s.ct is None else {"folder": str(s.ct.folder), "series": s.ct.series, "level": s.ct.level,
                                         "landmarks": {k: (list(v) if isinstance(v, tuple) else v)
                                                       for k, v in s.ct.landmarks.items()}},
        "cement": {"product": s.cement_product, "overrides": s.cement_overrides},
        "carm": {"start_pose": c.start_pose.to_json(), "biplane": c.biplane, "patient_roll_deg": c.patient_roll_deg,
                 "sid_mm": c.geometry.sid_mm, "sod_mm": c.geometry.sod_mm, "detector_mm": c.geometry.detector_mm,
                 "pixels": c.geometry.pixels, "kvp_ap": c.kvp_ap, "kvp_lateral": c.kvp_lateral},
        "targets": s.effective_targets, "target_overrides": s.targets, "advice": s.advice,
        "decisions": s.decisions.to_json(),
        "landmarks": landmarks,
    }


def _show(args) -> int:
    from trainer.core.scenario.build import patient_for
    from trainer.core.scenario.loader import load_scenario

    s = load_scenario(args.scenario)
    patient = patient_for(s)
    data = scenario_json(s, patient.landmarks.to_json())
    from trainer.core.procedure.true_ap_tilt import true_ap_tilt, true_ap_tilt_line

    data["true_ap"] = true_ap_tilt(patient)        # the endplates' lean and the tilt squaring them (round 41)
    notes = [one_line(n) for n in patient.volume.meta.get("series_notes", ())] if s.ct is not None else []
    warned = []
    if s.ct is not None:
        from trainer.core.scenario.ct_plausible import scenario_warnings

        # the import's checks, for the landmarks as the file holds them now and the keys it still lists as estimated
        warned = [one_line(n) for n in scenario_warnings(s.ct, patient)]
        data["ct"]["series_notes"] = notes
        data["ct"]["estimated"] = list(s.ct.estimated)
        data["ct"]["warnings"] = warned
    if args.json:
        print(json.dumps(data, indent=2, default=str))
        return 0
    print(f"{s.title}  [{s.id}]  {s.difficulty}")
    print(f"  file {s.path}  sha256 {s.sha256[:16]}...  seed {s.seed}")
    if s.description:
        print(f"  {s.description}")
    print("Objectives:")
    for o in s.objectives:
        print(f"  - {o}")
    ch = s.chart
    print(f"Patient: {ch['age_years']} y {ch['sex']}; fracture {ch['fracture_age_weeks']:g} weeks old; "
          f"fasted {ch['fasting_hours']:g} h; allergies: {', '.join(ch['allergies']) or 'none'}")
    print(f"  history: {'; '.join(ch['history']) or '-'}")
    for m in ch["medications"]:
        h = m["last_dose_hours_ago"]
        print(f"  medication: {m['name']} {m['dose']} (last dose {'?' if h is None else f'{h:g} h'} ago)")
    print("  labs: " + ", ".join(f"{k} {v:g}" for k, v in ch["labs"].items()))
    print("  imaging: " + ", ".join(f"{k} {v}" for k, v in ch["imaging"].items()))
    if s.ct is None:
        print(f"Anatomy: {s.anatomy.level} {s.fracture}, trabecular {s.anatomy.trabecular_hu:g} HU")
    else:
        # the synthetic trabecular_hu default (95 HU) is not this patient's: the bone is the series' HU
        print(f"Anatomy: {s.ct.level} patient CT: the patient's own vertebra as scanned, no fracture simulated "
              f"(bone from the series' own HU), CT folder {s.ct.folder}"
              + (f", series {s.ct.series}" if s.ct.series is not None else ""))
        for note in notes:                  # the reader's notes, as import-ct printed them
            print(f"  series note: {note}")
        for note in warned:                 # the import's warnings, for the file's landmarks and [ct] estimated
            print(f"  warning: {note}")
        print("  landmarks in the series' patient coordinates (mm, LPS; as in the file and as "
              "import-ct's --body-centre / --pedicle-left / --pedicle-right / --*-endplate take them):")
        for k, v in s.ct.landmarks.items():
            shown = "[" + ", ".join(f"{float(x):g}" for x in v) + "]" if isinstance(v, (tuple, list)) else f"{v:g}"
            print(f"    {k}: {shown}")
        if s.ct.estimated:
            print(f"  still as estimated (not yet checked; [ct] estimated): {', '.join(s.ct.estimated)}")
    print(f"C-arm: start {s.carm.start_pose.to_json()}, biplane {s.carm.biplane}, "
          f"patient roll {s.carm.patient_roll_deg:g} deg")
    from trainer.core.procedure.true_ap_orbital import true_ap_orbital_line

    turned = true_ap_orbital_line(s.carm.patient_roll_deg, patient.landmarks.axial_rotation_deg,
                                  s.ct.level if s.ct else "target")
    if turned:          # the landmark editor says the same line (round 43)
        print("  " + turned)
    if s.ct is not None or data["true_ap"]["off_at_zero_deg"]:     # a built-in case's AP needs no tilt: unsaid
        from trainer.core.scenario.targets import load_targets

        targets = load_targets()
        if s.targets:           # the scenario's own bands, as its scoring reads them
            targets = targets.with_overrides(s.targets, f"{s.path or s.id} [targets]")
        print("  " + true_ap_tilt_line(data["true_ap"], s.ct.level if s.ct else s.anatomy.level, targets))
    print("Targets: " + ", ".join(f"{k} {v}" for k, v in s.effective_targets.items() if v is not None))
    d = s.decisions
    print(f"Expected decisions: candidacy {d.candidacy}")
    for item, g in d.gates.items():
        print(f"  {item:13s} {g['expected']:18s} {g['reason']}  [{g['source']}]")
    print("Landmarks (patient mm, LPS, origin = target body centre):")
    for k, v in data["landmarks"].items():
        if not isinstance(v, dict):
            print(f"  {k}: {v}")
    if s.ct is not None:
        print("  " + _pedicle_note(s.ct.landmarks, data["landmarks"]))
    return 0


def _pedicle_note(series: dict, built: dict) -> str:
    """Why the built patient's pedicle centres are not the file's (one line): each lies on the line
    :func:`~trainer.core.anatomy.ct_pedicle_axis.fit_pedicle` fits through the pedicle's labelled bone
    (searched within
    :data:`~trainer.core.anatomy.ct_pedicle_axis.CENTRE_SEARCH_MM` of the file's point), at its point nearest the
    file's."""
    from trainer.core.anatomy.ct_pedicle_axis import CENTRE_SEARCH_MM

    centre = [float(v) for v in series["body_centre_mm"]]
    far = []
    for side in ("left", "right"):
        key = f"pedicle_{side}_centre_mm"
        d = [float(b) - (float(f) - c) for b, f, c in zip(built[key], series[key], centre)]
        far.append(f"{side} {sum(x * x for x in d) ** 0.5:.1f} mm")
    return ("(pedicle centres above: the built patient's, on the line it fits through each pedicle's labelled bone "
            f"(the most bone clearance, searched {CENTRE_SEARCH_MM:g} mm either side of the file's point), not the file's: "
            f"{', '.join(far)} from "
            "them)")


def _validate(args) -> int:
    """Check each file; a CT scenario's series is read too
    (:func:`~trainer.core.scenario.series_check.series_problem`, which the GUI's picker shares)."""
    from trainer.core.errors import ScenarioError
    from trainer.core.scenario.loader import ScenarioWarning, validate_file
    from trainer.core.scenario.series_check import series_problem

    bad = 0
    for f in args.files:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ScenarioWarning)  # printed below, once
                s = validate_file(f, strict=not args.lenient)
            problem = series_problem(s)
            if problem:
                raise ScenarioError(str(f), [problem])
        except ScenarioError as exc:
            bad += 1
            n = len(exc.problems)
            print(one_line(f"{f}: INVALID ({n} problem{'s' if n != 1 else ''})"), file=sys.stderr)
            for problem in exc.problems:
                print(f"  error: {one_line(problem)}", file=sys.stderr)
            continue
        for w in s.warnings:
            print(f"  warning: {w}", file=sys.stderr)
        what = f"{s.ct.level} patient CT, no fracture simulated" if s.ct is not None else f"{s.anatomy.level} {s.fracture}"
        print(f"{f}: OK ({what}; expected candidacy {s.decisions.candidacy})")
    return 2 if bad else 0


def _expert(args) -> int:
    """The clean expert's actions (:func:`~trainer.core.procedure.expert_plan.expert_actions`, predicted without a
    session: it waits the whole working-phase interval and never stops the cement early) as an actions file."""
    from trainer.core.numbers import check_number
    from trainer.core.procedure.expert_plan import ap_lateral_orbitals, bipedicular_expert_actions, expert_actions
    from trainer.core.procedure.expert_volume import expert_volume_ml
    from trainer.core.safe_write import atomic_write_text, check_output
    from trainer.core.scenario.build import patient_for
    from trainer.core.scenario.loader import load_scenario

    out = check_output(args.out, force=args.force, suffixes=(".jsonl", ".json", ".txt"))
    both = args.side == "both"
    volume = None if args.volume_ml is None else float(check_number("--volume-ml", args.volume_ml, 0.5, 10.0))
    medial = float(check_number("--medial-error-deg", args.medial_error_deg, 0.0, 30.0))
    s = load_scenario(args.scenario)
    patient = patient_for(s)
    why = ""
    if volume is None:                  # FACTS.md 3 defaults: 15-30 % of the body, within the volume band
        volume, why = expert_volume_ml(s, patient)
        why = f" ({why})"
    acts = (bipedicular_expert_actions(s, patient, volume_ml=volume, medial_error_deg=medial) if both
            else expert_actions(s, patient, side=args.side, volume_ml=volume, medial_error_deg=medial))
    atomic_write_text(out, "".join(json.dumps(a, sort_keys=True) + "\n" for a in acts), force=args.force)
    ap = ap_lateral_orbitals(s, patient.landmarks)[0]
    tilts = sorted({a["tilt_deg"] for a in acts if a["type"] == "carm" and a.get("orbital_deg") == ap})
    tilt = f"; AP tilt {tilts[-1]:g} deg (squared on the endplates)" if tilts and tilts[-1] else ""
    if patient.landmarks.axial_rotation_deg:
        tilt += f"; AP orbital {ap:g} deg (squared on the vertebra's own axial rotation)"
    where = "both pedicles" if both else f"the {args.side} pedicle"
    error = f"; aimed {medial:g} deg too medially (a teaching error, not the expert's line)" if medial else ""
    print(f"wrote {len(acts)} expert actions ({where}, {volume:g} mL{why}{tilt}{error}) to {out}")
    print(f"play them: vptrainer play {args.scenario} --actions {out} --out SESSION.jsonl")
    return 0
