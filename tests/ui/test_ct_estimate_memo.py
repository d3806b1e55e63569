"""The landmark editor's memo of its last estimates (trainer.ui.ct_estimate_memo): a series opened again at the same
level is given the estimate already made, field for field what the estimate gives when it runs (the oracle: the
first, uncached load of the same series); a changed voxel, level, point or column is estimated again, never served
from the memo.  Round 45: until then each re-open ran the estimate and its check's labelling again."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.dicom_io import write_ct_series
from trainer.core.anatomy.grid import Grid, Volume
from trainer.core.anatomy.params import AnatomyParams
from trainer.ui import ct_estimate_jobs
from trainer.ui.ct_estimate_memo import ESTIMATES, EstimateMemo, estimate_key

pytestmark = pytest.mark.usefixtures("estimates_run")     # each test starts with the editors' memo empty


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The synthetic L1 patient's series, cut to its target and 10 mm either side (a short series: one vertebra,
    estimated around the series' middle), in a scanner's coordinates."""
    truth = build_patient(AnatomyParams(level="L1", voxel_mm=0.5, seed=7))
    lm, g = truth.landmarks, truth.volume.grid
    z = g.axis_mm("z")
    ks = np.flatnonzero((z >= lm.inferior_endplate_z_mm - 10.0) & (z <= lm.superior_endplate_z_mm + 10.0))
    cut = Volume(hu=truth.volume.hu[ks[0]:ks[-1] + 1], labels=truth.volume.labels[ks[0]:ks[-1] + 1],
                 grid=Grid((ks.size, *g.shape[1:]), g.spacing_xyz_mm,
                           (g.origin_mm[0] + 2.0, g.origin_mm[1] + 140.0, float(z[ks[0]]) + 610.0)))
    out = tmp_path_factory.mktemp("memo") / "series"
    write_ct_series(cut, out, uid_seed="memo-test")
    return out


def _no_progress(_f, _text):
    return None


def _same(a, b, where="result"):
    """Assert ``a`` and ``b`` are equal field by field: arrays by value, dtype and shape, dataclasses by every
    field, dicts, lists and tuples item by item."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), where
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), where
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), where
        for k in a:
            _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    else:
        assert a == b, (where, a, b)


def _counted(monkeypatch):
    """The estimate's runs: each call of the core's ``import_landmarks`` from the editor's jobs."""
    runs = []
    real = ct_estimate_jobs.import_landmarks
    monkeypatch.setattr(ct_estimate_jobs, "import_landmarks", lambda *a, **k: (runs.append(a[3]), real(*a, **k))[1])
    return runs


def test_a_series_opened_again_is_given_the_estimate_already_made(folder, monkeypatch):
    """The same series read again at the same level: the estimate does not run again, and what the editor is given
    is field for field the first load's estimate, warnings, true AP lines and labelled patient (its arrays by value),
    as copies: the editor that changes its landmarks or patient changes no other editor's."""
    runs = _counted(monkeypatch)
    first = ct_estimate_jobs._load_job((str(folder), "L1"), _no_progress)
    assert runs == ["L1"] and first["estimate"] is not None and first["labelled"] is not None
    assert first["column"].short and first["chosen"] is None        # estimated around the series' middle
    again = ct_estimate_jobs._load_job((str(folder), "L1"), _no_progress)
    assert runs == ["L1"]                               # not estimated again
    for key in ("estimate", "problem", "advised", "warning", "warnings", "true_ap", "level", "chosen", "labelled"):
        _same(again[key], first[key], key)
    assert again["labelled"][3] is not first["labelled"][3] and again["estimate"] is not first["estimate"]
    again["estimate"]["body_centre_mm"] = (0.0, 0.0, 0.0)          # the editor's landmarks changed
    again["labelled"][3].volume.hu[:] = 0                           # and its patient
    third = ct_estimate_jobs._load_job((str(folder), "L1"), _no_progress)
    assert runs == ["L1"]
    _same(third["estimate"], first["estimate"], "estimate")
    _same(third["labelled"], first["labelled"], "labelled")


class _Estimated(Exception):
    """The estimate ran (not served from the memo)."""


def test_a_changed_voxel_level_point_or_column_is_estimated_again(folder, monkeypatch):
    """An answer kept under the key of the series' L1 estimate (a marker, not an estimate: nothing here needs one to
    run) is what an equal copy of the series is given (the key is the content, not the object), and a cancelled
    editor's job still stops at its bar's end; one voxel's HU changed by 1, another level, a point 1 mm off, or a
    column with another bone threshold run the estimate (the spy raises when it does)."""
    vol = ct_estimate_jobs.read_ct_series(str(folder))
    column = ct_estimate_jobs.detect_column(vol)
    near = column.vertebrae[0].body_centre_mm
    marker = ({"kept": "the memo's"}, "", False, ["kept"], ("kept",), None)
    ESTIMATES.put(estimate_key(vol, near, column, "L1"), marker)

    def ran(*_a, **_k):
        raise _Estimated
    monkeypatch.setattr(ct_estimate_jobs, "import_landmarks", ran)
    served = ct_estimate_jobs._estimate_job((copy.deepcopy(vol), tuple(near), copy.deepcopy(column), 0, "L1"),
                                            _no_progress)
    assert (served["estimate"], served["warnings"], served["true_ap"]) == ({"kept": "the memo's"}, ["kept"], ("kept",))

    class Cancelled(Exception):
        """What the dialog's progress raises once it is cancelled."""

    def cancelled(_f, _text):
        raise Cancelled
    with pytest.raises(Cancelled):
        ct_estimate_jobs._estimate_job((vol, near, column, 0, "L1"), cancelled)

    voxel = copy.deepcopy(vol)
    k, j, i = (n // 2 for n in voxel.grid.shape)
    voxel.hu[k, j, i] += 1
    thresholds = dataclasses.replace(column.thresholds, bone_hu=column.thresholds.bone_hu + 1.0)
    changed = {"one voxel": (voxel, near, column, "L1"),
               "another level": (vol, near, column, "T12"),
               "another point": (vol, (near[0] + 1.0, near[1], near[2]), column, "L1"),
               "another column": (vol, near, dataclasses.replace(column, thresholds=thresholds), "L1")}
    for what, (v, p, c, level) in changed.items():
        with pytest.raises(_Estimated):
            ct_estimate_jobs._estimate_job((v, p, c, 0, level), _no_progress)
            pytest.fail(f"{what}: served from the memo")


def test_the_memo_keeps_its_last_entries_and_keys_only_what_it_can():
    """Two entries kept: a third drops the least recently used (one read counts as a use); a value the key cannot
    fold in (an object in the series' meta) gives no key, and nothing is kept or served under it."""
    memo = EstimateMemo(2)
    memo.put("a", {"x": 1})
    memo.put("b", {"x": 2})
    assert memo.get("a") == {"x": 1}                  # a used: b is now the least recently used
    memo.put("c", {"x": 3})
    assert (memo.get("a"), memo.get("b"), memo.get("c"), len(memo)) == ({"x": 1}, None, {"x": 3}, 2)
    with pytest.raises(ValueError, match="size 0 must be at least 1"):
        EstimateMemo(0)
    g = Grid((2, 2, 2), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0))
    vol = Volume(hu=np.zeros(g.shape, np.int16), labels=np.zeros(g.shape, np.uint8), grid=g, meta={"odd": object()})
    assert estimate_key(vol, None, None, "L1") is None
    memo.put(None, {"x": 4})
    assert memo.get(None) is None and len(memo) == 2
    plain = Volume(hu=vol.hu, labels=vol.labels, grid=g, meta={"odd": "text"})
    assert estimate_key(plain, None, None, "L1") == estimate_key(copy.deepcopy(plain), None, None, "L1")
    assert estimate_key(plain, None, None, "L1") != estimate_key(plain, None, None, "L2")
