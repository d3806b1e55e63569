"""A flat folder of two series, the second's SeriesInstanceUID with letters in it (some vendors' exports; round 35,
hostile35): the writer the reader's and the import editor's tests share."""

from __future__ import annotations

from pathlib import Path

import pydicom

from trainer.core.anatomy.dicom_io import write_ct_series

#: the second series' SeriesInstanceUID: not a conformant UID (letters)
ODD = "1.2.840.113619.2.55.3.ABC.2"


def write_flat_pair(d: Path, vol, numbers) -> None:
    """``vol`` written twice flat in ``d``: series A (SeriesNumber ``numbers[0]``) and B (``numbers[1]``, UID
    :data:`ODD`), files named ``A...``, ``B...``."""
    for seed, number in zip("AB", numbers):
        for p in write_ct_series(vol, d / seed, uid_seed=seed):
            ds = pydicom.dcmread(p)
            ds.SeriesNumber = number
            if seed == "B":
                ds.SeriesInstanceUID = ODD
            ds.save_as(d / f"{seed}{p.name}")
            p.unlink()
        (d / seed).rmdir()
