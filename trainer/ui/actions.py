"""Turn what the trainee does on screen into procedure actions (pure functions, no Qt).

Picking the entry on the AP image
---------------------------------
A click on the AP monitor gives a detector pixel ``(col, row)`` of the image that was
clicked (its pose is the pose of that shot).  :func:`place_from_pick` turns it into the
line a ``place`` action needs:

1. The ray from the X-ray source through the centre of that pixel
   (:func:`trainer.core.xray.geometry.pixel_rays` with the scenario's geometry and patient
   roll).  Everything on that ray projects onto the clicked pixel.
2. The **entry point** is where the ray meets the coronal plane ``y = y_entry`` at the depth
   of the chosen pedicle's posterior cortical entry (``PedicleLandmarks.entry_mm``): the
   point of bone the trainee marked on the AP view, the way a pedicle is targeted on AP
   ("the tip over the pedicle outline").
3. The **target point** lies along the pedicle's axis from that entry point, as deep as the
   posterior wall of the body plus 15 mm, so the default trajectory is parallel to the
   ideal transpedicular one; the trainee corrects it with the aim controls.

The core then puts the tip where this line meets the skin.  Aim changes
(:func:`aim_direction`) turn the axis medially/laterally about the vertical and
cranially/caudally in the sagittal sense, in degrees.
"""

from __future__ import annotations

import numpy as np

from trainer.core.procedure.trocar import DEFAULT_LENGTH_MM, find_skin
from trainer.core.xray.geometry import CArmGeometry, Pose, frame_for, pixel_rays, project

__all__ = ["place_from_pick", "aim_direction", "project_point", "pick_and_aim_steps"]

TARGET_BEYOND_JUNCTION_MM = 15.0


def place_from_pick(geometry: CArmGeometry, pose: Pose, patient_roll_deg: float, col: float, row: float,
                    landmarks, side: str, gauge: int = 11, length_mm: float = DEFAULT_LENGTH_MM) -> dict:
    """A ``place`` action for a pick at detector pixel ``(col, row)`` of an AP image.

    Parameters
    ----------
    geometry, pose, patient_roll_deg
        The C-arm of the clicked image.
    col, row : float
        Detector pixel (centre at integers).
    landmarks : Landmarks
        The patient's landmarks (pedicle entry depth and axis).
    side : str
        ``'left'`` or ``'right'``.
    gauge : int
        11 or 13.
    length_mm : float
        The trocar's working length (mm; the core's range).

    Returns
    -------
    dict
        ``{"type": "place", "side", "gauge", "length_mm", "entry_mm", "target_mm"}`` (mm, LPS).
    """
    frame = frame_for(geometry, pose, patient_roll_deg)
    origin, direction = pixel_rays(frame, np.array([col]), np.array([row]))
    o, d = origin[0], direction[0]
    ped = landmarks.pedicle(side)
    y_entry = float(ped.entry_mm[1])
    if abs(d[1]) < 1e-6:   # a ray parallel to the coronal plane (not an AP image): use the closest point
        t = float(np.dot(np.asarray(ped.entry_mm) - o, d))
    else:
        t = (y_entry - o[1]) / d[1]
    entry = o + t * d
    axis = np.asarray(ped.axis, float)
    axis = axis / np.linalg.norm(axis)
    reach = float(np.linalg.norm(np.asarray(ped.body_junction_mm) - np.asarray(ped.entry_mm)))
    target = entry + axis * (reach + TARGET_BEYOND_JUNCTION_MM)
    return {"type": "place", "side": side, "gauge": int(gauge), "length_mm": float(length_mm),
            "entry_mm": [round(float(v), 3) for v in entry], "target_mm": [round(float(v), 3) for v in target]}


def aim_direction(direction, side: str, d_medial_deg: float, d_cranial_deg: float) -> list[float]:
    """Trocar axis turned ``d_medial_deg`` towards the midline and ``d_cranial_deg`` headwards.

    Medial is towards x = 0: for the left pedicle (+x) the axis turns towards -x.
    The turn keeps the elevation (cranial angle) and azimuth (medial angle) separate,
    so one key press changes one angle.
    """
    d = np.asarray(direction, float)
    d = d / np.linalg.norm(d)
    elev = np.arcsin(np.clip(d[2], -1.0, 1.0))
    horiz = d[:2] / max(np.linalg.norm(d[:2]), 1e-9)
    az = np.arctan2(horiz[1], horiz[0])
    # d(x)/d(azimuth) = -sin(az): for an axis heading anterior (sin az < 0) a larger azimuth
    # moves the axis towards +x, which is medial for the right pedicle and lateral for the left
    towards_plus_x = -1.0 if side == "left" else 1.0
    az += np.radians(d_medial_deg) * (towards_plus_x if horiz[1] < 0 else -towards_plus_x)
    elev = np.clip(elev + np.radians(d_cranial_deg), -np.pi / 2 + 1e-3, np.pi / 2 - 1e-3)
    out = np.array([np.cos(elev) * np.cos(az), np.cos(elev) * np.sin(az), np.sin(elev)])
    return [round(float(v), 6) for v in out / np.linalg.norm(out)]


def project_point(geometry: CArmGeometry, pose: Pose, patient_roll_deg: float, point_mm) -> tuple[float, float]:
    """Detector pixel ``(col, row)`` of a patient point in an image taken at ``pose``."""
    cr = project(frame_for(geometry, pose, patient_roll_deg), np.asarray(point_mm, float))
    return float(cr[0]), float(cr[1])


def pick_and_aim_steps(patient, side: str, entry_mm, target_mm, aim_steps_deg):
    """How a user lays a trocar on a given line with the window's controls: the entry to pick on
    the AP image and the aim steps to take, at each aim step size in turn, once the trocar is on the skin.

    A pick gives a line along the pedicle's axis (:func:`place_from_pick`); the core puts the tip
    where it meets the skin, and an aim (:func:`aim_direction`) turns the trocar about that skin
    puncture.  At each step size in turn the whole steps come nearest the line's medial and cranial
    angles from where the steps before left the axis, so the last size bounds the angle's error (half
    of it: 0.125 deg after the Step sizes dialog's finest, 0.25 deg; 1 deg at the default 2 deg, which
    moved the bone entry of the angiogram's T12 from 1.75 to 1.81 pedicle radii, realct-log pass 98).
    The entry is picked so that the axis line meets the skin where the line through ``target_mm``
    along the stepped direction does, so the stepped trocar still passes through the target.

    Parameters
    ----------
    patient : Patient
        The scenario's patient (landmarks and label volume: the skin).
    side : str
        ``'left'`` or ``'right'``.
    entry_mm, target_mm : array_like
        The wanted line (mm, LPS), e.g. the expert plan's ``place`` action.
    aim_steps_deg : sequence of float
        The aim step sizes to use, in order (deg), e.g. ``(2.0, 0.25)``: coarse, then fine.

    Returns
    -------
    (pick_mm, presses)
        The entry point to pick (mm, at the pedicle's entry depth; None when the stepped line meets
        no skin) and, per step size, ``(step_deg, n_medial, n_cranial)``: the signed number of medial
        and cranial steps of that size (negative: lateral, caudal).
    """
    ped = patient.landmarks.pedicle(side)
    axis = np.asarray(ped.axis, float)
    axis = axis / np.linalg.norm(axis)
    e, t = np.asarray(entry_mm, float), np.asarray(target_mm, float)

    def angles(d):
        towards_midline = -d[0] if side == "left" else d[0]
        return np.degrees(np.arctan2(towards_midline, -d[1])), np.degrees(np.arcsin(np.clip(d[2], -1.0, 1.0)))

    m1, c1 = angles((t - e) / np.linalg.norm(t - e))
    d = axis
    presses = []
    for step in aim_steps_deg:
        m0, c0 = angles(d)
        n_med, n_cr = int(round((m1 - m0) / step)), int(round((c1 - c0) / step))
        for _ in range(abs(n_med)):
            d = np.asarray(aim_direction(d, side, np.sign(n_med) * step, 0.0))
        for _ in range(abs(n_cr)):
            d = np.asarray(aim_direction(d, side, 0.0, np.sign(n_cr) * step))
        presses.append((float(step), n_med, n_cr))
    skin = find_skin(patient, t - 200.0 * d, t)
    if skin is None:
        return None, presses
    return skin + (float(ped.entry_mm[1]) - skin[1]) / axis[1] * axis, presses
