"""Find, read and validate scenario files (TOML).

Scenarios are referred to by id (the file stem of a file in ``scenarios/``) or by path.
Validation reports every problem of a file at once, each naming the file, the line, the
field, the value found and what is allowed (:class:`~trainer.core.errors.ScenarioError`).
Strict mode (the default) raises on any problem; lenient mode (``strict=False``) turns
recoverable problems (unknown fields, out-of-range values that have a default) into
warnings, uses the default, and raises only on what cannot be recovered.
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path

import tomllib

from trainer import SCENARIOS_DIR
from trainer.core.anatomy.params import AnatomyParams
from trainer.core.errors import ParameterError, ScenarioError
from trainer.core.numbers import is_number
from trainer.core.one_line import one_line
from trainer.core.parse_limits import LimitError, loads_toml, not_a_regular_file
from trainer.core.scenario.checks import Checker, show
from trainer.core.scenario.model import CArmSettings, Scenario
from trainer.core.scenario.rheology import get_product
from trainer.core.scenario.schema import ADVICE_KEYS, SECTIONS, TOP_LEVEL, cement_products
from trainer.core.scenario.sections import check_ct, check_decisions, check_patient
from trainer.core.scenario.targets import load_targets, validate_overrides
from trainer.core.xray.geometry import CArmGeometry, Pose

__all__ = ["DEFAULT_SCENARIO", "ScenarioWarning", "resolve", "load_scenario", "parse_scenario", "builtin_ids",
           "validate_file"]

DEFAULT_SCENARIO = "l1-wedge-default"
log = logging.getLogger(__name__)

_ANATOMY_MAP = {"grade": "fracture_grade", "height_loss": "height_loss_fraction"}


class ScenarioWarning(UserWarning):
    """A scenario problem tolerated in lenient mode."""


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
            raise _not_a_file(p)
        return p
    cand = SCENARIOS_DIR / f"{ref}.toml"
    if cand.is_file():
        return cand
    raise ScenarioError(str(ref), [f"unknown scenario {str(ref)!r}; built-in ids: {', '.join(builtin_ids())} "
                                   "(or give a path to a .toml file)"])


def load_scenario(ref: str | Path | None = None, strict: bool = True) -> Scenario:
    """Load and validate a scenario by id or path.

    Parameters
    ----------
    ref : str or Path or None
        Built-in id (file stem in ``scenarios/``), a path to a ``.toml`` file, or None for
        :data:`DEFAULT_SCENARIO`.
    strict : bool
        Raise on every problem (default); otherwise warn on recoverable ones.

    Raises
    ------
    ScenarioError
        With every problem found in the file.
    """
    path = resolve(ref)
    _refuse_undecodable(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [f"{path}: cannot read: {exc}"]) from None
    return parse_scenario(text, path, strict=strict)


def _refuse_undecodable(path: Path) -> None:
    """ScenarioError when the file's absolute path holds a byte that is not UTF-8 (``caf\\xe9.toml`` from an old
    Latin-1 disk): a session records its case's path as UTF-8 text, and ``play`` on such a file stopped with a
    UnicodeEncodeError traceback, leaving an empty session file (hostile41)."""
    full = str(path.absolute())
    try:
        full.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ScenarioError(str(path), [
            f"{one_line(full)}: character {exc.start + 1} of the path is a byte that is not UTF-8 "
            f"({one_line(full[exc.start])}); a session records its case's path as UTF-8 text: rename the file (and "
            "the folders above it) to UTF-8 (e.g. letters, digits, - and _)"]) from None


def validate_file(path: str | Path, strict: bool = True) -> Scenario:
    """Validate one file given by path (never by id); same errors as :func:`load_scenario`."""
    p = Path(path)
    if not p.is_file():
        raise _not_a_file(p)
    return load_scenario(p, strict=strict)


def _not_a_file(p: Path) -> ScenarioError:
    """The error for a scenario path that is not a regular file (missing, a FIFO, a device, a loop...)."""
    why = not_a_regular_file(p)
    if why is None and p.is_symlink():
        why = "is a broken or looping symbolic link; expected a scenario file"
    return ScenarioError(str(p), [f"{p}: {why}" if why else f"{p}: no such scenario file"])


def _toml_error(where: str, exc: tomllib.TOMLDecodeError) -> ScenarioError:
    m = re.search(r"line (\d+)", str(exc))
    line = m.group(1) if m else "1"
    return ScenarioError(where, [f"{where}:{line}: not valid TOML: {exc}; expected TOML syntax "
                                 "(key = value, [section] headers, strings in quotes)"])


def parse_scenario(text: str, path: Path | None = None, strict: bool = True, *,
                   ct_series_folder: Path | None = None) -> Scenario:
    """Parse and validate scenario TOML text.

    ``path`` is used in messages and to resolve the ``[ct]`` folder; ``ct_series_folder``, when
    given, is the series folder to read instead of the one ``[ct] folder`` names (a recorded
    session's series found by its fingerprint).
    """
    where = str(path) if path else "<scenario>"
    try:
        data = loads_toml(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(where, exc) from None
    except LimitError as exc:
        m = re.match(r"line (\d+): (.*)", str(exc))
        line, msg = (m.group(1), m.group(2)) if m else ("1", str(exc))
        raise ScenarioError(where, [f"{where}:{line}: {msg}"]) from None
    ck = Checker(where, text, strict)
    for key, value in data.items():
        if key not in TOP_LEVEL:
            ck.unknown(key, TOP_LEVEL, "the file", kind="section")
        elif not isinstance(value, dict):
            ck.bad(key, value, f"a [{key}] section", recoverable=False)
    sec = {k: (v if isinstance(v, dict) else {}) for k, v in data.items()}
    if "scenario" not in data:
        ck.missing("scenario", "a [scenario] section with title and objectives")
    meta = ck.table("scenario", sec.get("scenario", {}))
    chart = check_patient(ck, sec.get("patient", {}))

    ct = check_ct(ck, sec.get("ct"), path, ct_series_folder) if "ct" in sec else None
    an = ck.table("anatomy", sec.get("anatomy", {}))
    if ct is not None and "level" not in sec.get("anatomy", {}):
        an["level"] = ct.level
    elif ct is not None and an["level"] != ct.level:
        ck.bad("anatomy.level", an["level"], f"the [ct] level {ct.level!r} (or leave anatomy.level out)",
               recoverable=False)
    if an.get("sex") is None:
        an["sex"] = chart["sex"]
    elif "sex" in sec.get("patient", {}) and an["sex"] != chart["sex"]:
        ck.bad("anatomy.sex", an["sex"], f"the patient's sex {chart['sex']!r} (or leave anatomy.sex out)",
               recoverable=False)
    anatomy = _anatomy(ck, an, meta.get("seed") or 0, sec.get("anatomy", {}))
    for sub, key in (("symptoms", "tenderness_level"), ("imaging", "findings_level")):
        if chart[sub][key] is None:
            chart[sub][key] = anatomy.level
    carm = _carm(ck, sec.get("carm", {}))
    targets, advice = _targets(ck, sec.get("targets", {}))
    product, overrides = _cement(ck, sec.get("cement", {}))
    decisions = check_decisions(ck, sec.get("decisions", {}))
    ck.finish()
    for w in ck.warnings:
        log.warning(w)
        warnings.warn(w, ScenarioWarning, stacklevel=2)
    sid = path.stem if path else "scenario"
    return Scenario(id=sid, path=path, text=text, data=data, title=meta["title"], difficulty=meta["difficulty"],
                    objectives=tuple(meta["objectives"]), seed=meta["seed"], anatomy=anatomy, carm=carm,
                    cement_product=product, targets=targets, advice=advice, chart=chart,
                    description=meta["description"], decision_overrides=decisions, cement_overrides=overrides,
                    ct=ct, warnings=tuple(ck.warnings))


def _anatomy(ck: Checker, an: dict, seed: int, raw: dict) -> AnatomyParams:
    kwargs = {_ANATOMY_MAP.get(k, k): v for k, v in an.items() if v is not None}
    kwargs["seed"] = seed
    try:
        return AnatomyParams(**kwargs)
    except ParameterError as exc:
        inv = {v: k for k, v in _ANATOMY_MAP.items()}
        name = inv.get(exc.name, exc.name)
        ck.bad(f"anatomy.{name}", raw.get(name, exc.value), exc.allowed, recoverable=False)
        kwargs.pop(exc.name, None)
        kwargs.pop("height_loss_fraction", None)
        try:
            return AnatomyParams(**kwargs)
        except ParameterError:
            return AnatomyParams(seed=0)


def _carm(ck: Checker, raw: dict) -> CArmSettings:
    c = ck.table("carm", raw)
    if c["start_preset"] is not None and ("start_orbital_deg" in raw or "start_tilt_deg" in raw):
        ck.bad("carm.start_preset", c["start_preset"],
               "either start_preset or start_orbital_deg/start_tilt_deg, not both", recoverable=False)
    orbital = {"ap": 0.0, "lateral": 90.0}.get(c["start_preset"], c["start_orbital_deg"])
    tilt = 0.0 if c["start_preset"] else c["start_tilt_deg"]
    try:
        geom = CArmGeometry(sid_mm=c["sid_mm"], sod_mm=c["sod_mm"], detector_mm=c["detector_mm"],
                            pixels=c["pixels"])
    except ParameterError as exc:
        ck.bad(f"carm.{exc.name}", raw.get(exc.name, exc.value), exc.allowed, recoverable=False)
        geom = CArmGeometry()
    return CArmSettings(geometry=geom, start_pose=Pose(orbital_deg=orbital, tilt_deg=tilt), biplane=c["biplane"],
                        patient_roll_deg=c["patient_roll_deg"], kvp_ap=c["kvp_ap"], kvp_lateral=c["kvp_lateral"])


def _targets(ck: Checker, raw: dict) -> tuple[dict, dict]:
    """[targets]: scoring overrides (band shortcuts and per-metric tables) and advice."""
    flat = {k: v for k, v in raw.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in raw.items() if isinstance(v, dict)}
    t = ck.table("targets", flat)
    for lo, hi in (("cement_ml_min", "cement_ml_max"), ("tip_depth_min", "tip_depth_max"),
                   ("fill_percent_min", "fill_percent_max")):
        if t[lo] is not None and t[hi] is not None and t[lo] > t[hi]:
            ck.bad(f"targets.{lo}", raw.get(lo), f"at most targets.{hi} ({show(raw.get(hi))})", recoverable=False)
    scoring = {k: t[k] for k in flat if k in SECTIONS["targets"] and k not in ADVICE_KEYS and t[k] is not None}
    advice = {k: t[k] for k in ADVICE_KEYS}
    if tables:
        known = load_targets()
        for field, value, allowed in validate_overrides(tables, known):
            ck.bad(field, value, allowed, recoverable=False)
        scoring.update({k: v for k, v in tables.items() if k in known.specs})
    return scoring, advice


def _cement(ck: Checker, raw: dict) -> tuple[str, dict]:
    c = ck.table("cement", raw)
    products = cement_products()
    product = c["product"]
    if product not in products:
        ck.bad("cement.product", product, "one of " + ", ".join(repr(p) for p in products) +
               " (assets/cement_products.toml)", recoverable=True)
        product = "default"
    overrides = {}
    raw_over = raw.get("overrides", {})
    if not isinstance(raw_over, dict):
        ck.bad("cement.overrides", raw_over, "a [cement.overrides] table of name = number", recoverable=False)
        raw_over = {}
    names = sorted(products.get(product, ()))
    for k, v in raw_over.items():
        if names and k not in names:
            ck.unknown(f"cement.overrides.{k}", names, f"[cement.overrides] of product {product!r}")
        elif not is_number(v):
            ck.bad(f"cement.overrides.{k}", v, "a finite number (the product parameter's new value)",
                   recoverable=False)
        else:
            overrides[k] = float(v)
    if overrides:
        # the product's own ranges (CementProduct) decide, when the file is read, not at the first injection
        try:
            get_product(product).with_overrides(overrides)
        except ParameterError as exc:
            name = exc.name.split(".", 1)[-1]
            ck.bad(f"cement.overrides.{name}", raw_over.get(name, exc.value), exc.allowed, recoverable=False)
            overrides = {}
    return product, overrides
