"""Checks of the scenario sections that are more than flat fields: the chart, decisions, CT."""

from __future__ import annotations

import difflib
from pathlib import Path

from trainer.core.scenario.checklist import CHECKLIST_ITEMS, allowed_answers
from trainer.core.scenario.checks import Checker
from trainer.core.scenario.model import CTSource
from trainer.core.scenario.schema import ALLERGENS, ARRAY_SECTIONS, medication_table

__all__ = ["check_patient", "check_decisions", "check_ct"]

_SUBTABLES = ("symptoms", "labs", "imaging", "infection")
#: Other names instructors write for the allergens the rules know.
ALLERGY_ALIASES = {"bone_cement": "pmma", "cement": "pmma", "polymethyl_methacrylate": "pmma",
                   "opacifier": "barium_sulfate", "barium": "barium_sulfate", "contrast": "iodinated_contrast",
                   "penicillins": "penicillin", "cephalosporins": "cephalosporin", "betalactam": "beta_lactam"}


def _norm(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _one_of(values) -> str:
    return "one of " + ", ".join(repr(v) for v in values)


def check_patient(ck: Checker, raw: dict) -> dict:
    """Check ``[patient]`` and its sub-tables; return the normalised chart."""
    chart = ck.table("patient", raw)
    for sub in _SUBTABLES:
        val = raw.get(sub, {})
        if not isinstance(val, dict):
            ck.bad(f"patient.{sub}", val, f"a [patient.{sub}] table", recoverable=False)
            val = {}
        chart[sub] = ck.table(f"patient.{sub}", val)
    allergies = []
    for i, a in enumerate(chart["allergies"]):
        key = _norm(a)
        key = ALLERGY_ALIASES.get(key, key)
        if key.startswith("other:") or key in ALLERGENS:
            allergies.append(a.strip() if key.startswith("other:") else key)
            continue
        close = difflib.get_close_matches(key, list(ALLERGENS), n=1, cutoff=0.6)
        ck.bad(f"patient.allergies[{i}]", a, _one_of(ALLERGENS) + ", or free text starting with 'other:'",
               what="unknown allergy" + (f" (did you mean {close[0]!r}?)" if close else ""))
    chart["allergies"] = allergies
    chart["history"] = list(chart["history"])
    chart["medications"] = _medications(ck, raw.get("medications", []))
    return chart


def _medications(ck: Checker, raw) -> list[dict]:
    shape = "[[patient.medications]] tables with name, dose and last_dose_hours_ago or last_dose_days_ago"
    if not isinstance(raw, list) or not all(isinstance(m, dict) for m in raw):
        ck.bad("patient.medications", raw, shape, recoverable=False)
        return []
    table = medication_table()
    gated = [n for n, r in table.items() if r["class"] != "other"]
    out = []
    for i, m in enumerate(raw):
        path = f"patient.medications[{i}]"
        v = ck.table(path, m, ARRAY_SECTIONS["patient.medications"], label="[[patient.medications]]")
        if v["name"] is None:
            continue
        key = _norm(v["name"])
        if v["kind"] == "other":
            row = {"class": "other", "hold_hours": 0, "needs_inr": False, "source": "chart (kind = 'other')"}
        elif key in table:
            row = table[key]
        else:
            close = difflib.get_close_matches(key, list(table), n=1, cutoff=0.6)
            ck.bad(f"{path}.name", v["name"],
                   f"a medicine of assets/medications.toml ({', '.join(gated)}, or one without a bleeding "
                   "gate such as paracetamol), or kind = \"other\" for anything else",
                   recoverable=False, what="unknown medicine" + (f" (did you mean {close[0]!r}?)" if close else ""))
            continue
        h, d = v["last_dose_hours_ago"], v["last_dose_days_ago"]
        if h is not None and d is not None:
            ck.bad(f"{path}.last_dose_days_ago", m.get("last_dose_days_ago"),
                   "only one of last_dose_hours_ago and last_dose_days_ago", recoverable=False, what="both given")
        hours = h if h is not None else (d * 24.0 if d is not None else None)
        if hours is None and row["class"] != "other":
            ck.missing(f"{path}.last_dose_hours_ago",
                       f"when {key} was last taken (last_dose_hours_ago or last_dose_days_ago): a blood "
                       "thinner needs it for the bleeding gates")
        out.append({"name": key if v["kind"] != "other" else v["name"], "dose": v["dose"],
                    "last_dose_hours_ago": hours, "class": row["class"], "hold_hours": float(str(row["hold_hours"])),
                    "needs_inr": bool(row.get("needs_inr", False)), "source": row["source"]})
    return out


def check_decisions(ck: Checker, raw: dict) -> dict:
    """Check ``[decisions]`` overrides; every one needs an allowed ``expected`` and a ``reason``."""
    out = {}
    for item, val in raw.items():
        path = f"decisions.{item}"
        if item not in CHECKLIST_ITEMS:
            ck.unknown(path, CHECKLIST_ITEMS, "[decisions]", kind="checklist item")
            continue
        answers = allowed_answers(item)
        if not isinstance(val, dict):
            ck.bad(path, val, f'a table {{ expected = ..., reason = "..." }} with expected {_one_of(answers)}',
                   recoverable=False)
            continue
        for k in val:
            if k not in ("expected", "reason"):
                ck.unknown(f"{path}.{k}", ("expected", "reason"), f"[decisions.{item}]")
        exp, reason = val.get("expected"), val.get("reason")
        ok = True
        if exp is None:
            ck.missing(f"{path}.expected", _one_of(answers))
            ok = False
        elif exp not in answers:
            ck.bad(f"{path}.expected", exp, _one_of(answers), recoverable=False)
            ok = False
        if reason is None:
            ck.missing(f"{path}.reason", "a non-empty string saying why the rule is overridden "
                                         "(every override needs a reason)")
            ok = False
        elif not isinstance(reason, str) or not reason.strip():
            ck.bad(f"{path}.reason", reason, "a non-empty string saying why the rule is overridden",
                   recoverable=False)
            ok = False
        if ok and isinstance(reason, str):
            out[item] = {"expected": exp, "reason": reason.strip()}
    return out


def check_ct(ck: Checker, raw, path: Path | None, series_folder: Path | None = None) -> CTSource | None:
    """Check ``[ct]``: the folder must stay inside the scenario's folder and exist.

    ``series_folder``: where the series is instead of the named folder (a session's series found by
    its recorded fingerprint, :mod:`trainer.core.session.ct_lookup`); the name must still be a
    relative path that stays inside the scenario's folder."""
    if not isinstance(raw, dict):
        return None
    c = ck.table("ct", raw)
    lm_raw = raw.get("landmarks")
    if lm_raw is None:
        ck.missing("ct.landmarks", "a [ct.landmarks] table (body_centre_mm, pedicle_left_centre_mm, "
                                   "pedicle_right_centre_mm, superior_endplate_z_mm, inferior_endplate_z_mm)")
    elif not isinstance(lm_raw, dict):
        ck.bad("ct.landmarks", lm_raw, "a [ct.landmarks] table", recoverable=False)
    lm = ck.table("ct.landmarks", lm_raw if isinstance(lm_raw, dict) else {})
    base = (path.parent if path else Path.cwd()).resolve()
    inside = "a folder relative to the scenario file that stays inside its folder"
    folder = None
    if c["folder"] is not None:
        fp = Path(c["folder"])
        resolved = (base / fp).resolve()
        if fp.is_absolute():
            ck.bad("ct.folder", c["folder"], inside, recoverable=False, what="absolute paths are refused")
        elif not resolved.is_relative_to(base):
            ck.bad("ct.folder", c["folder"], inside, recoverable=False,
                   what=f"leaves the scenario's folder {base} (refused)")
        elif series_folder is not None:
            folder = Path(series_folder).resolve()
        elif not resolved.is_dir():
            ck.bad("ct.folder", c["folder"], inside + " and exists", recoverable=False,
                   what=f"no such folder ({resolved})")
        else:
            folder = resolved
    sup, inf = lm.get("superior_endplate_z_mm"), lm.get("inferior_endplate_z_mm")
    if sup is not None and inf is not None and sup <= inf:
        ck.bad("ct.landmarks.superior_endplate_z_mm", sup,
               f"above (greater than) inferior_endplate_z_mm = {inf:g}", recoverable=False)
    if folder is None or c["level"] is None or any(v is None for v in lm.values()):
        return CTSource(folder=base, level=c["level"] or "L1", landmarks=lm, description=c["description"],
                        estimated=c["estimated"] or (), series=c["series"])
    return CTSource(folder=folder, level=c["level"], landmarks=lm, description=c["description"],
                    estimated=c["estimated"] or (), series=c["series"])
