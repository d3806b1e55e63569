"""The scenario format as data: every section, field, type, unit, range and default.

The loader validates against these specs and docs/scenario-format.md is generated from
them (:func:`reference_markdown`), so the documentation and the checks cannot drift apart.
Anatomy and C-arm geometry ranges mirror :class:`~trainer.core.anatomy.params.AnatomyParams`
and :class:`~trainer.core.xray.geometry.CArmGeometry`, which do the actual validation
(a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import tomllib

from trainer import ASSETS_DIR
from trainer.core.anatomy.dicom_mixed import SERIES_ALLOWED, series_selector
from trainer.core.anatomy.params import LEVELS
from trainer.core.numbers import is_number, number_ok
from trainer.core.xray.beam import KVP_RANGE

__all__ = ["FieldSpec", "REQUIRED", "SECTIONS", "ARRAY_SECTIONS", "TOP_LEVEL", "DEFAULT_TARGETS",
           "ALLERGENS", "ADVICE_KEYS", "medication_table", "cement_products", "reference_markdown", "DIFFICULTIES"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: Marker for fields without a default.
REQUIRED = _Required()

DIFFICULTIES = ("introductory", "intermediate", "advanced")

#: The keys of ``[ct.landmarks]``, in file order (the one home of the list: ``import-ct``, the landmark editor and
#: ``[ct] estimated`` take it from here)
LANDMARK_FIELDS = ("body_centre_mm", "pedicle_left_centre_mm", "pedicle_right_centre_mm",
                   "superior_endplate_z_mm", "inferior_endplate_z_mm")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a scenario section.

    Attributes
    ----------
    kind : str
        ``str`` (non-empty), ``text`` (any string), ``int``, ``float``, ``bool``, ``choice``,
        ``level``, ``strlist`` (with ``choices``: each string one of them), ``vec3`` (three numbers, mm), ``series``
        (a SeriesNumber or SeriesInstanceUID, :func:`~trainer.core.anatomy.dicom_mixed.series_selector`) or ``table``
        (a sub-table).
    default : Any
        Value when the field is absent, or :data:`REQUIRED`.
    lo, hi : float or None
        Inclusive numeric range.
    choices : tuple of str
        Allowed values of a ``choice`` (or of each string of a ``strlist``).
    unit : str
    doc : str
        One-line meaning (shown in the reference).
    source : str
        FACTS.md section or seed file behind the default or range.
    """

    kind: str
    default: Any = None
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()
    unit: str = ""
    doc: str = ""
    source: str = ""

    def allowed(self) -> str:
        """What is allowed, in words (used in every error message)."""
        u = f" {self.unit}" if self.unit else ""
        if self.kind == "int":
            return f"an integer from {_num(self.lo)} to {_num(self.hi)}{u}"
        if self.kind == "float":
            return f"a number from {_num(self.lo)} to {_num(self.hi)}{u}"
        if self.kind == "bool":
            return "true or false"
        if self.kind == "grade":
            return "a Genant grade: 0, 0.5, 1, 2 or 3"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "level":
            return "a level from T8 to L5 (" + ", ".join(LEVELS) + ")"
        if self.kind == "strlist":
            if self.choices:
                return "a list of distinct strings, each one of " + ", ".join(repr(c) for c in self.choices)
            return "a list of strings" + (" (at least one)" if self.lo else "")
        if self.kind == "vec3":
            return f"three numbers [x, y, z]{u}"
        if self.kind == "str":
            return "a non-empty string"
        if self.kind == "table":
            return "a table (section)"
        if self.kind == "series":
            return SERIES_ALLOWED
        return "a string"

    def check(self, value: Any) -> tuple[bool, Any]:
        """Return ``(ok, normalised value)``."""
        k = self.kind
        if k in ("int", "float"):
            if not number_ok(value, self.lo, self.hi, integer=k == "int"):   # NaN, inf, bool, huge: refused
                return False, None
            return True, (int(value) if k == "int" else float(value))
        if k == "bool":
            return isinstance(value, bool), value
        if k == "grade":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value in (0, 0.5, 1, 2, 3)
            return ok, (float(value) if ok else None)
        if k == "choice":
            return isinstance(value, str) and value in self.choices, value
        if k == "level":
            return isinstance(value, str) and value in LEVELS, value
        if k == "strlist":
            ok = isinstance(value, list) and all(isinstance(s, str) and s.strip() for s in value)
            if ok and self.lo and len(value) < self.lo:
                ok = False
            if ok and self.choices and (any(s not in self.choices for s in value) or len(set(value)) < len(value)):
                ok = False
            return ok, (tuple(value) if ok else None)
        if k == "vec3":
            ok = (isinstance(value, list) and len(value) == 3
                  and all(is_number(v) for v in value)
                  and all(abs(v) <= (self.hi if self.hi is not None else 1e4) for v in value))
            return ok, (tuple(float(v) for v in value) if ok else None)
        if k == "str":
            return isinstance(value, str) and bool(value.strip()), value
        if k == "table":
            return isinstance(value, dict), value
        if k == "series":
            sel = series_selector(value)
            return sel is not None, sel
        return isinstance(value, str), value


def _num(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


F = FieldSpec
LEVEL_CHOICES = tuple(LEVELS)
FINDING = ("present", "absent", "not_done")

#: Allergies the rules understand (free text: prefix with ``other:``).
ALLERGENS = {
    "pmma": "cement (polymethyl methacrylate): contraindication, FACTS.md 6.1",
    "methyl_methacrylate": "cement monomer: contraindication, FACTS.md 6.1",
    "barium_sulfate": "the cement opacifier: contraindication, FACTS.md 6.1",
    "iodinated_contrast": "iodinated contrast: not a contraindication (the cement opacifier is BaSO4)",
    "penicillin": "beta-lactam allergy: clindamycin instead of cefazolin, FACTS.md 6.3",
    "cefazolin": "beta-lactam allergy: clindamycin instead of cefazolin, FACTS.md 6.3",
    "cephalosporin": "beta-lactam allergy: clindamycin instead of cefazolin, FACTS.md 6.3",
    "beta_lactam": "beta-lactam allergy: clindamycin instead of cefazolin, FACTS.md 6.3",
    "clindamycin": "no clindamycin: with a beta-lactam allergy too, ciprofloxacin, FACTS.md 6.3",
    "latex": "no bearing on the checklist",
    "chlorhexidine": "no bearing on the checklist",
    "iodine": "skin preparation only; no bearing on the checklist",
    "lidocaine": "local anaesthetic alternative needed; no bearing on the checklist",
    "opioids": "no bearing on the checklist",
}

SECTIONS: dict[str, dict[str, FieldSpec]] = {
    "scenario": {
        "title": F("str", REQUIRED, doc="Title shown in the scenario picker, after the level unless it starts with it "
                                   "(a level as its last word is shown in front instead: \"Real abd L3\" -> "
                                   "\"L3 · Real abd\"); `import-ct` without `--title` writes \"L3 patient CT\""),
        "difficulty": F("choice", "intermediate", choices=DIFFICULTIES, doc="How hard the case is"),
        "objectives": F("strlist", REQUIRED, lo=1, doc="Learning objectives, one sentence each"),
        "seed": F("int", 0, lo=0, hi=2**32 - 1,
                  doc="Seed of every random draw (anatomy jitter, noise, cement); same seed, same case"),
        "description": F("text", "", doc="Free text for the instructor and the chart header"),
    },
    "patient": {
        "age_years": F("int", 72, lo=18, hi=110, unit="years", doc="Age"),
        "sex": F("choice", "female", choices=("female", "male"),
                 doc="Sex; also the anatomy's sex unless [anatomy] sex is given"),
        "history": F("strlist", (), doc="Relevant history, one item each (e.g. 'osteoporosis')"),
        "fracture_age_weeks": F("float", 3.0, lo=0, hi=520, unit="weeks",
                                doc="Time since the fracture (ideal candidates present within ~16 weeks, FACTS.md 6.1)",
                                source="FACTS.md 6.1"),
        "allergies": F("strlist", (), doc="Allergies: " + ", ".join(ALLERGENS) + " (also 'bone cement', 'opacifier', "
                                                 "'contrast'...), or 'other: ...'"),
        "fasting_hours": F("float", 8.0, lo=0, hi=72, unit="h", doc="Hours since food or drink (gate >= 6 h)",
                           source="FACTS.md 6.3; seeds/000_10316454a5df9267.txt"),
        "consent_signed": F("bool", True, doc="Written informed consent already signed"),
        "antibiotic_given": F("choice", "none", choices=("none", "cefazolin_1g", "clindamycin_600mg",
                                                         "ciprofloxacin_500mg"),
                              doc="Prophylaxis already given on the ward"),
        "antibiotic_given_min_ago": F("float", 30.0, lo=0, hi=1440, unit="min",
                                      doc="When it was given (counts if within 60 min)",
                                      source="FACTS.md 6 gate table"),
        "symptoms": F("table", doc="[patient.symptoms]"),
        "labs": F("table", doc="[patient.labs]"),
        "imaging": F("table", doc="[patient.imaging]"),
        "infection": F("table", doc="[patient.infection]"),
        "medications": F("table", doc="[[patient.medications]], one table per medicine"),
    },
    "patient.symptoms": {
        "pain_nrs": F("int", 7, lo=0, hi=10, unit="(NRS)", doc="Pain score; 0 = asymptomatic (decline)",
                      source="FACTS.md 6.1"),
        "point_tenderness": F("bool", True, doc="Focal midline tenderness on palpation"),
        "tenderness_level": F("level", None, doc="Level of the tenderness (default: the target level)"),
        "pain_trend": F("choice", "worsening", choices=("worsening", "stable", "improving"),
                        doc="Course of the pain; 'improving' is a contraindication", source="FACTS.md 6.1"),
        "refractory_weeks": F("float", 3.0, lo=0, hi=520, unit="weeks",
                              doc="Weeks of failed medical therapy (informational)"),
    },
    "patient.labs": {
        "inr": F("float", 1.0, lo=0.5, hi=10, doc="International normalised ratio (gate <= 1.5)",
                 source="FACTS.md 6.2"),
        "platelets_per_ul": F("int", 250000, lo=1000, hi=2000000, unit="/uL",
                              doc="Platelet count (gate >= 50,000/uL)", source="FACTS.md 6.2"),
        "wbc_per_nl": F("float", 7.0, lo=0.1, hi=200, unit="10^9/L", doc="White cells (raised above 11)"),
        "crp_mg_l": F("float", 3.0, lo=0, hi=600, unit="mg/L", doc="C-reactive protein (raised above 10)"),
    },
    "patient.imaging": {
        "mri_stir_oedema": F("choice", "present", choices=FINDING,
                             doc="MRI STIR/T2 marrow oedema at the findings level", source="FACTS.md 6.1"),
        "bone_scan_uptake": F("choice", "not_done", choices=FINDING,
                              doc="Bone-scan uptake at the findings level", source="FACTS.md 6.1"),
        "findings_level": F("level", None, doc="Level the findings refer to (default: the target level)"),
        "posterior_wall_involved": F("bool", False, doc="Fracture extends to the posterior wall (decline)",
                                     source="FACTS.md 6.1; seeds/000_10316454a5df9267.txt"),
        "retropulsion_mm": F("float", 0.0, lo=0, hi=20, unit="mm", doc="Retropulsed fragment into the canal"),
        "canal_compromise": F("bool", False, doc="The canal is narrowed (with retropulsion: decline)",
                              source="FACTS.md 6.1"),
    },
    "patient.infection": {
        "active": F("bool", False, doc="Known active infection (osteomyelitis, discitis, sepsis...): decline",
                    source="FACTS.md 6.1"),
        "site": F("text", "", doc="Where (free text)"),
        "fever": F("bool", False, doc="Temperature >= 38 C now (with raised WBC or CRP: defer and work up)"),
    },
    "anatomy": {
        "level": F("level", "L1", doc="Target vertebra", source="FACTS.md 1"),
        "sex": F("choice", None, choices=("female", "male"), doc="Anatomy sex (default: [patient] sex)"),
        "size_scale": F("float", 1.0, lo=0.8, hi=1.2, doc="Overall size factor"),
        "trabecular_hu": F("float", 95.0, lo=40, hi=300, unit="HU",
                           doc="Bone quality: healthy ~230, osteoporotic 80-110", source="FACTS.md 1.5"),
        "cortical_hu": F("float", 1200.0, lo=700, hi=1800, unit="HU", doc="Cortical shell", source="FACTS.md 1.5"),
        "grade": F("grade", 2.0, doc="Genant grade", source="FACTS.md 1.6"),
        "morphology": F("choice", "wedge", choices=("wedge", "biconcave", "crush"), doc="Fracture shape",
                        source="FACTS.md 1.6"),
        "height_loss": F("float", None, lo=0, hi=0.6,
                         doc="Height loss fraction inside the grade's band (default: middle of the band)",
                         source="FACTS.md 1.6"),
        "cleft": F("bool", False, doc="Intravertebral cleft (more C and D leaks)", source="FACTS.md 4"),
        "endplate_crack": F("bool", False, doc="Endplate crack (disc leaks)", source="FACTS.md 4"),
        "posterior_wall_defect": F("bool", False, doc="Posterior wall defect (canal leaks; decline)",
                                   source="FACTS.md 4, 6.1"),
        "basivertebral_vein_scale": F("float", 1.0, lo=0.5, hi=3, doc="Basivertebral vein calibre x normal"),
        "segmental_vein_scale": F("float", 1.0, lo=0.5, hi=3, doc="Segmental vein calibre x normal"),
        "posterior_soft_tissue_mm": F("float", 45.0, lo=20, hi=120, unit="mm", doc="Skin to lamina (habitus)"),
        "jitter": F("float", 0.1, lo=0, hi=0.2, doc="Seeded relative spread of every dimension",
                    source="FACTS.md 1 defaults"),
        "voxel_mm": F("float", 0.5, lo=0.25, hi=2, unit="mm", doc="Fine-grid voxel size"),
    },
    "cement": {
        "product": F("str", "default", doc="Cement product id (assets); 'default' is a generic PMMA + BaSO4"),
        "overrides": F("table", doc="[cement.overrides]: product parameters to replace, name = number"),
    },
    "carm": {
        "start_preset": F("choice", None, choices=("ap", "lateral"),
                          doc="Start pose preset (instead of start_orbital_deg/start_tilt_deg)"),
        "start_orbital_deg": F("float", 0.0, lo=-135, hi=135, unit="deg", doc="Start orbital angle (0 = AP)"),
        "start_tilt_deg": F("float", 0.0, lo=-45, hi=45, unit="deg", doc="Start cranio-caudal tilt"),
        "biplane": F("bool", False, doc="Two C-arms: AP and lateral without moving", source="FACTS.md 2"),
        "patient_roll_deg": F("float", 0.0, lo=-30, hi=30, unit="deg",
                              doc="Patient rotation on the table; a true AP needs orbital = roll (on a patient CT: roll "
                                  "minus the target vertebra's own `axial_rotation_deg`, measured at import; "
                                  "docs/scoring.md)"),
        "sid_mm": F("float", 1020.0, lo=300, hi=2000, unit="mm", doc="Source-to-image distance",
                    source="FACTS.md 5.2"),
        "sod_mm": F("float", 530.0, lo=100, hi=1999, unit="mm", doc="Source-to-isocentre distance (< sid_mm)",
                    source="FACTS.md 5.2"),
        "detector_mm": F("float", 300.0, lo=50, hi=500, unit="mm", doc="Detector side", source="FACTS.md 5.2"),
        "pixels": F("int", 512, lo=64, hi=1024, unit="px", doc="Image size (square)"),
        "kvp_ap": F("float", 80.0, lo=KVP_RANGE[0], hi=KVP_RANGE[1], unit="kVp", doc="Tube potential, AP-ish poses",
                    source="FACTS.md 5.2"),
        "kvp_lateral": F("float", 90.0, lo=KVP_RANGE[0], hi=KVP_RANGE[1], unit="kVp", doc="Tube potential, lateral-ish poses",
                         source="FACTS.md 5.2"),
    },
    "targets": {
        "cement_ml_min": F("float", 2.5, lo=0, hi=12, unit="mL", doc="Lower end of the cement volume pass band",
                           source="seeds/000_10316454a5df9267.txt; FACTS.md 3.1"),
        "cement_ml_max": F("float", 4.0, lo=0, hi=12, unit="mL", doc="Upper end of the cement volume pass band",
                           source="seeds/000_10316454a5df9267.txt; FACTS.md 3.1"),
        "tip_depth_min": F("float", 0.67, lo=0, hi=1,
                           doc="Final tip depth pass band on the lateral view, lower end (0 = posterior wall, "
                               "1 = anterior wall)", source="FACTS.md 2 defaults (0.10-0.33 from the anterior cortex)"),
        "tip_depth_max": F("float", 0.90, lo=0, hi=1, doc="Final tip depth pass band, upper end",
                           source="FACTS.md 2 defaults"),
        "fill_percent_min": F("float", None, lo=0, hi=100, unit="%", doc="Fill fraction pass band, lower end",
                              source="FACTS.md 3.1"),
        "fill_percent_max": F("float", None, lo=0, hi=100, unit="%", doc="Fill fraction pass band, upper end",
                              source="FACTS.md 3.1"),
        "shots_max": F("float", None, lo=0, hi=10000, unit="shots", doc="Most shots that still pass",
                       source="FACTS.md 5.1"),
        "fluoro_s_max": F("float", None, lo=0, hi=36000, unit="s", doc="Most fluoroscopy time that still passes",
                          source="FACTS.md 5.1"),
        "dap_gycm2_max": F("float", None, lo=0, hi=1000, unit="Gy.cm2", doc="Most dose-area product that still passes",
                           source="FACTS.md 5.1"),
        "gauge": F("int", 11, lo=8, hi=15, unit="G", doc="Advised trocar gauge (13 for small pedicles)",
                   source="FACTS.md 2 defaults"),
        "approach": F("choice", "unipedicular", choices=("unipedicular", "bipedicular"),
                      doc="Advised approach", source="FACTS.md 2"),
        "side": F("choice", "either", choices=("left", "right", "either"),
                  doc="Advised side for a unipedicular approach"),
    },
    "ct": {
        "folder": F("str", REQUIRED, doc="DICOM series folder, relative to the scenario file, inside its folder"),
        "level": F("level", REQUIRED, doc="Target level in the CT"),
        "landmarks": F("table", doc="[ct.landmarks]: the target's landmarks in the CT's patient coordinates"),
        "description": F("text", "", doc="Series description (informational)"),
        "estimated": F("strlist", (), choices=LANDMARK_FIELDS,
                       doc="The landmarks import-ct or the landmark editor found automatically and nobody has "
                           "checked yet: 'scenarios show' repeats the import's warnings for them; remove a key "
                           "once you have checked (or corrected) that landmark"),
        "series": F("series", None, doc="The series to read when the folder holds several side by side (a Horos "
                                        "export, a PACS zip): its SeriesNumber, or its SeriesInstanceUID as a string "
                                        "(import-ct --series writes the UID, or the number when the UID has "
                                        "letters in it); absent: the folder holds one series"),
    },
    "ct.landmarks": {
        "body_centre_mm": F("vec3", REQUIRED, hi=5000, unit="mm", doc="Centre of the vertebral body"),
        "pedicle_left_centre_mm": F("vec3", REQUIRED, hi=5000, unit="mm", doc="Left pedicle isthmus centre (+x)"),
        "pedicle_right_centre_mm": F("vec3", REQUIRED, hi=5000, unit="mm", doc="Right pedicle isthmus centre"),
        "superior_endplate_z_mm": F("float", REQUIRED, lo=-5000, hi=5000, unit="mm",
                                    doc="Superior endplate at the body centre"),
        "inferior_endplate_z_mm": F("float", REQUIRED, lo=-5000, hi=5000, unit="mm",
                                    doc="Inferior endplate at the body centre"),
    },
}

#: Sections that are arrays of tables.
ARRAY_SECTIONS: dict[str, dict[str, FieldSpec]] = {
    "patient.medications": {
        "name": F("str", REQUIRED, doc="Medicine (assets/medications.toml), e.g. 'clopidogrel'"),
        "kind": F("choice", None, choices=("other",),
                  doc="Set to 'other' for a medicine not in the table (no bleeding gate)"),
        "dose": F("text", "", doc="Dose and schedule as written in the chart, e.g. '75 mg daily'"),
        "last_dose_hours_ago": F("float", None, lo=0, hi=100000, unit="h", doc="Hours since the last dose"),
        "last_dose_days_ago": F("float", None, lo=0, hi=5000, unit="days", doc="Days since the last dose"),
    },
}

#: Top-level sections in file order (``decisions`` has one sub-table per checklist item).
TOP_LEVEL = ("scenario", "patient", "anatomy", "cement", "carm", "targets", "decisions", "ct")

#: Keys of [targets] that advise the trainee (gauge, approach, side) rather than set a scoring band.
ADVICE_KEYS = ("gauge", "approach", "side")
#: Default advice and scoring-band shortcuts (None: the band of assets/scoring_targets.toml applies).
DEFAULT_TARGETS = {name: spec.default for name, spec in SECTIONS["targets"].items()}


@lru_cache(maxsize=1)
def medication_table() -> dict[str, dict]:
    """The medicine table from ``assets/medications.toml`` (name -> class, hold_hours, source)."""
    with open(ASSETS_DIR / "medications.toml", "rb") as fh:
        data = tomllib.load(fh)
    for name, row in data.items():
        row.setdefault("hold_hours", 0)
        row.setdefault("needs_inr", False)
        row.setdefault("source", "assets/medications.toml")
        row["name"] = name
    return data


@lru_cache(maxsize=1)
def cement_products() -> dict[str, set]:
    """Cement product ids of ``assets/cement_products.toml`` -> names of their overridable numbers."""
    path = ASSETS_DIR / "cement_products.toml"
    if not path.is_file():
        return {"default": set()}
    with open(path, "rb") as fh:
        products = tomllib.load(fh).get("products", {})
    return {name: {k for k, v in row.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
            for name, row in products.items()}


def _default_text(spec: FieldSpec) -> str:
    if spec.default is REQUIRED:
        return "required"
    if spec.default is None:
        return "-"
    if isinstance(spec.default, bool):
        return "true" if spec.default else "false"
    if isinstance(spec.default, tuple):
        return "[]"
    if isinstance(spec.default, str):
        return f'"{spec.default}"' if spec.default else '""'
    return f"{spec.default:g}" if isinstance(spec.default, float) else str(spec.default)


def reference_markdown() -> str:
    """Markdown tables of every section and field (the generated part of docs/scenario-format.md)."""
    out = []
    all_sections = list(SECTIONS.items())
    all_sections.insert(list(SECTIONS).index("anatomy"), ("patient.medications", ARRAY_SECTIONS["patient.medications"]))
    for name, fields in all_sections:
        header = f"[[{name}]]" if name in ARRAY_SECTIONS else f"[{name}]"
        out.append(f"### `{header}`\n")
        out.append("| field | type / allowed | unit | default | meaning | source |")
        out.append("|---|---|---|---|---|---|")
        for key, spec in fields.items():
            if spec.kind == "table":
                continue
            out.append(f"| `{key}` | {spec.allowed()} | {spec.unit or '-'} | {_default_text(spec)} | "
                       f"{spec.doc} | {spec.source or '-'} |")
        out.append("")
    return "\n".join(out)
