"""Benchmark the fluoroscopy renderer against the DESIGN.md section 7 budgets.

Prints one JSON object per figure (name, p50_ms, p95_ms, budget_ms, ...):

* ``shot_same_pose``: a shot in an unchanged pose, 512 x 512, trocar and cement included
  (polyenergetic render on the cached anatomy + detector exposure + C-arm processing, the
  picture the procedure stores); budget 30 ms.
* ``shot_trocar_moved``: the same pose with the trocar advanced 0.5 mm before each shot (the
  overlay sum and the trocar's box of the detector signal are recomputed); budget 30 ms.
* ``render_new_pose``: a full render in a new pose, 512 x 512, synthetic anatomy, trocar,
  cement, dose-rate control, exposure and C-arm processing included; budget 150 ms.
* ``renderer_build``: constructing the renderer (no budget of its own; it is part of the
  2 s scenario build).
* ``itk_ray_cast`` (only when ``itk`` is importable): ITK's RayCastInterpolateImageFunction
  on the same volume and geometry, with ``itk_ratio`` = ITK time / ours and the
  correlation of the two images.  Goal: ratio >= 2, correlation >= 0.99.

Usage: ``python benchmarks/render.py [--repeat N] [--size N] [--no-itk]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import numpy as np

from trainer.core.anatomy.builder import build_patient
from trainer.core.scenario.loader import load_scenario
from trainer.core.xray.detector import adrc, expose
from trainer.core.xray.display import carm_image
from trainer.core.xray.geometry import CArmGeometry, Pose
from trainer.core.xray.renderer import FluoroRenderer
from trainer.core.xray.shapes import CementDeposit, TrocarShape

_CPU: list = []      # process CPU time of each timed run, filled by _tick/_tock


def _tick():
    return time.perf_counter(), time.process_time()


def _tock(t0, times):
    times.append(time.perf_counter() - t0[0])
    _CPU.append(time.process_time() - t0[1])


def _stats(name, times_s, budget_ms, **extra):
    """One JSON row: wall-clock p50/p95 and, when timed with _tick/_tock, the process CPU time p50
    (``cpu_p50_ms``: what the work costs on a machine shared with other jobs)."""
    t = np.asarray(times_s) * 1000.0
    row = {"name": name, "p50_ms": round(float(np.percentile(t, 50)), 2),
           "p95_ms": round(float(np.percentile(t, 95)), 2), "budget_ms": budget_ms, "n": len(t)}
    if len(_CPU) == len(times_s):
        row["cpu_p50_ms"] = round(float(np.percentile(np.asarray(_CPU) * 1000.0, 50)), 2)
    _CPU.clear()
    row.update(extra)
    print(json.dumps(row), flush=True)
    return row


def _props(patient):
    lm = patient.landmarks
    ped = lm.pedicle_left
    tip = np.asarray(ped.body_junction_mm) + 8.0 * np.asarray(ped.axis)
    trocar = TrocarShape(tuple(tip), tuple(ped.axis), 120.0, 3.0)
    grid = patient.volume.grid
    centre = grid.nearest_index(np.asarray(lm.body_centre_mm))
    rng = np.random.default_rng(0)
    blob = np.argwhere(np.ones((24, 24, 24), bool)) - 12
    keep = (blob ** 2).sum(axis=1) <= 144          # a 12-voxel (6 mm) radius ball, about 0.9 mL
    ijk = centre + blob[keep]
    return trocar, CementDeposit(ijk, rng.uniform(0.5, 1.0, len(ijk)))


def bench_ours(patient, geometry, repeat):
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        r = FluoroRenderer(patient, geometry)
        times.append(time.perf_counter() - t0)
    # part of the <= 2 s synthetic scenario build (DESIGN.md section 7), with build_patient
    _stats("renderer_build", times, None, pixels=geometry.pixels)
    trocar, cement = _props(patient)
    pose, kvp = Pose(0.0, 0.0), 80.0
    r.line_integrals(pose, kvp)
    times = []
    _CPU.clear()
    for i in range(repeat):
        rng = np.random.default_rng(i)
        t0 = _tick()
        li, metal = r.render_shot(pose, kvp, trocar=trocar, cement=cement)
        ex = expose(li, 1, geometry, rng, kvp=kvp, abc=False)
        carm_image(ex.image, ex.field_mask, geometry.pixel_mm, pose.orbital_deg, metal=metal)
        _tock(t0, times)
    _stats("shot_same_pose", times, 30, pixels=geometry.pixels)
    times = []
    _CPU.clear()
    for i in range(repeat):                          # the trainee advances the trocar 0.5 mm between shots
        moved = dataclasses.replace(trocar, tip_mm=tuple(np.asarray(trocar.tip_mm) + 0.5 * (i + 1) * np.asarray(trocar.axis)))
        t0 = _tick()
        li, metal = r.render_shot(pose, kvp, trocar=moved, cement=cement)
        ex = expose(li, 1, geometry, np.random.default_rng(i), kvp=kvp, abc=False)
        carm_image(ex.image, ex.field_mask, geometry.pixel_mm, pose.orbital_deg, metal=metal)
        _tock(t0, times)
    _stats("shot_trocar_moved", times, 30, pixels=geometry.pixels)
    r.line_integrals(Pose(1.0, 0.0), 90.0)           # warm the 90 kVp volumes
    times = []
    _CPU.clear()
    for i in range(repeat):
        pose = Pose(-20.0 + 47.0 * ((i * 0.618) % 1.0), -10.0 + 20.0 * ((i * 0.382) % 1.0))
        kvp = 80.0 if i % 2 else 90.0
        t0 = _tick()
        n = geometry.pixels
        q = slice(n // 4, n - n // 4, 4)
        kvp, factor = adrc(lambda k, pose=pose, q=q: r.line_integrals(pose, k)[q, q], kvp)   # as the procedure does
        li, metal = r.render_shot(pose, kvp, trocar=trocar, cement=cement)
        ex = expose(li, 1, geometry, np.random.default_rng(i), kvp=kvp, abc=False, dose_scale=factor)
        carm_image(ex.image, ex.field_mask, geometry.pixel_mm, pose.orbital_deg, metal=metal)
        _tock(t0, times)
    _stats("render_new_pose", times, 150, pixels=geometry.pixels)


def bench_itk(patient, geometry, repeat):
    try:
        import itk
    except ImportError:
        print(json.dumps({"name": "itk_ray_cast", "skipped": "itk is not importable"}), flush=True)
        return
    # One volume for both: the fine volume alone (no context), as attenuation per mm.
    single = dataclasses.replace(patient, context=[])
    ours = FluoroRenderer(single, geometry)
    kvp = 80.0
    mu = ours.mu_volumes(kvp)["fine"][1]
    grid = patient.volume.grid
    image = itk.image_from_array(np.ascontiguousarray(mu, np.float32))
    image.SetSpacing([float(s) for s in grid.spacing_xyz_mm])
    image.SetOrigin([float(o) for o in grid.origin_mm])
    n = geometry.pixels
    pose = Pose(20.0, 10.0)
    frame = ours.frame(pose)
    c = (n - 1) / 2.0
    origin = frame.detector_centre_mm - c * geometry.pixel_mm * (frame.u + frame.v)
    direction = np.stack([frame.u, frame.v, frame.beam], axis=1)

    ImageType = itk.Image[itk.F, 3]
    transform = itk.Euler3DTransform[itk.D].New()
    interp = itk.RayCastInterpolateImageFunction[ImageType, itk.D].New()
    interp.SetTransform(transform)
    interp.SetThreshold(0.0)
    interp.SetFocalPoint([float(v) for v in frame.source_mm])

    def run_itk():
        f = itk.ResampleImageFilter[ImageType, ImageType].New()
        f.SetInput(image)
        f.SetDefaultPixelValue(0)
        f.SetTransform(transform)
        f.SetInterpolator(interp)
        f.SetSize([n, n, 1])
        f.SetOutputSpacing([geometry.pixel_mm, geometry.pixel_mm, 1.0])
        f.SetOutputOrigin([float(v) for v in origin])
        f.SetOutputDirection(itk.matrix_from_array(np.ascontiguousarray(direction)))
        f.Update()
        return itk.array_from_image(f.GetOutput())[0]

    t_itk = []
    for _ in range(max(1, min(3, repeat))):
        t0 = time.perf_counter()
        ref = run_itk()
        t_itk.append(time.perf_counter() - t0)
    t_ours = []
    for _ in range(repeat):
        ours._cache.clear()
        ours._basis.clear()                 # the beam-independent projections too: a new pose
        t0 = time.perf_counter()
        img = ours.line_integrals(pose, kvp)
        t_ours.append(time.perf_counter() - t0)
    corr = float(np.corrcoef(img.ravel(), ref.ravel())[0, 1])
    p50_itk = float(np.median(t_itk))
    _stats("itk_ray_cast", t_itk, None, itk_ratio=round(p50_itk / float(np.median(t_ours)), 2),
           ours_p50_ms=round(float(np.median(t_ours)) * 1000, 2), corr=round(corr, 5),
           volume_shape=list(mu.shape), pixels=n)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--no-itk", action="store_true")
    args = ap.parse_args(argv)
    scenario = load_scenario()
    patient = build_patient(scenario.anatomy)
    geometry = CArmGeometry(pixels=args.size)
    bench_ours(patient, geometry, args.repeat)
    if not args.no_itk:
        bench_itk(patient, geometry, args.repeat)


if __name__ == "__main__":
    main()
