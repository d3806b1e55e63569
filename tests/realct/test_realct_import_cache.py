"""``import-ct`` labels the patient it writes; the trainer opening that scenario reads those labels from the
patient cache instead of labelling the same vertebra again, and labels anew when a landmark changed.

Round 24 (realct-log pass 102) made ``import-ct`` label every import; opening the case then labelled it again
(chest CT L1: 2.5 s CPU of the 3.7 s the opening took, round 25 smalls).  Oracles: a fresh labelling of the
series around the written landmarks with no cache (``patient_from_ct``), and the cache's own entry files
(the entry the import wrote is the one read: same file, not rewritten).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from trainer.cli import main
from trainer.core.anatomy.ct_patient import patient_from_ct
from trainer.core.anatomy.dicom_io import read_ct_series
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.loader import load_scenario

pytestmark = pytest.mark.slow


def _entries() -> dict[str, int]:
    folder = Path(os.environ["VPTRAINER_CACHE_DIR"]) / "patients"
    return {p.name: p.stat().st_ino for p in folder.glob("patient-*.npzc")}


def _same(a, b) -> None:
    assert a.landmarks == b.landmarks
    for va, vb in zip([a.volume, *a.context], [b.volume, *b.context], strict=True):
        assert va.grid == vb.grid and np.array_equal(va.hu, vb.hu) and np.array_equal(va.labels, vb.labels)
    # what the scenario's path adds beside the labelling (patient_from_scenario_ct): the series' fingerprint and,
    # since round 34, the reader's notes for `scenarios show`
    added = ("ct_series", "series_notes")
    assert {k: v for k, v in a.volume.meta.items() if k not in added} == \
        {k: v for k, v in b.volume.meta.items() if k not in added}


def test_the_trainer_reads_the_patient_import_ct_labelled(totalseg_series, tmp_path, monkeypatch):
    monkeypatch.setenv("VPTRAINER_CACHE_DIR", str(tmp_path / "cache"))
    root, folder = totalseg_series
    toml = root / f"l3_{tmp_path.name}.toml"
    assert main(["scenarios", "import-ct", str(folder), "--level", "L3", "--out", str(toml), "--force"]) == 0
    written = _entries()
    assert len(written) == 1, written                    # the import's labelling, kept
    sc = load_scenario(toml)
    opened = patient_for(sc)
    assert _entries() == written                         # read, not labelled and written again
    vol = read_ct_series(sc.ct.folder)
    fresh = patient_from_ct(vol, sc.ct.landmarks, sc.ct.level, source=opened.source)
    _same(opened, fresh)

    # one landmark edited (the superior endplate 1 mm up): labelled again, never the old labels
    text = toml.read_text()
    z = sc.ct.landmarks["superior_endplate_z_mm"]
    line = next(ln for ln in text.splitlines() if ln.startswith("superior_endplate_z_mm"))
    toml.write_text(text.replace(line, f"superior_endplate_z_mm = {z + 1.0:.4f}"))
    sc2 = load_scenario(toml)
    assert sc2.ct.landmarks["superior_endplate_z_mm"] == pytest.approx(z + 1.0)
    edited = patient_for(sc2)
    after = _entries()
    assert len(after) == 2 and set(written) < set(after), after
    _same(edited, patient_from_ct(vol, sc2.ct.landmarks, sc2.ct.level, source=edited.source))
    assert edited.landmarks.superior_endplate_z_mm != opened.landmarks.superior_endplate_z_mm
