"""What the real-CT test files build from the same inputs, built once per test run and shared by its workers.

Several files turn the same CT (``realct_rotate.rotated``), measure the same reference vertebra
(``realct_reference.measure``, also inside ``turned_reference`` and ``measure_ct``) or estimate and label the
same level (``realct_cases.auto_labels``): 2-10 s of CPU each, done again by other files and often by every test
of one (docs/realct-log.md pass 139).  :func:`memo` keeps each
result in the run's folder (``tests/conftest.py`` names it in :data:`ENV_DIR`), so the next call anywhere in the
run, in either worker, reads it instead of building it again.

It is the patient cache's pattern (``trainer.core.anatomy.cache``): the key is a digest of every input that
shapes the result (the arrays' bytes, dtype and shape, the grid, every argument), an entry is written to a
temporary file renamed into place (two workers may build the same entry at once: either file is the same), and
the builders are deterministic, so an entry is the result a fresh build gives.  Entries are compressed (Zstandard
level 1, imagecodecs' codec, since round 44: a turned chest CT, 172 MB pickled, 39 MB, written in 0.22 s and read
back in 0.14 s of CPU, where zlib level 1 took 1.0 s and 0.43 s for the same size; a turned CT is read back at
every call of the 16 places that turn one).  Every call returns its own
copy (a test that changes its result changes no other test's).  Without :data:`ENV_DIR` (a test module run
by hand outside pytest) nothing is kept.  The folder is the run's own temporary folder, made by pytest for
this user, so only this run's workers write the pickles read back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from imagecodecs import ZstdError, zstd_decode, zstd_encode

#: the environment variable naming the run's memo folder
ENV_DIR = "VPTRAINER_TEST_MEMO_DIR"

T = TypeVar("T")


def _feed(h, part) -> None:
    """Add ``part`` to the digest ``h`` with its type, so that different inputs never give the same bytes."""
    if isinstance(part, np.ndarray):
        h.update(f"ndarray{part.dtype.str}{part.shape}".encode())
        h.update(np.ascontiguousarray(part).view(np.uint8).reshape(-1).data)
    elif isinstance(part, dict):
        h.update(f"dict{len(part)}".encode())
        for k in sorted(part, key=str):
            _feed(h, str(k))
            _feed(h, part[k])
    elif isinstance(part, (list, tuple)):
        h.update(f"{type(part).__name__}{len(part)}".encode())
        for p in part:
            _feed(h, p)
    elif dataclasses.is_dataclass(part) and not isinstance(part, type):
        h.update(type(part).__qualname__.encode())
        for f in dataclasses.fields(part):
            _feed(h, f.name)
            _feed(h, getattr(part, f.name))
    elif part is None or isinstance(part, (bool, int, float, str, np.generic)):
        h.update(f"{type(part).__name__}:{part!r};".encode())
    else:
        raise TypeError(f"realct_memo: no digest for {type(part).__name__}")


def digest(*parts) -> str:
    """SHA-256 (hex) of ``parts``: arrays by their bytes, dtype and shape; dicts, lists, tuples and dataclasses
    (``Grid``, ``Volume``, ``RealCT``) by their items or fields; numbers and strings by type and ``repr``."""
    h = hashlib.sha256()
    for p in parts:
        _feed(h, p)
    return h.hexdigest()


def memo(kind: str, parts: tuple, build: Callable[[], T]) -> T:
    """``build()``, or its result kept by an earlier call of the run with the same ``kind`` and ``parts``.

    Parameters
    ----------
    kind : str
        What is built (the entry's file name begins with it), e.g. ``"measure"``.
    parts : tuple
        Every input that shapes the result (arrays, grids, numbers, strings; see :func:`digest`).
    build : callable
        Builds the result from exactly those inputs; it must be deterministic.

    Returns
    -------
    object
        The result; a copy of its own to every caller but the one that built it.
    """
    folder = os.environ.get(ENV_DIR)
    if not folder:
        return build()
    path = Path(folder) / f"{kind}-{digest(kind, *parts)}.pickle"
    try:
        return pickle.loads(zstd_decode(path.read_bytes()))
    except (OSError, EOFError, ZstdError, pickle.UnpicklingError):
        out = build()            # not kept yet (or unreadable: built again and written over)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
    # as the patient cache: an I/O error (the run's folder removed, the disk full) only means nothing is kept
    with contextlib.suppress(OSError):
        tmp.write_bytes(zstd_encode(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL), level=1))
        tmp.replace(path)
    return out
