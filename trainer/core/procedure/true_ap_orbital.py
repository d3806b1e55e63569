"""The orbital angles of a turned vertebra's true AP and true lateral, in an instructor's words.

A patient CT's vertebra can lie turned about the long axis (the abdominal CT's L1 about 7 deg; a roll on the
table, a scoliotic turn).  Its true AP is then not at orbital 0: the resident squares the spinous process between
the pedicles by turning the arm.  ``scenarios show`` and the landmark editor (Session > Import patient CT) say the
same line from here, so an instructor knows before teaching whether the case teaches squaring (round 43; until then
the line was written inside ``scenarios show`` alone and the editor never said it).
"""

from __future__ import annotations

from trainer.core.anatomy.axial_rotation import true_ap_orbital_deg, true_lateral_orbital_deg

__all__ = ["true_ap_orbital_line", "true_ap_orbitals_deg"]


def true_ap_orbitals_deg(patient_roll_deg: float, axial_rotation_deg: float) -> tuple[float, float]:
    """Orbital angles (deg) of the target vertebra's true AP and true lateral.

    Parameters
    ----------
    patient_roll_deg : float
        The scenario's ``[carm] patient_roll_deg``, deg.
    axial_rotation_deg : float
        ``Landmarks.axial_rotation_deg``, deg (positive: the vertebra's front turned to the patient's left);
        taken to 0.1 deg, as one types it in the orbital box.

    Returns
    -------
    tuple of float
        (true AP, true lateral), deg: the roll minus the turn
        (:func:`~trainer.core.anatomy.axial_rotation.true_ap_orbital_deg`), the lateral 90 deg on
        (:func:`~trainer.core.anatomy.axial_rotation.true_lateral_orbital_deg`).
    """
    ap = true_ap_orbital_deg(patient_roll_deg, round(float(axial_rotation_deg), 1))
    return ap, true_lateral_orbital_deg(ap)


def true_ap_orbital_line(patient_roll_deg: float, axial_rotation_deg: float, level: str) -> str:
    """One line: where the turned vertebra's true AP and true lateral lie on the orbital arc.

    Parameters
    ----------
    patient_roll_deg : float
        The scenario's ``[carm] patient_roll_deg``, deg (the landmark editor's scenarios: 0).
    axial_rotation_deg : float
        ``Landmarks.axial_rotation_deg``, deg.
    level : str
        The target level, e.g. ``'L1'``.

    Returns
    -------
    str
        E.g. "true AP at orbital -7 deg, true lateral at 83 deg: the L1 is turned 7 deg on the table, its front to
        the patient's left"; "" for a vertebra not turned (every built-in case).
    """
    turn = float(axial_rotation_deg)
    if not turn:
        return ""
    ap, lat = true_ap_orbitals_deg(patient_roll_deg, turn)
    return (f"true AP at orbital {ap:g} deg, true lateral at {lat:g} deg: the {level} is turned {abs(turn):g} deg "
            f"on the table, its front to the patient's {'left' if turn > 0 else 'right'}")
