"""``vptrainer scenarios import-ct DIR --level T8 --out FILE.toml`` (see scenarios.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from trainer.core.errors import ScenarioError

_OPTIONS = {"body_centre": "body_centre_mm", "pedicle_left": "pedicle_left_centre_mm",
            "pedicle_right": "pedicle_right_centre_mm", "superior_endplate": "superior_endplate_z_mm",
            "inferior_endplate": "inferior_endplate_z_mm"}


def import_ct(args) -> int:
    from trainer.core.anatomy.dicom_io import read_ct_series
    from trainer.core.anatomy.params import LEVELS
    from trainer.core.scenario.ct_import import (
        estimate_landmarks,
        relative_inside,
        scenario_toml,
    )
    from trainer.core.scenario.loader import parse_scenario

    if args.level not in LEVELS:
        raise ScenarioError(args.out, [f"--level {args.level!r}: expected one of {', '.join(LEVELS)}"])
    from trainer.core.safe_write import atomic_file, check_output

    folder = Path(args.dir)
    out = Path(args.out)
    if out.suffix != ".toml":
        raise ScenarioError(args.out, [f"--out {out}: expected a file name ending in .toml"])
    if not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    check_output(out, force=args.force, inputs=[folder])
    rel = relative_inside(folder, out)
    given = {key: getattr(args, opt) for opt, key in _OPTIONS.items() if getattr(args, opt) is not None}
    given = {k: (v[0] if k.endswith("_z_mm") else tuple(v)) for k, v in given.items()}
    vol = read_ct_series(folder)
    estimated = ()
    if len(given) < len(_OPTIONS):
        est = estimate_landmarks(vol)
        estimated = tuple(k for k in est if k not in given)
        given = {**est, **given}
    text = scenario_toml(rel, args.level, given, title=args.title,
                         description=f"Imported from {folder.name} ({vol.meta.get('series_description', '')})",
                         estimated=estimated)
    # the text is validated as the file it will become (its CT path resolves from --out's folder);
    # only a valid scenario is written, through a temporary file renamed into place
    s = parse_scenario(text, out.resolve())
    with atomic_file(out, force=args.force) as tmp:
        tmp.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({s.ct.level}, CT folder {rel}; "
          f"{'estimated: ' + ', '.join(estimated) if estimated else 'landmarks as given'})")
    if estimated:
        print("check the estimated landmarks with 'vptrainer scenarios show' before teaching with this case",
              file=sys.stderr)
    return 0
