"""An on-disk cache of built synthetic patients (an assessor scores many sessions of one case).

:func:`cached_patient` returns ``build_patient(params)``, from the cache when an entry for
exactly the same inputs exists.  The key is a SHA-256 of everything that shapes the
patient: every field of the :class:`~trainer.core.anatomy.params.AnatomyParams` (with its
type, so ``95`` and ``95.0`` are different keys), the vptrainer version, the bytes of every
source file of :mod:`trainer.core.anatomy` and of every ``assets/`` file they name, and the
Python, NumPy and SciPy versions.  A change to any of them is a different key, so a stale
entry is never read.

Each entry is one file: a header line (format, full key, payload length, CRC-32) and the
pickled :class:`~trainer.core.anatomy.patient.Patient`.  A file that is truncated, fails the
checksum, does not unpickle, or holds a patient of other parameters is deleted and the
patient rebuilt.  Writes go to a temporary file renamed into place, so a reader never sees
half a file; the least recently used entries beyond :data:`MAX_ENTRIES` are removed.

Location: ``$VPTRAINER_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/vptrainer``, else
``~/.cache/vptrainer`` (subfolder ``patients``, created private to the user: the files are
pickles, so the folder must not be writable by others).  Any I/O error just means no caching.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import pickle
import sys
import tempfile
import zlib
from functools import lru_cache
from pathlib import Path

__all__ = ["cached_patient", "patient_key", "cache_dir", "source_fingerprint", "MAX_ENTRIES", "ENV_DIR"]

ENV_DIR = "VPTRAINER_CACHE_DIR"
MAX_ENTRIES = 12                      #: about 25 MB each for the default 0.5 mm grid
_FORMAT = "vptrainer-patient-cache 1"
_ANATOMY_DIR = Path(__file__).resolve().parent
_ASSETS_DIR = Path(__file__).resolve().parents[3] / "assets"


def cache_dir() -> Path:
    """Folder of the patient cache (see the module docstring)."""
    base = os.environ.get(ENV_DIR)
    if base:
        root = Path(base)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = (Path(xdg) if xdg else Path.home() / ".cache") / "vptrainer"
    return root / "patients"


@lru_cache(maxsize=1)
def source_fingerprint() -> str:
    """SHA-256 of the anatomy package's sources and of the asset files they name."""
    h = hashlib.sha256()
    sources = sorted(_ANATOMY_DIR.rglob("*.py"))
    text = b""
    for p in sources:
        data = p.read_bytes()
        text += data
        h.update(str(p.relative_to(_ANATOMY_DIR)).encode() + b"\0" + data + b"\0")
    if _ASSETS_DIR.is_dir():
        for p in sorted(_ASSETS_DIR.rglob("*")):
            if p.is_file() and p.name.encode() in text:
                h.update(b"asset:" + str(p.relative_to(_ASSETS_DIR)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def patient_key(params) -> str:
    """Cache key (hex SHA-256) of the patient ``build_patient(params)`` would build."""
    import numpy
    import scipy

    from trainer import __version__

    fields = {f.name: [type(getattr(params, f.name)).__name__, getattr(params, f.name)]
              for f in dataclasses.fields(params)}
    doc = {"format": _FORMAT, "params_type": type(params).__qualname__, "params": fields,
           "vptrainer": __version__, "sources": source_fingerprint(),
           "python": list(sys.version_info[:2]), "numpy": numpy.__version__, "scipy": scipy.__version__}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=repr).encode()).hexdigest()


def _entry_path(key: str) -> Path:
    return cache_dir() / f"patient-{key[:40]}.pkl"


def _read(path: Path, key: str, params):
    """The cached patient, or None if the file is missing or not a valid entry for ``key``."""
    from trainer.core.anatomy.patient import Patient

    try:
        with open(path, "rb") as fh:
            header = fh.readline(512)
            payload = fh.read()
    except OSError:
        return None
    try:
        fmt, got_key, length, crc = header.decode("ascii").rstrip("\n").rsplit(" ", 3)
        ok = (fmt == _FORMAT and got_key == key and int(length) == len(payload)
              and int(crc) == zlib.crc32(payload))
        patient = pickle.loads(payload) if ok else None
        if not isinstance(patient, Patient) or patient.params != params:
            patient = None
    except Exception:                     # any damage: treat as a miss and rebuild
        patient = None
    if patient is None:
        _unlink(path)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)                    # most recently used
    return patient


def _write(path: Path, key: str, patient) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        payload = pickle.dumps(patient, protocol=pickle.HIGHEST_PROTOCOL)
        header = f"{_FORMAT} {key} {len(payload)} {zlib.crc32(payload)}\n".encode("ascii")
        fd, tmp = tempfile.mkstemp(prefix=".patient-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(header)
                fh.write(payload)
            os.replace(tmp, path)
        except BaseException:
            _unlink(Path(tmp))
            raise
        _prune(path.parent)
    except OSError:                       # read-only or full disk: no caching
        return


def _prune(folder: Path) -> None:
    entries = []
    for p in folder.glob("patient-*.pkl"):
        with contextlib.suppress(OSError):
            entries.append((p.stat().st_mtime, p))
    entries.sort(reverse=True)
    for _, p in entries[MAX_ENTRIES:]:
        _unlink(p)


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def cached_patient(params, builder=None):
    """``build_patient(params)``, read from the on-disk cache when possible.

    Parameters
    ----------
    params : AnatomyParams
    builder : callable, optional
        Used instead of :func:`trainer.core.anatomy.builder.build_patient` (tests).

    Returns
    -------
    Patient
        A fresh object (never shared between calls).
    """
    if builder is None:
        from trainer.core.anatomy.builder import build_patient as builder
    key = patient_key(params)
    path = _entry_path(key)
    patient = _read(path, key, params)
    if patient is None:
        patient = builder(params)
        _write(path, key, patient)
    return patient
