"""Binary dilation and erosion computed on the mask's bounding box: SciPy's answer, in less time on a sparse mask.

A dilation or erosion by SciPy visits every voxel of the array.  The masks the CT labelling dilates and erodes
are often a small part of the fine box (the canal's holes, the body, the lumens: 0.2-6 % of it on the real CTs,
docs/realct-log.md pass 226), so most of that work writes zeros.  The answer outside the mask's bounding box is
known without it, and inside it depends only on the voxels within the structuring element's reach:

* a dilation (``border_value`` 0) is empty farther than ``iterations`` x the element's reach from the mask: it is
  computed on the box grown by that much (clipped to the array, where the array's own border is the crop's);
* an erosion (by an element holding its centre voxel) with ``border_value`` 0 lies inside the mask: computed
  on the box itself, a voxel beyond the box is background in the array as it is beyond the crop's border;
* an erosion with ``border_value`` 1 reads the background just outside the box: computed on the box grown by
  the element's reach, where the array's background (not the border value) lies beyond the box.

Each is SciPy's own function on the crop with the same element and iterations, so the answer is the same voxel for
voxel (``tests/core/anatomy/test_crop_morphology.py`` checks it against SciPy on the whole array).

SciPy's several-pass erosion (``iterations`` over 1, also behind its dilation) writes outside its buffers when the
array is smaller than the structuring element along an axis (scipy issue 11400, numpy issue 15376; still so in
SciPy 1.17.1): the heap is corrupted and the process aborts later, anywhere ("double free or corruption").  A crop
to a thin mask's box is such an array (an axial slab one voxel thick, eroded with a 3 x 3 x 3 element), and round
44's CI lost a test worker to it twice (docs/realct-log.md pass 234).  On such an array the passes are made one at
a time (:func:`iterated`), which is what several passes are by definition, and SciPy's one-pass code is sound there.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

__all__ = ["dilated", "eroded", "iterated", "mask_box"]


def mask_box(mask: np.ndarray, grow: tuple[int, ...] | int = 0) -> tuple[slice, ...] | None:
    """The bounding box of ``mask``'s True voxels grown by ``grow`` voxels per axis, clipped to the array.

    Parameters
    ----------
    mask : ndarray of bool
        Any number of dimensions (voxels, no units).
    grow : int or tuple of int
        Voxels added on both sides, per axis or for all.

    Returns
    -------
    tuple of slice or None
        One slice per axis; None where ``mask`` has no True voxel.
    """
    m = np.asarray(mask, bool)
    g: tuple[int, ...] = (grow,) * m.ndim if isinstance(grow, int) else tuple(grow)
    box = []
    for a in range(m.ndim):
        hit = np.flatnonzero(m.any(axis=tuple(b for b in range(m.ndim) if b != a)))
        if hit.size == 0:
            return None
        box.append(slice(max(0, int(hit[0]) - g[a]), min(m.shape[a], int(hit[-1]) + 1 + g[a])))
    return tuple(box)


def iterated(op, mask: np.ndarray, structure: np.ndarray, iterations: int, **kwargs) -> np.ndarray:
    """``op(mask, structure=structure, iterations=iterations, **kwargs)`` for SciPy's ``binary_dilation`` or
    ``binary_erosion``, made one pass at a time where ``mask`` is smaller than ``structure`` along an axis (there
    SciPy's several-pass code corrupts the heap: see the module's notes).

    Parameters
    ----------
    op : callable
        ``scipy.ndimage.binary_dilation`` or ``scipy.ndimage.binary_erosion``.
    mask : ndarray of bool
        The region (voxels, no units).
    structure : ndarray of bool
        Structuring element, as many dimensions as ``mask``.
    iterations : int
        Passes, 1 or more.
    **kwargs
        Passed on to ``op`` at every pass (``border_value``).

    Returns
    -------
    ndarray of bool
        ``op``'s answer, the shape of ``mask``.
    """
    if iterations == 1 or all(a >= e for a, e in zip(mask.shape, structure.shape)):
        return op(mask, structure=structure, iterations=iterations, **kwargs)
    out = mask
    for _ in range(iterations):
        out = op(out, structure=structure, iterations=1, **kwargs)
    return out


def _element(structure, ndim: int) -> np.ndarray:
    return ndi.generate_binary_structure(ndim, 1) if structure is None else np.asarray(structure, bool)


def _reach(st: np.ndarray, iterations: int) -> tuple[int, ...]:
    """Voxels per axis a structuring element's result can lie from its input after ``iterations`` passes (its
    size less one per axis: whatever its centre, no voxel of it is farther from it)."""
    return tuple((n - 1) * iterations for n in st.shape)


def _checked(iterations: int) -> int:
    if int(iterations) < 1:
        raise ValueError(f"iterations must be 1 or more, got {iterations} (SciPy's 'until no change' is not cropped)")
    return int(iterations)


def _on_box(m: np.ndarray, box: tuple[slice, ...] | None, op) -> np.ndarray:
    """``op`` of ``m`` cut to ``box`` in a False array of ``m``'s shape (all False where ``box`` is None)."""
    out = np.zeros(m.shape, bool)
    if box is not None:
        out[box] = op(m[box])
    return out


def dilated(mask: np.ndarray, structure: np.ndarray | None = None, iterations: int = 1) -> np.ndarray:
    """``scipy.ndimage.binary_dilation(mask, structure, iterations)`` (``border_value`` 0), computed on the
    mask's bounding box grown by the element's reach.

    Parameters
    ----------
    mask : ndarray of bool
        The region (voxels, no units).
    structure : ndarray of bool, optional
        Structuring element; default SciPy's (faces only).
    iterations : int
        Passes, 1 or more.

    Returns
    -------
    ndarray of bool
        The dilated mask, the shape of ``mask``.
    """
    m = np.asarray(mask, bool)
    st, n = _element(structure, m.ndim), _checked(iterations)
    return _on_box(m, mask_box(m, _reach(st, n)), lambda crop: iterated(ndi.binary_dilation, crop, st, n))


def eroded(mask: np.ndarray, structure: np.ndarray | None = None, iterations: int = 1,
           border_value: int = 0) -> np.ndarray:
    """``scipy.ndimage.binary_erosion(mask, structure, iterations, border_value=border_value)``, computed on the
    mask's bounding box (grown by the element's reach where ``border_value`` is 1).

    Parameters
    ----------
    mask : ndarray of bool
        The region (voxels, no units).
    structure : ndarray of bool, optional
        Structuring element; default SciPy's (faces only).
    iterations : int
        Passes, 1 or more.
    border_value : int
        What lies beyond the array's border: 0 or 1.

    Returns
    -------
    ndarray of bool
        The eroded mask, the shape of ``mask``.
    """
    m = np.asarray(mask, bool)
    st, n = _element(structure, m.ndim), _checked(iterations)
    if border_value not in (0, 1):
        raise ValueError(f"border_value must be 0 or 1, got {border_value}")
    if not st[tuple(k // 2 for k in st.shape)]:   # an element without its centre erodes beyond the mask
        return iterated(ndi.binary_erosion, m, st, n, border_value=border_value)
    return _on_box(m, mask_box(m, _reach(st, 1) if border_value else 0),
                   lambda crop: iterated(ndi.binary_erosion, crop, st, n, border_value=border_value))
