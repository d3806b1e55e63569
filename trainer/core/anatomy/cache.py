"""An on-disk cache of built synthetic patients (an assessor scores many sessions of one case).

:func:`cached_patient` returns ``build_patient(params)``, from the cache when an entry for
exactly the same inputs exists.  The key is a SHA-256 of everything that shapes the
patient: every field of the :class:`~trainer.core.anatomy.params.AnatomyParams` (with its
type, so ``95`` and ``95.0`` are different keys), the vptrainer version, the bytes of every
source file of :mod:`trainer.core.anatomy` and of every ``assets/`` file they name, and the
Python, NumPy and SciPy versions.  A change to any of them is a different key, so a stale
entry is never read.

No code from data
-----------------
An entry holds only arrays and JSON: one header line (format, full key, payload length and
an HMAC-SHA256 of key and payload) followed by a NumPy ``.npz`` archive that is opened with
``allow_pickle=False`` (the volumes' HU and label arrays, their grids, and the landmarks and
metadata as JSON text).  The HMAC key is a random per-user secret (``secret.key``, mode
0600) inside the cache folder, so an entry that was not written by this user's vptrainer,
or was altered since, fails the check *before* any byte of it is parsed.  A file that is
truncated, fails the check, does not parse, or holds a patient of other parameters is
deleted and the patient rebuilt.

The cache folder is created with mode 0700 and checked on every use: it must be a real
folder (not a symlink) owned by the user and not accessible to group or others.  A folder
owned by someone else disables caching; a folder of the user's that has been opened up is
closed again (chmod 0700) and its secret and entries discarded, because anyone could have
planted them.  Writes go to a temporary file renamed into place, so a reader never sees
half a file; the least recently used entries beyond :data:`MAX_ENTRIES` are removed.

Location: ``$VPTRAINER_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/vptrainer``, else
``~/.cache/vptrainer`` (subfolder ``patients``).  Any I/O error just means no caching.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import io
import json
import os
import stat
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import trainer
from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.grid import Grid, Volume, float3, int3
from trainer.core.anatomy.landmarks import Landmarks, PedicleLandmarks
from trainer.core.anatomy.patient import Patient

__all__ = [
    "ENV_DIR",
    "MAX_ENTRIES",
    "cache_dir",
    "cached_ct_patient",
    "cached_patient",
    "ct_patient_key",
    "patient_key",
    "private_cache_dir",
    "source_fingerprint",
    "store_ct_patient",
]

ENV_DIR = "VPTRAINER_CACHE_DIR"
MAX_ENTRIES = 12                      #: about 25 MB each for the default 0.5 mm grid
#: 3 since round 28: each volume's blood pool is kept (format 2 dropped it, so a CT patient read from the cache
#: drew a contrast CT's aorta enhanced where the freshly labelled one draws it as unenhanced blood)
_FORMAT = "vptrainer-patient-cache-3"
_SECRET = "secret.key"
_SUFFIX = ".npzc"
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


def _key(doc: dict) -> str:
    """Hex SHA-256 of ``doc`` and of everything else that shapes a patient (code and library versions)."""
    import numpy
    import scipy

    doc = {**doc, "format": _FORMAT, "vptrainer": trainer.__version__, "sources": source_fingerprint(),
           "python": list(sys.version_info[:2]), "numpy": numpy.__version__, "scipy": scipy.__version__}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=repr).encode()).hexdigest()


def patient_key(params) -> str:
    """Cache key (hex SHA-256) of the patient ``build_patient(params)`` would build."""
    fields = {f.name: [type(getattr(params, f.name)).__name__, getattr(params, f.name)]
              for f in dataclasses.fields(params)}
    return _key({"params_type": type(params).__qualname__, "params": fields})


def ct_patient_key(series_meta: dict, grid: Grid, landmarks: dict, level: str, source: str) -> str | None:
    """Cache key (hex SHA-256) of a patient labelled from a CT series, or None when the series has no
    fingerprint (its slices' SHA-256, :func:`~trainer.core.anatomy.dicom_io.read_ct_series`).  The fingerprint
    covers the slices' ids and HU only, so the series' geometry (grid and orientation) is keyed too: a re-export
    of the same slices with another spacing, position or orientation is another patient.

    Parameters
    ----------
    series_meta : dict
        The series volume's ``meta`` (``series_sha256``, ``files``, ``series_uid``, ``orientation``).
    grid : Grid
        The series volume's grid (shape, spacing mm, origin mm).
    landmarks : dict
        The landmarks labelled around (mm, patient coordinates; as the scenario file holds them).
    level : str
        The target level.
    source : str
        The patient's ``source`` text.

    Returns
    -------
    str or None
    """
    sha = str(series_meta.get("series_sha256", ""))
    if not sha:
        return None
    marks = {k: ([float(x) for x in v] if isinstance(v, list | tuple) else float(v)) for k, v in landmarks.items()}
    return _key({"ct_series": [sha, int(series_meta.get("files", 0)), str(series_meta.get("series_uid", ""))],
                 "geometry": [list(map(int, grid.shape)), list(map(float, grid.spacing_xyz_mm)),
                              list(map(float, grid.origin_mm)), str(series_meta.get("orientation", ""))],
                 "landmarks": marks, "level": str(level), "source": str(source)})


def _is_private(st: os.stat_result) -> bool:
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not (st.st_mode & 0o077)


def private_cache_dir() -> Path | None:
    """The cache folder, created or checked private to the user; None if it cannot be.

    A folder owned by another user, or a symlink, gives None (no caching).  A folder of
    the user's with group/other access is closed (0700) and emptied of its secret and
    entries, which anyone could have planted.
    """
    folder = cache_dir()
    try:
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
            return None
        if not _is_private(st):
            os.chmod(folder, 0o700)
            for p in folder.iterdir():
                if p.name == _SECRET or p.name.startswith("patient-") or p.name.startswith(".patient-"):
                    _unlink(p)
            if not _is_private(os.lstat(folder)):
                return None
    except OSError:
        return None
    return folder


def _secret(folder: Path) -> bytes | None:
    """The per-user HMAC key (32 random bytes, mode 0600), created on first use."""
    path = folder / _SECRET
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            data = fh.read(64)
        if st.st_uid == os.getuid() and not (st.st_mode & 0o077) and len(data) == 32:
            return data
        _unlink(path)
    except FileNotFoundError:
        pass                            # no secret yet: make one below
    except OSError:
        return None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".secret-", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(32))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        try:
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)      # never replaces a secret another process just made
        finally:
            _unlink(Path(tmp))
        return _secret(folder) if path.exists() else None
    except OSError:
        return None


def _mac(secret: bytes, key: str, payload: bytes) -> str:
    return hmac.new(secret, key.encode("ascii") + b"\0" + payload, hashlib.sha256).hexdigest()


def _entry_path(folder: Path, key: str) -> Path:
    return folder / f"patient-{key[:40]}{_SUFFIX}"


# --------------------------------------------------------------------- (de)serialisation
def _tuple(v):
    return tuple(float(x) for x in v)


def _encode(patient) -> bytes:
    """The patient as an ``.npz`` archive of plain arrays and JSON text (no pickles)."""
    import numpy as np

    lm = dataclasses.asdict(patient.landmarks)
    vols = [patient.volume, *patient.context]
    doc = {"landmarks": lm, "source": patient.source,
           "volumes": [{"meta": v.meta, "shape": list(v.grid.shape), "spacing_xyz_mm": list(v.grid.spacing_xyz_mm),
                        "origin_mm": list(v.grid.origin_mm)} for v in vols]}
    text = json.dumps(doc, allow_nan=False, default=float)          # TypeError: not cacheable
    arrays = {"doc": np.frombuffer(text.encode(), np.uint8)}
    for i, v in enumerate(vols):
        arrays[f"hu{i}"] = v.hu
        arrays[f"labels{i}"] = v.labels
        if v.blood_pool is not None:        # a CT patient's enhanced lumens, drawn unenhanced (ct_blood_pool)
            arrays[f"blood{i}"] = v.blood_pool
    buf = io.BytesIO()
    np.savez(buf, allow_pickle=False, **arrays)
    return buf.getvalue()


def _decode(payload: bytes, params):
    import numpy as np

    with np.load(io.BytesIO(payload), allow_pickle=False) as z:
        doc = json.loads(z["doc"].tobytes().decode())
        vols = []
        for i, v in enumerate(doc["volumes"]):
            grid = Grid(int3(v["shape"]), float3(v["spacing_xyz_mm"]), float3(v["origin_mm"]))
            blood = z[f"blood{i}"] if f"blood{i}" in z.files else None
            vols.append(Volume(hu=z[f"hu{i}"], labels=z[f"labels{i}"], grid=grid, meta=v["meta"], blood_pool=blood))
    lm = doc["landmarks"]
    peds = {}
    for side in ("pedicle_left", "pedicle_right"):
        d = dict(lm.pop(side))
        for k in ("centre_mm", "axis", "entry_mm", "body_junction_mm"):
            d[k] = _tuple(d[k])
        peds[side] = PedicleLandmarks(**d)
    for k, v in list(lm.items()):
        if isinstance(v, list):
            lm[k] = _tuple(v)
    landmarks = Landmarks(**lm, pedicle_left=peds["pedicle_left"], pedicle_right=peds["pedicle_right"])
    return Patient(volume=vols[0], landmarks=landmarks, context=vols[1:], params=params, source=doc["source"])


# --------------------------------------------------------------------- read / write
def _read(path: Path, key: str, params, secret: bytes):
    """The cached patient, or None if the file is missing or not a valid entry for ``key``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            header = fh.readline(512)
            payload = fh.read()
    except FileNotFoundError:
        return None
    except OSError:
        _unlink(path)
        return None
    patient = None
    try:
        fmt, got_key, length, mac = header.decode("ascii").rstrip("\n").split(" ")
        ok = (fmt == _FORMAT and got_key == key and int(length) == len(payload)
              and hmac.compare_digest(mac, _mac(secret, key, payload)))
        if ok:                            # only bytes this user's vptrainer wrote are parsed
            patient = _decode(payload, params)
    except Exception:  # noqa: BLE001 (any damage: treat as a miss and rebuild)
        patient = None
    if patient is None:
        _unlink(path)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)                    # most recently used
    return patient


def _write(path: Path, key: str, patient, secret: bytes) -> None:
    try:
        payload = _encode(patient)
    except (TypeError, ValueError):       # metadata that is not plain JSON: not cached
        return
    try:
        header = f"{_FORMAT} {key} {len(payload)} {_mac(secret, key, payload)}\n".encode("ascii")
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
    for p in folder.glob(f"patient-*{_SUFFIX}"):
        with contextlib.suppress(OSError):
            entries.append((p.stat().st_mtime, p))
    entries.sort(reverse=True)
    for _, p in entries[MAX_ENTRIES:]:
        _unlink(p)
    for p in folder.glob("patient-*.pkl"):        # format 1 entries (pickles): never read, removed
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
        builder = build_patient
    return _cached(patient_key(params), params, lambda: builder(params))


def cached_ct_patient(series_meta: dict, grid: Grid, landmarks: dict, level: str, source: str, builder,
                      write: bool = True):
    """``builder()`` (a patient labelled from a CT series), read from the on-disk cache when the same series
    was labelled around the same landmarks by the same code (:func:`ct_patient_key`): ``import-ct`` labels the
    patient it writes, and the trainer opening that scenario reads it instead of labelling it again.

    Parameters
    ----------
    series_meta, grid, landmarks, level, source
        As :func:`ct_patient_key`.
    builder : callable
        ``builder()`` labels the patient (:func:`~trainer.core.anatomy.ct_patient.patient_from_ct`).
    write : bool
        False: a patient labelled here is not written (the landmark editor's checks of landmarks still being
        moved; the saved ones are written by :func:`store_ct_patient`).

    Returns
    -------
    Patient
        A fresh object (never shared between calls).
    """
    key = ct_patient_key(series_meta, grid, landmarks, level, source)
    return builder() if key is None else _cached(key, None, builder, write=write)


def store_ct_patient(series_meta: dict, grid: Grid, landmarks: dict, level: str, source: str, patient) -> bool:
    """Write ``patient`` to the cache under the key :func:`cached_ct_patient` reads for the same arguments (an
    entry already there is only marked as used).

    Parameters
    ----------
    series_meta, grid, landmarks, level, source
        As :func:`ct_patient_key`.
    patient : Patient
        The patient labelled from them (not copied: it must not be changed while written).

    Returns
    -------
    bool
        True when the entry is in the cache afterwards.
    """
    key = ct_patient_key(series_meta, grid, landmarks, level, source)
    folder = private_cache_dir()
    secret = _secret(folder) if folder is not None else None
    if key is None or folder is None or secret is None:
        return False
    path = _entry_path(folder, key)
    if path.is_file():
        with contextlib.suppress(OSError):
            os.utime(path)                    # most recently used
    else:
        _write(path, key, patient, secret)
    return path.is_file()


def _cached(key: str, params, build, write: bool = True):
    """The patient of ``key`` from the cache, else ``build()``, written to it if ``write`` (no cache: ``build()``)."""
    folder = private_cache_dir()
    secret = _secret(folder) if folder is not None else None
    if folder is None or secret is None:
        return build()
    path = _entry_path(folder, key)
    patient = _read(path, key, params, secret)
    if patient is None:
        patient = build()
        if write:
            _write(path, key, patient, secret)
    return patient
