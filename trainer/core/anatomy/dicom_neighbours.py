"""A decoded JPEG 2000 slice told wrong by its two neighbours in the series (round 43, realct-log pass 221).

A JPEG 2000 (or HTJ2K) codestream whose coding-style or quantisation bytes were changed to values valid for another
image (decomposition levels, the wavelet, quantisation exponents) is decoded without a word by every decoder, into
other pixels: 0.1-100 % of a real slice over 50 HU off (round 42's header sweep, 78 of 723 one-byte changes).
The header cannot tell, but the series can: neighbouring slices of a patient are alike.  The measure is the median
absolute HU difference over the body (pixels above :data:`BODY_HU` in either slice, every second row and column): a
slice's from each of its neighbours, against the two neighbours' from each other (:func:`unlike_ratio`).  The
neighbours lie twice as far apart as the slice from either, so a slice of the patient differs from each less than
they differ from each other: on the 854 interior slices of the three real CTs and their thick variants (chest 2.5 /
5 / 7.5 mm, abdomen 3 mm / 5 mm slabs / 6 mm, the contrast angiogram with its stent graft 1.5 / 3 / 4.5 / 6 mm) the
ratio is 0.41 to 0.94 (``benchmarks/realct_neighbour_likeness.py``); three copies of one slice with independent noise
give 0.98 to 1.0.  A lossless JPEG 2000 slice over :data:`MAX_UNLIKE_RATIO` is refused: 40 of the sweep's 78 wrong
reads (ratio 1.30 to over 1000; 10-100 % of the slice over 50 HU off); the 38 left are at most 1.25 (0.1-21 % off).
Lossy syntaxes are not weighed (their loss is their own difference: 1.16 at 40:1), nor the first and last slices
(one neighbour), a series of one or two slices, or a slice of one value (a padding slice).
"""

from __future__ import annotations

import numpy as np
from pydicom.uid import UID, HTJ2KLossless, HTJ2KLosslessRPCL, JPEG2000Lossless

from trainer.core.errors import DicomError

__all__ = ["BODY_HU", "CHECKED_SYNTAXES", "MAX_UNLIKE_RATIO", "median_difference_hu", "refuse_unlike_neighbours",
           "unlike_ratio"]

#: the transfer syntaxes whose slices are checked: JPEG 2000 and HTJ2K that may only be lossless, whose decoded slice
#: is the scanner's to the HU (a lossy one differs from its neighbours by its own loss: the abdomen through the 9-7
#: wavelet at 60 dB PSNR, about 40:1, reaches a ratio of 1.16, realct-log pass 221)
CHECKED_SYNTAXES = frozenset({JPEG2000Lossless, HTJ2KLossless, HTJ2KLosslessRPCL})

#: a pixel above this in either slice is in the body (or the table) and is compared (HU)
BODY_HU = -500
#: a slice whose median HU difference from each neighbour is more than this times the neighbours' from each other is
#: refused.  Real slices: at most 0.94 (realct-log pass 221); three copies of one slice with independent noise: 0.98 to
#: 1.0 (noise alone makes each pair's difference alike), so the bound stands clear of 1: a slice whose noise is a third
#: above both its neighbours' (with anatomy alike) is about 1.18
MAX_UNLIKE_RATIO = 1.25
#: the neighbours' difference is taken as at least this (HU): a noise-free series (a phantom) has neighbours alike to
#: the last HU, where any change of the slice between would weigh infinitely
FLOOR_HU = 10.0
#: fewer compared pixels than this share of the slice's: too little of the body to weigh (the top of a head)
MIN_BODY_SHARE = 0.01
#: every second row and column is compared (half the CPU): the real series' largest ratio 0.94 (0.89 over every pixel)
_STEP = 2


def median_difference_hu(a: np.ndarray, b: np.ndarray) -> float | None:
    """The median absolute HU difference of two slices over the body.

    Parameters
    ----------
    a, b : ndarray
        Two slices' HU (rows x columns, the same shape).

    Returns
    -------
    float or None
        The median of ``|a - b|`` (HU) over every second row and column where either slice is above
        :data:`BODY_HU`; None when those pixels are fewer than :data:`MIN_BODY_SHARE` of the compared ones.
    """
    x, y = a[::_STEP, ::_STEP], b[::_STEP, ::_STEP]
    body = (x > BODY_HU) | (y > BODY_HU)
    n = int(np.count_nonzero(body))
    if n < MIN_BODY_SHARE * x.size:
        return None
    d = np.abs(x[body].astype(np.int32) - y[body])
    return float(np.median(d))


def unlike_ratio(prev: np.ndarray, hu: np.ndarray, nxt: np.ndarray,
                 known: tuple[float | None, float | None] | None = None) -> tuple[float, float, float, float] | None:
    """How unlike a slice is to both its neighbours, against how unlike they are to each other.

    Parameters
    ----------
    prev, hu, nxt : ndarray
        The slice before, the slice, and the slice after (HU, rows x columns each).
    known : tuple, optional
        The slice's median differences from ``prev`` and from ``nxt`` when already measured (a series' adjacent
        pairs are each weighed once).

    Returns
    -------
    tuple of float, or None
        (ratio, HU from ``prev``, HU from ``nxt``, HU between the neighbours): the smaller of the slice's two median
        differences (:func:`median_difference_hu`) over the neighbours' (at least :data:`FLOOR_HU`); None when any of
        the three holds too little body to weigh.
    """
    d_prev, d_next = known if known is not None else (median_difference_hu(hu, prev), median_difference_hu(hu, nxt))
    d_pair = median_difference_hu(prev, nxt)
    if d_prev is None or d_next is None or d_pair is None:
        return None
    return min(d_prev, d_next) / max(d_pair, FLOOR_HU), d_prev, d_next, d_pair


def refuse_unlike_neighbours(stack: np.ndarray, checked: list[tuple[int, str, UID]], names: list[str]) -> None:
    """Raise DicomError for the first checked slice unlike both its neighbours (:func:`unlike_ratio` over
    :data:`MAX_UNLIKE_RATIO`).

    Parameters
    ----------
    stack : ndarray
        The series' HU in position order (slices x rows x columns).
    checked : list of (int, str, UID)
        The slices to weigh: (index in ``stack``, the file (and frame) as the error names it, its transfer syntax);
        the first and last slice, which have one neighbour, are passed over, as is a series of one or two slices, and a
        slice of one value (a padding slice whose codestream is a blank frame's, :func:`.dicom_j2k.one_value_damage`).
    names : list of str
        Every slice's name in position order (the neighbours named in the error).

    Raises
    ------
    DicomError
        Naming the file, its transfer syntax, its median differences from each neighbour, the neighbours' from each
        other and the allowed ratio.
    """
    n = stack.shape[0]
    adjacent: dict[int, float | None] = {}          # k -> the median difference of slices k and k + 1

    def pair(k: int) -> float | None:
        if k not in adjacent:
            adjacent[k] = median_difference_hu(stack[k], stack[k + 1])
        return adjacent[k]

    for k, where, syntax in checked:
        if not 0 < k < n - 1 or stack[k].min() == stack[k].max():
            continue                # an end, or a blank slice the one-value check let through (a padding slice)
        got = unlike_ratio(stack[k - 1], stack[k], stack[k + 1], known=(pair(k - 1), pair(k)))
        if got is None or got[0] <= MAX_UNLIKE_RATIO:
            continue
        ratio, d_prev, d_next, d_pair = got
        raise DicomError(
            f"{where}: pixel data in {getattr(syntax, 'name', str(syntax))} decoded into a slice unlike both its "
            f"neighbours: its median HU difference over the body is {d_prev:g} HU from {names[k - 1]} and {d_next:g} "
            f"HU from {names[k + 1]}, {ratio:.2f} times the {max(d_pair, FLOOR_HU):g} HU between those two (allowed: at "
            f"most {MAX_UNLIKE_RATIO:g} times; a slice of a patient differs from each neighbour less than they differ "
            "from each other): bytes changed in its coding or quantisation segments or its packets; copy the slice "
            "again, or export the series uncompressed")
