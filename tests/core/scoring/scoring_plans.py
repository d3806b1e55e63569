"""Scripted procedures planned from a patient's landmarks, for the scoring integration tests.

The expert: every checklist answer as the chart requires, a true AP and a true lateral,
a left transpedicular approach from the pedicle's bony entry point to a target in the
anterior third near the midline (advancing in 5 mm steps with alternating AP and lateral
shots, reading the tip position as the images would show it), cement mixed and injected
in the working phase (5 min after mixing) in 0.25 mL steps up to 3 mL with an AP and a
lateral check after every 1 mL, stopping early if the lateral shows cement in the
posterior quarter.  The keyword arguments introduce one error at a time.
"""

from __future__ import annotations

import numpy as np


class Refused(AssertionError):
    """A scripted action was refused by the procedure (the plan itself is wrong)."""


def _act(proc, action):
    r = proc.apply(action)
    if not r.accepted:
        raise Refused(f"{action} refused: {r.reason}")
    return r


def target_mm(lm, depth_fraction=0.75, x_offset_mm=4.0):
    bc = np.asarray(lm.body_centre_mm, float)
    return np.array([bc[0] + x_offset_mm, lm.posterior_wall_y_mm - depth_fraction * lm.body_depth_mm, bc[2]])


def expert(proc, expected, *, answers=None, target_depth=0.75, target_x_mm=4.0, medial_error_deg=0.0,
           wait_s=300.0, ml=3.0, stop_at_posterior_quarter=True, checks=True, extra_shots=0, roll_deg=0.0,
           step_mm=5.0, stop_depth=None, withdraw_per_ml=0.0, pad_shots_to=0):
    """Run a scripted procedure on ``proc`` (a Procedure, or a LiveSession that records it);
    returns ``proc``.

    ``medial_error_deg`` rotates the aim medially about the pedicle entry point;
    ``target_depth`` is the lateral depth fraction of the target (0 posterior, 1 anterior);
    ``wait_s`` is the time from mixing to the first injection; ``ml`` the volume pushed;
    ``extra_shots`` AP shots are added during access; ``stop_depth`` stops advancing once the
    tip passes that depth fraction; ``withdraw_per_ml`` pulls the cannula back that many mm after
    each mL (filling from anterior to posterior); ``pad_shots_to`` takes AP shots before finishing
    until that many shots were taken.
    """
    runner, proc = proc, getattr(proc, "procedure", proc)
    lm = proc.patient.landmarks

    def act(_, action):
        return _act(runner, action)

    def shot(_, orbital_deg, tilt_deg=0.0):
        _act(runner, {"type": "carm", "orbital_deg": float(orbital_deg), "tilt_deg": float(tilt_deg)})
        return _act(runner, {"type": "shot"})

    for item, ans in (answers or expected).items():
        act(proc, {"type": "decide", "item": item, "answer": ans})
    shot(proc, roll_deg)
    shot(proc, 90.0 + roll_deg)
    ped = lm.pedicle("left")
    entry = np.asarray(ped.entry_mm, float)
    target = target_mm(lm, target_depth, target_x_mm)
    if medial_error_deg:
        a = np.radians(medial_error_deg)          # rotate about z towards the midline (-x for left)
        v = target - entry
        rot = np.array([[np.cos(a), np.sin(a), 0], [-np.sin(a), np.cos(a), 0], [0, 0, 1]])
        target = entry + rot @ v
    act(proc, {"type": "place", "side": "left", "entry_mm": [float(v) for v in entry],
               "target_mm": [float(v) for v in target]})
    n = 0
    while True:
        tip = proc.trocar.tip_mm
        left = float(np.linalg.norm(target - tip))
        if left < 0.2 or (stop_depth is not None and lm.depth_fraction(tip[1]) >= stop_depth):
            break
        act(proc, {"type": "advance", "mm": float(min(step_mm, left))})
        n += 1
        if n % 2 == 0:
            shot(proc, roll_deg if n % 4 else 90.0 + roll_deg)
        for _ in range(extra_shots):
            shot(proc, roll_deg)
    shot(proc, roll_deg)
    shot(proc, 90.0 + roll_deg)
    act(proc, {"type": "mix"})
    if wait_s > 0:                                # mixing itself takes a minute (procedure durations)
        act(proc, {"type": "wait", "s": float(wait_s)})
    pushed = 0.0
    while pushed < ml - 1e-9:
        act(proc, {"type": "inject", "ml": 0.25})
        pushed += 0.25
        if withdraw_per_ml and abs(pushed % 1.0) < 1e-9:
            act(proc, {"type": "advance", "mm": -float(withdraw_per_ml)})
        if checks and (abs(pushed % 1.0) < 1e-9 or pushed >= ml - 1e-9):
            shot(proc, roll_deg)
            shot(proc, 90.0 + roll_deg)
            pef = proc.cement.posterior_extent_fraction
            if stop_at_posterior_quarter and pef is not None and pef <= 0.3:
                break
    while proc.dose.shots < pad_shots_to:
        act(proc, {"type": "shot"})
    act(proc, {"type": "finish"})
    return runner
