"""Benchmark: a 300-slice 512 x 512 patient CT to a renderable, labelled patient (DESIGN.md 7).

Budget: <= 5 s with a progress callback, peak memory < 2 GB, for the whole path of an import
and load: read the series, detect the column (ct_spine), estimate the landmarks around the
body centre (ct_import) and label the patient (ct_patient).  The series is synthesised in
a temporary folder: the default synthetic patient (fine and context volumes) resampled to
a clinical grid (0.7 x 0.7 x 1.0 mm, 300 slices of 512 x 512), written as DICOM, with a
CT scenario file beside it.  The load is timed in a fresh process so that its peak RSS is
the load's own.  Prints one JSON object per measurement:
{name, p50_ms, p95_ms, budget_ms, n} and {name: "ct_load_peak_rss_mb", value, budget}.

Wall times on a loaded machine say little: ``cpu_ms`` (process CPU time of the load, by stage)
is what to compare; the code is single-threaded, so on an idle machine the wall time is about
the CPU time.

``--slices N --slice-mm D`` writes N slices of D mm instead (issue 12: a thin-slice chest-abdomen-pelvis is
700-1100 slices of 0.625 mm): the synthetic trunk (200 mm long) is then continued beyond its ends by mirroring its
slices, so that a long series is a long trunk with a column all along it, as a clinical one is (the default series
keeps air beyond the trunk's ends, as before, so its numbers stay comparable with earlier rounds).  Each load also
reports its peak RSS after each stage (``*_rss_mb``: the process's maximum so far, VmHWM).

``--oblique-deg D`` turns the same series' headers D deg about x through its centre (ImageOrientationPatient and
ImagePositionPatient; the pixels as stored, the landmarks turned with them): the reader resamples it onto the axes
(``dicom_oblique``, round 33), which this measures.

``--mixed`` puts two more series beside the slices, flat in the same folder as a Horos export or a PACS zip holds
them (round 35): a scout (one LOCALIZER image, SeriesNumber 2) and a reconstruction of the same slices two by two
(half as many slices, twice as thick, SeriesNumber 3), their names interleaved with the series'; the scenario
chooses ``[ct] series = 1``, so the load reads one series of three (``dicom_mixed``: every file's header, the chosen
series' pixels only).

Usage: .venv/bin/python benchmarks/ct_load.py [--n 3] [--keep DIR] [--oblique-deg D] [--slices N --slice-mm D]
       [--mixed]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SHAPE = (300, 512, 512)
SPACING_MM = (0.7, 0.7, 1.0)


def _mirrored(k: int, n: int) -> int:
    """Index ``k`` reflected into ``0 .. n - 1`` (..., 1, 0, 0, 1, ..., n - 1, n - 1, n - 2, ...)."""
    period = 2 * n
    k %= period
    return k if k < n else period - 1 - k


def synthesise(folder: Path, shape=SHAPE, spacing_mm=SPACING_MM, continue_trunk: bool = False) -> Path:
    """Write the series (``shape`` [z, y, x] at ``spacing_mm`` (x, y, z)) and a scenario file; return the scenario
    path.  ``continue_trunk``: beyond the synthetic trunk's ends its slices are mirrored (the column continues)
    instead of air."""
    from trainer.core.anatomy.builder import build_patient
    from trainer.core.anatomy.dicom_io import write_ct_series
    from trainer.core.anatomy.grid import Grid, Volume
    from trainer.core.anatomy.params import AnatomyParams

    p = build_patient(AnatomyParams(level="L1", seed=7))
    nz, ny, nx = shape
    origin = (-0.5 * (nx - 1) * spacing_mm[0], -0.5 * (ny - 1) * spacing_mm[1] + 20.0,
              -0.5 * (nz - 1) * spacing_mm[2])
    g = Grid(shape, spacing_mm, origin)
    hu = np.full(shape, -1000, np.int16)
    xs, ys = g.axis_mm("x"), g.axis_mm("y")
    for vol in (*p.context, p.volume):               # fine volume last: it wins inside its box
        vg = vol.grid
        ii = np.rint((xs - vg.origin_mm[0]) / vg.spacing_xyz_mm[0]).astype(int)
        jj = np.rint((ys - vg.origin_mm[1]) / vg.spacing_xyz_mm[1]).astype(int)
        okx, oky = (ii >= 0) & (ii < vg.shape[2]), (jj >= 0) & (jj < vg.shape[1])
        for k, zz in enumerate(g.axis_mm("z")):
            kk = int(round((zz - vg.origin_mm[2]) / vg.spacing_xyz_mm[2]))
            if continue_trunk and vol is not p.volume:
                kk = _mirrored(kk, vg.shape[0])
            if not 0 <= kk < vg.shape[0]:
                continue
            plane = vol.hu[kk][np.ix_(jj[oky], ii[okx])]
            inside = plane > -1000 if vol is not p.volume else np.ones(plane.shape, bool)
            sub = hu[k][np.ix_(oky, okx)]
            sub[inside] = plane[inside]
            hu[k][np.ix_(oky, okx)] = sub
    write_ct_series(Volume(hu=hu, labels=np.zeros(shape, np.uint8), grid=g), folder / "series", uid_seed="bench")
    lm = p.landmarks

    def vec(v):
        return "[" + ", ".join(f"{a:.3f}" for a in v) + "]"

    path = folder / "ct-bench.toml"
    path.write_text(f'[scenario]\ntitle = "CT benchmark"\nobjectives = ["benchmark"]\n\n[ct]\nfolder = "series"\n'
                    f'level = "L1"\n\n[ct.landmarks]\nbody_centre_mm = {vec(lm.body_centre_mm)}\n'
                    f'pedicle_left_centre_mm = {vec(lm.pedicle_left.centre_mm)}\n'
                    f'pedicle_right_centre_mm = {vec(lm.pedicle_right.centre_mm)}\n'
                    f'superior_endplate_z_mm = {lm.superior_endplate_z_mm:.3f}\n'
                    f'inferior_endplate_z_mm = {lm.inferior_endplate_z_mm:.3f}\n')
    return path


def turn_headers(folder: Path, scenario: Path, deg: float) -> None:
    """Turn the series in ``folder / "series"`` ``deg`` about x through its centre, headers only, and the scenario's
    landmarks with it (an oblique reconstruction of the same patient)."""
    import re

    import pydicom

    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    rot = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    files = sorted((folder / "series").glob("*.dcm"))
    pos = np.array([[float(v) for v in pydicom.dcmread(f, stop_before_pixels=True).ImagePositionPatient]
                    for f in files])
    ds0 = pydicom.dcmread(files[0], stop_before_pixels=True)
    dy, dx = (float(v) for v in ds0.PixelSpacing)
    centre = pos.mean(axis=0) + np.array([(ds0.Columns - 1) * dx / 2, (ds0.Rows - 1) * dy / 2, 0.0])
    for f, p in zip(files, pos):
        ds = pydicom.dcmread(f)
        ds.ImageOrientationPatient = [f"{v:.8f}" for v in (*rot[:, 0], *rot[:, 1])]
        ds.ImagePositionPatient = [f"{v:.6f}" for v in centre + rot @ (p - centre)]
        ds.save_as(f)

    def turned(m):
        v = np.array([float(a) for a in m.group(2).split(",")])
        return m.group(1) + "[" + ", ".join(f"{a:.3f}" for a in centre + rot @ (v - centre)) + "]"

    scenario.write_text(re.sub(r"(_mm = )\[([^\]]*)\]", turned, scenario.read_text()))


def mix_series(folder: Path, scenario: Path) -> None:
    """Add a scout (series 2) and a two-by-two reconstruction (series 3) beside ``folder / "series"``'s slices, names
    interleaved (``CT0001.dcm``, ``CT0001b.dcm``, ``CT0002.dcm`` ...), and choose series 1 in ``scenario``."""
    import pydicom
    from pydicom.uid import generate_uid

    series = folder / "series"
    files = sorted(series.glob("CT*.dcm"))
    thick_uid = generate_uid(entropy_srcs=["bench", "thick"])
    for j in range(len(files) // 2):
        a, b = pydicom.dcmread(files[2 * j]), pydicom.dcmread(files[2 * j + 1])
        px = ((a.pixel_array.astype(np.int32) + b.pixel_array.astype(np.int32)) // 2).astype("<u2")
        za, zb = float(a.ImagePositionPatient[2]), float(b.ImagePositionPatient[2])
        a.PixelData = px.tobytes()
        a.SeriesInstanceUID, a.SeriesNumber, a.InstanceNumber = thick_uid, 3, j + 1
        a.SOPInstanceUID = a.file_meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=["bench", "thick", str(j)])
        a.ImagePositionPatient = [a.ImagePositionPatient[0], a.ImagePositionPatient[1], f"{(za + zb) / 2:.6g}"]
        a.SliceLocation, a.SliceThickness = f"{(za + zb) / 2:.6g}", f"{2 * abs(zb - za):.6g}"
        a.save_as(series / f"{files[2 * j].stem}b.dcm", enforce_file_format=True)
    scout = pydicom.dcmread(files[len(files) // 2])
    scout.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
    scout.SeriesInstanceUID, scout.SeriesNumber = generate_uid(entropy_srcs=["bench", "scout"]), 2
    scout.SOPInstanceUID = scout.file_meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=["bench", "scout"])
    scout.save_as(series / "CT0000s.dcm", enforce_file_format=True)
    scenario.write_text(scenario.read_text().replace('level = "L1"\n', 'level = "L1"\nseries = 1\n'))


def load_once(scenario: str) -> None:
    """Child process: load the CT scenario, print seconds, progress calls and peak RSS (MB)."""
    from trainer.core.anatomy.ct_patient import patient_from_ct
    from trainer.core.anatomy.ct_spine import detect_column
    from trainer.core.anatomy.dicom_io import read_ct_series
    from trainer.core.scenario.ct_import import cortex_threshold_near, estimate_landmarks
    from trainer.core.scenario.loader import load_scenario

    calls = []
    s = load_scenario(scenario)
    def peak_mb() -> float:
        """This process's peak RSS: VmHWM where /proc has it.  Linux keeps ``ru_maxrss`` across exec, so the
        child reported its parent's peak when that was higher: the synthesis's 880-900 MB whenever the series was
        synthesised in the same run (round 34); the load's own peak was about 400 MB."""
        status = Path("/proc/self/status")
        lines = status.read_text().splitlines() if status.exists() else []
        hwm = [float(line.split()[1]) / 1024.0 for line in lines if line.startswith("VmHWM:")]
        return hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    r0 = peak_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    vol = read_ct_series(s.ct.folder, progress=lambda d, n: calls.append(d), series=s.ct.series)
    t1, c1, r1 = time.perf_counter(), time.process_time(), peak_mb()
    col = detect_column(vol, progress=lambda f, m: calls.append(f))
    t2, c2, r2 = time.perf_counter(), time.process_time(), peak_mb()
    near = s.ct.landmarks["body_centre_mm"]
    est = estimate_landmarks(vol, near_mm=near, cortex_hu=cortex_threshold_near(vol, near, col.thresholds.bone_hu))
    t3, c3, r3 = time.perf_counter(), time.process_time(), peak_mb()
    patient = patient_from_ct(vol, {**est, "body_centre_mm": near}, s.ct.level, progress=lambda f, m: calls.append(f),
                              column=col)
    t4, c4 = time.perf_counter(), time.process_time()
    rss_mb = peak_mb()
    print(json.dumps({"s": t4 - t0, "read_s": t1 - t0, "detect_s": t2 - t1, "estimate_s": t3 - t2,
                      "label_s": t4 - t3, "cpu_s": c4 - c0, "read_cpu_s": c1 - c0, "detect_cpu_s": c2 - c1,
                      "estimate_cpu_s": c3 - c2, "label_cpu_s": c4 - c3,
                      "progress_calls": len(calls), "rss_mb": rss_mb, "start_rss_mb": r0, "read_rss_mb": r1,
                      "detect_rss_mb": r2, "estimate_rss_mb": r3, "vertebrae": len(col.vertebrae),
                      "fine_shape": list(patient.volume.grid.shape)}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--keep", default=None, help="synthesise into this folder and keep it")
    ap.add_argument("--oblique-deg", type=float, default=0.0, help="turn the series' headers this much about x")
    ap.add_argument("--slices", type=int, default=SHAPE[0], help="slices of 512 x 512 (the trunk continued beyond "
                    "its 200 mm when not the default series)")
    ap.add_argument("--slice-mm", type=float, default=SPACING_MM[2], help="slice spacing, mm")
    ap.add_argument("--mixed", action="store_true", help="a scout and a thick reconstruction beside the series (flat "
                    "in its folder); the scenario chooses the series")
    ap.add_argument("--load", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.load:
        load_once(args.load)
        return 0
    tmp = None
    if args.keep:
        folder = Path(args.keep)
        folder.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory()
        folder = Path(tmp.name)
    if (folder / "ct-bench.toml").exists():
        scenario = folder / "ct-bench.toml"
    else:
        shape, spacing = (args.slices, *SHAPE[1:]), (*SPACING_MM[:2], args.slice_mm)
        scenario = synthesise(folder, shape, spacing, continue_trunk=(shape, spacing) != (SHAPE, SPACING_MM))
        if args.oblique_deg:
            turn_headers(folder, scenario, args.oblique_deg)
        if args.mixed:
            mix_series(folder, scenario)
    runs = []
    for _ in range(args.n):
        out = subprocess.run([sys.executable, __file__, "--load", str(scenario)], capture_output=True, text=True,
                             check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    t = np.array([r["s"] for r in runs]) * 1000.0
    name = (f"ct_load_{args.slices}x512x512" + (f"_oblique{args.oblique_deg:g}deg" if args.oblique_deg else "")
            + ("_mixed3series" if args.mixed else ""))
    print(json.dumps({"name": name, "p50_ms": round(float(np.percentile(t, 50)), 1),
                      "p95_ms": round(float(np.percentile(t, 95)), 1), "budget_ms": 5000, "n": len(runs),
                      "read_ms": round(1000 * float(np.median([r["read_s"] for r in runs])), 1),
                      "detect_ms": round(1000 * float(np.median([r["detect_s"] for r in runs])), 1),
                      "estimate_ms": round(1000 * float(np.median([r["estimate_s"] for r in runs])), 1),
                      "label_ms": round(1000 * float(np.median([r["label_s"] for r in runs])), 1),
                      "cpu_ms": round(1000 * float(np.median([r["cpu_s"] for r in runs])), 1),
                      **{f"{k}_cpu_ms": round(1000 * float(np.median([r[f"{k}_cpu_s"] for r in runs])), 1)
                         for k in ("read", "detect", "estimate", "label")},
                      "progress_calls": runs[0]["progress_calls"], "fine_shape": runs[0]["fine_shape"]}))
    print(json.dumps({"name": "ct_load_peak_rss_mb", "value": round(max(r["rss_mb"] for r in runs), 1),
                      "budget": 2048, **{f"{k}_rss_mb": round(max(r[f"{k}_rss_mb"] for r in runs), 1)
                                         for k in ("start", "read", "detect", "estimate")},
                      "vertebrae": runs[0]["vertebrae"]}))
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
