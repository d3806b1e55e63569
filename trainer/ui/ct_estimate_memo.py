"""The landmark editor's last estimates, kept in memory: the same series estimated at the same level again (the
editor closed and opened again on it, or the level changed and changed back) is given the estimate already made
instead of running it again (about 3 s of CPU on the synthetic L1 series, the estimate's and its check's labelling;
more on a real CT).

:func:`estimate_key` is a SHA-256 of everything that shapes an estimate
(:func:`~trainer.ui.ct_estimate_jobs._estimate`): the volume's every array (HU, labels, blood pool: their bytes,
dtype and shape), its grid and meta (the folder, the slices' fingerprint, the orientation, the reader's notes), the
point estimated around, the detected column (its vertebrae, thresholds, canal line and outline: every field), the
level, and the code (the version, the bytes of every source file of :mod:`trainer.core` and of the editor's jobs,
the assets the anatomy reads, the Python, NumPy and SciPy versions), so a changed voxel, level or column is another
key and a stale answer is never given.  A value the key cannot fold in (a type it does not know) gives no key: the
estimate runs.

:class:`EstimateMemo` holds :data:`MEMO_ENTRIES` estimates, the least recently used dropped; what it keeps and what
it gives are copies (:func:`copy.deepcopy`), so an editor changing its landmarks, or the patient it saves, never
changes another editor's.  Safe to use from several worker threads at once.  No Qt here.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import sys
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy

import trainer
from trainer.core.anatomy.cache import source_fingerprint

__all__ = ["ESTIMATES", "MEMO_ENTRIES", "EstimateMemo", "estimate_key"]

#: estimates kept: a level changed and changed back, or the editor opened again on the series, finds its estimate;
#: each holds the labelled patient (about 15 MB on the synthetic L1 series, 9-33 MB on the real CTs)
MEMO_ENTRIES = 2

_CORE_DIR = Path(__file__).resolve().parents[1] / "core"
_JOBS = (Path(__file__).resolve().parent / "ct_estimate_jobs.py", Path(__file__).resolve())


class _Unkeyable(TypeError):
    """A value :func:`_fold` does not know how to key: no key, the estimate runs."""


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """SHA-256 of the code an estimate runs: the trainer's version, every source file of ``trainer/core`` and of
    the editor's jobs, the assets the anatomy reads (:func:`~trainer.core.anatomy.cache.source_fingerprint`), and
    the Python, NumPy and SciPy versions."""
    h = hashlib.sha256()
    for part in (trainer.__version__, source_fingerprint(), sys.version, np.__version__, scipy.__version__):
        h.update(str(part).encode() + b"\0")
    for p in (*sorted(_CORE_DIR.rglob("*.py")), *_JOBS):
        h.update(str(p.name).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _fold(h, value) -> None:
    """Fold ``value`` into the hash ``h``, tagged by its type so that different values never fold alike (an array's
    bytes with its dtype and shape, a dataclass's fields by name, a float as its exact ``repr``)."""
    if value is None or isinstance(value, bool | int | float | str):
        h.update(f"{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, np.ndarray | np.generic):
        a = np.ascontiguousarray(value)
        if a.dtype.hasobject:
            raise _Unkeyable("cannot key an array of objects")
        h.update(f"array:{a.dtype.str}:{a.shape};".encode())
        h.update(memoryview(a).cast("B") if a.size else b"")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        h.update(f"dataclass:{type(value).__module__}.{type(value).__qualname__}(".encode())
        for f in dataclasses.fields(value):
            h.update(f"{f.name}=".encode())
            _fold(h, getattr(value, f.name))
        h.update(b")")
    elif isinstance(value, list | tuple):
        h.update(f"{type(value).__name__}[{len(value)}](".encode())
        for item in value:
            _fold(h, item)
        h.update(b")")
    elif isinstance(value, dict):
        h.update(f"dict[{len(value)}](".encode())
        for k in sorted(value, key=repr):
            _fold(h, k)
            _fold(h, value[k])
        h.update(b")")
    else:
        raise _Unkeyable(f"cannot key a {type(value).__name__}")


def estimate_key(volume, near_mm, column, level: str) -> str | None:
    """Hex SHA-256 of an estimate's inputs and code (the module docstring), or None when one of them holds a value
    that cannot be keyed.

    Parameters
    ----------
    volume : Volume
        The series read (HU, labels, grid mm, meta).
    near_mm : tuple of float or None
        The point estimated around (mm, the series' coordinates); None: a short series' middle.
    column : Column
        The column detected on ``volume`` (thresholds HU, vertebrae mm).
    level : str
        The target level.

    Returns
    -------
    str or None
    """
    h = hashlib.sha256(b"vptrainer-editor-estimate-1\0" + _code_fingerprint().encode())
    try:
        for part in (volume, near_mm, column, level):
            _fold(h, part)
    except _Unkeyable:
        return None
    return h.hexdigest()


class EstimateMemo:
    """The last ``size`` estimates by key (:func:`estimate_key`), least recently used dropped first.

    Parameters
    ----------
    size : int
        How many estimates are kept (at least 1).
    """

    def __init__(self, size: int = MEMO_ENTRIES):
        if size < 1:
            raise ValueError(f"EstimateMemo: size {size} must be at least 1")
        self.size = size
        self._entries: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str | None):
        """A copy of the estimate kept under ``key``, or None (none kept, or ``key`` None)."""
        if key is None:
            return None
        with self._lock:
            if key not in self._entries:
                return None
            self._entries.move_to_end(key)
            kept = self._entries[key]
        return copy.deepcopy(kept)

    def put(self, key: str | None, value) -> None:
        """Keep a copy of ``value`` under ``key`` (nothing kept when ``key`` is None)."""
        if key is None:
            return
        kept = copy.deepcopy(value)
        with self._lock:
            self._entries[key] = kept
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every estimate."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


#: the editors' memo (every editor of the process shares it)
ESTIMATES = EstimateMemo()
