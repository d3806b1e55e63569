"""Find, read and validate scenario files (TOML).

Scenarios are referred to by id (the file stem of a file in ``scenarios/``) or by path.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from trainer import SCENARIOS_DIR
from trainer.core.anatomy.params import AnatomyParams
from trainer.core.errors import ParameterError, ScenarioError
from trainer.core.scenario.model import CArmSettings, Scenario
from trainer.core.xray.geometry import CArmGeometry, Pose

__all__ = ["DEFAULT_SCENARIO", "resolve", "load_scenario", "parse_scenario", "builtin_ids"]

DEFAULT_SCENARIO = "l1-wedge-default"


def builtin_ids() -> list[str]:
    """Ids of the built-in scenarios, sorted."""
    return sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml"))


def resolve(ref: str | Path | None) -> Path:
    """Path of a scenario given by id or by path (None: the default scenario)."""
    if ref is None:
        ref = DEFAULT_SCENARIO
    p = Path(ref)
    if p.suffix == ".toml" or p.exists() or "/" in str(ref):
        if not p.is_file():
            raise ScenarioError(str(p), [f"{p}: no such scenario file"])
        return p
    cand = SCENARIOS_DIR / f"{ref}.toml"
    if cand.is_file():
        return cand
    raise ScenarioError(str(ref), [f"unknown scenario {str(ref)!r}; built-in ids: {', '.join(builtin_ids())} "
                                   "(or give a path to a .toml file)"])


def load_scenario(ref: str | Path | None = None) -> Scenario:
    """Load and validate a scenario by id or path."""
    path = resolve(ref)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [f"{path}: cannot read: {exc}"]) from None
    return parse_scenario(text, path)


def parse_scenario(text: str, path: Path | None = None) -> Scenario:
    """Parse scenario TOML text; ``path`` is used for messages and relative paths."""
    where = str(path) if path else "<scenario>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(where, [f"{where}: not valid TOML: {exc}"]) from None
    problems: list[str] = []
    meta = data.get("scenario", {})
    an = dict(data.get("anatomy", {}))
    kwargs = {}
    mapping = {"level": "level", "sex": "sex", "size_scale": "size_scale", "trabecular_hu": "trabecular_hu",
               "cortical_hu": "cortical_hu", "grade": "fracture_grade", "morphology": "morphology",
               "height_loss": "height_loss_fraction", "cleft": "cleft", "endplate_crack": "endplate_crack",
               "posterior_wall_defect": "posterior_wall_defect",
               "basivertebral_vein_scale": "basivertebral_vein_scale",
               "segmental_vein_scale": "segmental_vein_scale",
               "posterior_soft_tissue_mm": "posterior_soft_tissue_mm"}
    for key, value in an.items():
        if key not in mapping:
            problems.append(f"{where}: anatomy.{key}: unknown field; allowed: {', '.join(mapping)}")
            continue
        kwargs[mapping[key]] = value
    seed = meta.get("seed", 0)
    kwargs["seed"] = seed
    anatomy = None
    try:
        anatomy = AnatomyParams(**kwargs)
    except ParameterError as exc:
        inv = {v: k for k, v in mapping.items()}
        section = "scenario" if exc.name == "seed" else "anatomy"
        problems.append(f"{where}: {section}.{inv.get(exc.name, exc.name)} = {exc.value!r}: expected {exc.allowed}")
    c = data.get("carm", {})
    carm = None
    try:
        geom = CArmGeometry(**{k: c[k] for k in ("sid_mm", "sod_mm", "detector_mm", "pixels") if k in c})
        pose = Pose(orbital_deg=float(c.get("start_orbital_deg", 0.0)), tilt_deg=float(c.get("start_tilt_deg", 0.0)))
        carm = CArmSettings(geometry=geom, start_pose=pose, biplane=bool(c.get("biplane", False)),
                            patient_roll_deg=float(c.get("patient_roll_deg", 0.0)))
    except ParameterError as exc:
        problems.append(f"{where}: carm.{exc.name} = {exc.value!r}: expected {exc.allowed}")
    if problems:
        raise ScenarioError(where, problems)
    sid = path.stem if path else "scenario"
    return Scenario(id=sid, path=path, text=text, data=data, title=str(meta.get("title", sid)),
                    difficulty=str(meta.get("difficulty", "standard")),
                    objectives=tuple(meta.get("objectives", ())), seed=int(seed), anatomy=anatomy, carm=carm,
                    cement_product=str(data.get("cement", {}).get("product", "default")),
                    targets=dict(data.get("targets", {})), chart=dict(data.get("patient", {})))
