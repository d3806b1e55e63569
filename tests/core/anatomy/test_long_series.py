"""Long thin-slice series (issue 12, round 34): the size bound's refusal, the reader releasing each slice's stored
pixels as it fills the volume, and the column detection's rib regions computed slab by slab (docs/realct-log.md,
pass 167).  The memory itself is measured by benchmarks/ct_load.py --slices N, not here."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from trainer.cli import main
from trainer.core.anatomy import dicom_io, dicom_sanity
from trainer.core.anatomy.ct_spine import _LATERAL_MM, _MEDIAL_MM, _lateral_components
from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series
from trainer.core.anatomy.dicom_sanity import MAX_SERIES_VOXELS, check_series_size
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.errors import DicomError


def _series(folder, n=8):
    hu = (np.arange(n * 16 * 16).reshape(n, 16, 16) % 2000 - 1000).astype(np.int16)
    write_ct_series(Volume(hu=hu, labels=np.zeros(hu.shape, np.uint8), grid=Grid((n, 16, 16), (0.7, 0.7, 0.625),
                                                                              (0, 0, 0))), folder, uid_seed="long")
    return hu


def test_the_bound_is_2000_slices_of_512_and_its_refusal_is_one_line_naming_count_bound_and_what_to_do(tmp_path):
    assert MAX_SERIES_VOXELS == 2000 * 512 * 512
    check_series_size(tmp_path, 2000, 512, 512)                 # the bound itself is read
    with pytest.raises(DicomError) as e:
        check_series_size(tmp_path, 2001, 512, 512)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"{tmp_path}: 2001 slices of 512 x 512 pixels")
    assert "allowed up to 5.24e+08 voxels (2000 slices of 512 x 512)" in msg
    assert "2 GB memory budget" in msg and "a shorter range of slices" in msg and "thicker reconstruction" in msg


def test_import_ct_refuses_a_series_over_the_bound_from_its_first_file_and_writes_nothing(tmp_path, capsys,
                                                                                           monkeypatch):
    folder = tmp_path / "series"
    _series(folder)
    monkeypatch.setattr(dicom_sanity, "MAX_SERIES_VOXELS", 7 * 16 * 16)       # 8 slices of 16 x 16: one too many
    read = []
    real = dicom_io._read_one
    monkeypatch.setattr(dicom_io, "_read_one", lambda p, trailing: read.append(p) or real(p, trailing))
    out = tmp_path / "case.toml"
    rc = main(["scenarios", "import-ct", str(folder), "--level", "L1", "--out", str(out)])
    _, err = capsys.readouterr()
    assert rc == 2 and "Traceback" not in err and err.count("\n") == 1
    assert f"{folder}: 8 slices of 16 x 16 pixels = 2.05e+03 voxels" in err and "allowed up to 1.79e+03 voxels" in err
    assert len(read) == 1                        # refused before the other files' pixels were read
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["series"]


def test_the_read_releases_each_slices_stored_pixels_and_keeps_the_same_volume_and_fingerprint(tmp_path, monkeypatch):
    hu = _series(tmp_path / "series")
    kept = []
    real = dicom_io._read_one

    def keep(p, trailing):
        sets = real(p, trailing)
        kept.extend(sets)
        return sets
    monkeypatch.setattr(dicom_io, "_read_one", keep)
    vol = read_ct_series(tmp_path / "series")
    assert np.array_equal(vol.hu, hu) and len(kept) == 8
    assert vol.labels.shape == hu.shape and vol.labels.dtype == np.uint8 and not vol.labels.any()
    assert all("PixelData" not in ds for ds in kept)     # in the volume now, not held twice
    monkeypatch.setattr(dicom_io, "_read_one", real)
    assert read_ct_series(tmp_path / "series").meta["series_sha256"] == vol.meta["series_sha256"]


def _whole_volume_lateral(bone, grid, canal_xy, turn_deg):
    """Round 33's _lateral_components (the whole volume's turned dx and dy at once): the reference."""
    x, y = grid.axis_mm("x"), grid.axis_mm("y")
    dx = x[None, None, :] - canal_xy[:, 0][:, None, None]
    dy = y[None, :, None] - canal_xy[:, 1][:, None, None]
    t = np.radians(np.asarray(turn_deg, float))[:, None, None]
    dx, dy = dx * np.cos(t) + dy * np.sin(t), dy * np.cos(t) - dx * np.sin(t)
    lab, n = ndi.label(bone & (np.abs(dx) >= _LATERAL_MM))
    out = []
    for i, sl in enumerate(ndi.find_objects(lab), 1):
        m = lab[sl] == i
        if int(m.sum()) < 8:
            continue
        kk, jj, ii = np.nonzero(m)
        kk, jj, ii = kk + sl[0].start, jj + sl[1].start, ii + sl[2].start
        out.append((np.broadcast_to(dx, bone.shape)[kk, jj, ii], np.broadcast_to(dy, bone.shape)[kk, jj, ii]))
    return out


def test_rib_regions_of_a_turned_column_are_the_whole_volume_computation_bit_for_bit():
    rng = np.random.default_rng(3)
    shape = (70, 40, 60)                        # more than two 32-slice slabs
    grid = Grid(shape, (2.0, 2.0, 2.0), (-60.0, -40.0, 0.0))
    bone = ndi.binary_dilation(rng.random(shape) > 0.985, iterations=2)
    canal = np.column_stack([rng.uniform(-5, 5, shape[0]), rng.uniform(-5, 5, shape[0])])
    turn = rng.uniform(-30, 30, shape[0])
    ours = _lateral_components(bone, grid, canal, turn)
    ref = _whole_volume_lateral(bone, grid, canal, turn)
    assert len(ours) == len(ref) > 5
    for c, (d, back) in zip(ours, ref):
        ad = np.abs(d)
        assert c.reach_mm == float(ad.max()) and c.side == (1 if np.median(d) > 0 else -1)
        med = ad <= _MEDIAL_MM
        if med.any():
            assert c.medial_back_mm == float(back[med].max())
