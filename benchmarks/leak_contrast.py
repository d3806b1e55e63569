"""How visible each leak of the calibration's expert runs is on an AP and a lateral shot (docs/cement.md).

For every reported leak of the ``expert`` row at 3 mL (seeds as given), the renderer draws the
shot's line integrals three times: anatomy alone, with the cement in the body, and with the
body cement plus that leak.  The leak's contrast is the difference of the last two (-ln T units,
noise-free).  Its detectability is the ideal observer's signal-to-noise ratio for a known signal
in quantum noise, ``SNR = sqrt(sum(delta^2 * N))`` with ``N`` the primary quanta per pixel of the
shot (the detector's ``N0 exp(-L)``, dose-rate control, 4 pulses, no scatter), counted over all the
leak's pixels and over those outside the body cement's shadow (where it adds more than the
renderer's 0.1 metal-mask contrast): Rose's criterion calls a detail visible from SNR 5.
Prints one line per leak and view, then the share of runs with a leak that is visible by Rose
outside the shadow on AP or lateral, against the share the asset thresholds
(``[leaks.visible_min_ml]``, the calibration's ``visible`` column) give.

Usage: PYTHONPATH=. nice python benchmarks/leak_contrast.py [--seeds 24] [--pixels 384]
"""

from __future__ import annotations

import argparse

import numpy as np

from trainer.core.procedure.cement import calibration as cal
from trainer.core.procedure.cement.model import CementModel
from trainer.core.scenario.loader import load_scenario
from trainer.core.xray.detector import adrc, expose
from trainer.core.xray.geometry import CArmGeometry, Pose
from trainer.core.xray.renderer import METAL_MASK_LOG, FluoroRenderer
from trainer.core.xray.shapes import CementDeposit

ROSE_K = 5.0          #: Rose (1948): a detail is seen from a signal-to-noise ratio of about 5


def _key(ijk: np.ndarray) -> np.ndarray:
    return ijk[:, 0].astype(np.int64) * 10**8 + ijk[:, 1].astype(np.int64) * 10**4 + ijk[:, 2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=24)
    ap.add_argument("--pixels", type=int, default=384)
    args = ap.parse_args()
    sc = load_scenario("l1-wedge-default")
    patient = cal.patient_of("l1-wedge-default")
    geo = CArmGeometry(pixels=args.pixels)
    ren = FluoroRenderer(patient, geo)
    roll = float(sc.carm.patient_roll_deg)
    poses = {"ap": (Pose(roll, 0.0), sc.carm.kvp_ap), "lateral": (Pose(90.0 + roll, 0.0), sc.carm.kvp_lateral)}
    idx = np.arange(args.pixels // 4, args.pixels - args.pixels // 4, 4)
    tech = {v: adrc(lambda k, p=p: ren.line_integrals_at(p, k, idx, idx), k0) for v, (p, k0) in poses.items()}
    cond = cal.CONDITIONS["expert"]
    n_any = n_rose = n_asset = 0
    for seed in range(args.seeds):
        model_ss, tip_ss = np.random.default_rng(seed).spawn(2)
        m = CementModel(patient, cond.product, np.random.default_rng(model_ss))
        m.mix(0.0)
        tip, _ = cal._start_tip(patient, cond, np.random.default_rng(tip_ss))
        for s in range(12):
            m.inject(cal.STEP_ML, tip, 60.0 * cond.minutes + cal.STEP_S * s)
        if not m.leaks:
            continue
        n_any += 1
        limits = m.config["leaks"]["visible_min_ml"]
        n_asset += any(cal._radiograph_visible(lk, limits) for lk in m.leaks)
        dep = m.deposit()
        keys = _key(dep.ijk)
        body = ~np.isin(keys, _key(m.leak_voxels_kji()))
        mass = CementDeposit(dep.ijk[body], dep.fraction[body], dep.viscosity_pa_s)
        seen = False
        for view, (pose, _) in poses.items():
            kvp, factor = tech[view]
            l_mass = ren.render(pose, kvp, cement=mass)
            shadow = (l_mass - ren.render(pose, kvp)) > METAL_MASK_LOG
            n0 = expose(l_mass, 4, geo, np.random.default_rng(0), kvp=kvp, abc=False,
                        dose_scale=factor).quanta_unattenuated
            quanta = n0 * np.exp(-l_mass.astype(np.float64))
            for lk in m.leaks:
                sel = np.isin(keys, _key(m.leak_voxels_kji(lk.type)))
                if not sel.any():
                    continue
                dep_lk = CementDeposit(np.concatenate([mass.ijk, dep.ijk[sel]]),
                                       np.concatenate([mass.fraction, dep.fraction[sel]]), dep.viscosity_pa_s)
                delta = (ren.render(pose, kvp, cement=dep_lk) - l_mass).astype(np.float64)
                px = delta > 0.01
                out = px & ~shadow
                snr = float(np.sqrt((delta[px] ** 2 * quanta[px]).sum()))
                snr_out = float(np.sqrt((delta[out] ** 2 * quanta[out]).sum()))
                seen |= snr_out >= ROSE_K
                print(f"seed {seed:3d} {view:7s} {lk.type:13s} {lk.volume_ml:6.3f} mL  max contrast "
                      f"{delta.max():5.2f}  px {int(px.sum()):4d} (outside the cement's shadow {int(out.sum()):4d})  "
                      f"SNR {snr:6.1f} (outside {snr_out:6.1f})")
        n_rose += seen
    n = args.seeds
    print(f"\nruns with a reported leak: {n_any}/{n}; visible (Rose SNR >= {ROSE_K:g} outside the body cement's "
          f"shadow, AP or lateral): {n_rose}/{n}; by the asset thresholds: {n_asset}/{n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
