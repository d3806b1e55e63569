"""The on-disk patient cache: a hit is the same patient, any change of inputs is a miss, damage is rebuilt."""

import dataclasses
import hashlib
import hmac
import io
import os
import pickle
import stat
import zlib
from pathlib import Path

import numpy as np
import pytest

from trainer.core.anatomy import cache
from trainer.core.anatomy.builder import build_patient
from trainer.core.anatomy.params import AnatomyParams

PARAMS = AnatomyParams(voxel_mm=2.0, seed=3)


@pytest.fixture(scope="module")
def base():
    return build_patient(PARAMS)


@pytest.fixture
def counting(base, tmp_path, monkeypatch):
    """A builder that counts its calls (the cached patient is the real one, relabelled with its params)."""
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "c"))
    calls = []

    def builder(params):
        calls.append(params)
        return dataclasses.replace(base, params=params)

    return builder, calls


def _same(a, b):
    assert np.array_equal(a.volume.hu, b.volume.hu) and np.array_equal(a.volume.labels, b.volume.labels)
    assert a.volume.grid == b.volume.grid and a.landmarks == b.landmarks and a.params == b.params
    assert len(a.context) == len(b.context)
    assert all(np.array_equal(x.hu, y.hu) for x, y in zip(a.context, b.context))


def test_a_hit_returns_the_built_patient_without_building(counting, base):
    builder, calls = counting
    first = cache.cached_patient(PARAMS, builder)
    second = cache.cached_patient(PARAMS, builder)
    assert len(calls) == 1
    _same(second, base)
    assert second is not first and second.volume.hu is not first.volume.hu     # a fresh copy
    assert len(list(cache.cache_dir().glob("patient-*.npzc"))) == 1


def test_the_real_builder_and_the_cache_agree(tmp_path, monkeypatch, base):
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path))
    cache.cached_patient(PARAMS)
    _same(cache.cached_patient(PARAMS), base)


@pytest.mark.parametrize("change", [{"seed": 4}, {"level": "L2"}, {"trabecular_hu": 96.0}, {"trabecular_hu": 95},
                                    {"cleft": True}, {"voxel_mm": 1.0}, {"sex": "male"},
                                    {"height_loss_fraction": 0.3}, {"posterior_soft_tissue_mm": 46.0}])
def test_every_parameter_is_in_the_key(change):
    assert cache.patient_key(dataclasses.replace(PARAMS, **change)) != cache.patient_key(PARAMS)


def test_sources_version_and_libraries_are_in_the_key(monkeypatch):
    k = cache.patient_key(PARAMS)
    assert cache.patient_key(PARAMS) == k                      # stable
    monkeypatch.setattr(cache, "source_fingerprint", lambda: "0" * 64)
    assert cache.patient_key(PARAMS) != k
    monkeypatch.undo()
    import trainer

    monkeypatch.setattr(trainer, "__version__", "0.0.0-other")
    assert cache.patient_key(PARAMS) != k
    monkeypatch.undo()
    import numpy

    monkeypatch.setattr(numpy, "__version__", "0.1")
    assert cache.patient_key(PARAMS) != k


def test_the_source_fingerprint_covers_anatomy_sources_and_their_assets(tmp_path, monkeypatch):
    src = tmp_path / "anatomy"
    src.mkdir()
    (src / "a.py").write_text("TABLE = 'table.csv'\n")
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "table.csv").write_text("1,2\n")
    (assets / "other.csv").write_text("x\n")
    monkeypatch.setattr(cache, "_ANATOMY_DIR", src)
    monkeypatch.setattr(cache, "_ASSETS_DIR", assets)

    def fp():
        cache.source_fingerprint.cache_clear()
        return cache.source_fingerprint()

    f0 = fp()
    (assets / "other.csv").write_text("y\n")                  # not named by the sources
    assert fp() == f0
    (assets / "table.csv").write_text("1,3\n")
    f1 = fp()
    assert f1 != f0
    (src / "a.py").write_text("TABLE = 'table.csv'  # edited\n")
    assert fp() != f1
    cache.source_fingerprint.cache_clear()


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty", "other_key", "other_secret",
                                    "pickle_payload"])
def test_a_damaged_or_foreign_entry_is_ignored_and_rebuilt(counting, base, damage):
    builder, calls = counting
    cache.cached_patient(PARAMS, builder)
    path = next(cache.cache_dir().glob("patient-*.npzc"))
    data = path.read_bytes()
    head, payload = data.split(b"\n", 1)
    fmt, key, length, mac = head.split(b" ")
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        i = len(head) + 1 + len(payload) // 2
        path.write_bytes(data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:])
    elif damage == "garbage":
        path.write_bytes(os.urandom(1000))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "other_key":
        path.write_bytes(b" ".join([fmt, b"f" * len(key), length, mac]) + b"\n" + payload)
    elif damage == "other_secret":
        # a well-formed entry signed with a key other than this user's secret
        forged = hmac.new(b"x" * 32, key + b"\0" + payload, hashlib.sha256).hexdigest().encode()
        path.write_bytes(b" ".join([fmt, key, length, forged]) + b"\n" + payload)
    else:
        # a correctly signed entry whose payload is an npz holding an object (pickled) array
        buf = io.BytesIO()
        np.savez(buf, doc=np.array([{"x": 1}], dtype=object))
        pl = buf.getvalue()
        secret = (cache.cache_dir() / "secret.key").read_bytes()
        good = hmac.new(secret, key + b"\0" + pl, hashlib.sha256).hexdigest().encode()
        path.write_bytes(b" ".join([fmt, key, str(len(pl)).encode(), good]) + b"\n" + pl)
    got = cache.cached_patient(PARAMS, builder)
    assert len(calls) == 2                                      # rebuilt
    _same(got, base)
    again = cache.cached_patient(PARAMS, builder)               # and the rewritten entry is good
    assert len(calls) == 2
    _same(again, base)


class _Bomb:
    """Unpickling this object creates a marker file: proof that code from the cache ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "executed"))


def test_a_planted_pickle_is_never_executed(counting, tmp_path):
    builder, calls = counting
    cache.cached_patient(PARAMS, builder)                       # folder, secret and a good entry exist
    folder = cache.cache_dir()
    marker = tmp_path / "pwned"
    bomb = pickle.dumps(_Bomb(str(marker)))
    key = cache.patient_key(PARAMS)
    for p in list(folder.glob("patient-*")):
        # the format-1 header with a valid CRC (what the old cache accepted) and a bare pickle
        p.write_bytes(f"vptrainer-patient-cache 1 {key} {len(bomb)} {zlib.crc32(bomb)}\n".encode() + bomb)
    (folder / f"patient-{key[:40]}.pkl").write_bytes(
        f"vptrainer-patient-cache 1 {key} {len(bomb)} {zlib.crc32(bomb)}\n".encode() + bomb)
    got = cache.cached_patient(PARAMS, builder)
    assert not marker.exists()
    assert got.params == PARAMS and len(calls) == 2             # the planted entry was rebuilt
    assert not (folder / f"patient-{key[:40]}.pkl").exists()    # and the old-format file removed
    pickle.loads(bomb)                                          # the oracle: the bomb does work when unpickled
    assert marker.exists()


def test_the_folder_is_private_and_an_opened_folder_is_closed_and_emptied(counting):
    builder, calls = counting
    cache.cached_patient(PARAMS, builder)
    folder = cache.cache_dir()
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(folder / "secret.key").st_mode) == 0o600
    old_secret = (folder / "secret.key").read_bytes()
    os.chmod(folder, 0o777)                                     # someone opened it: anything may be planted
    cache.cached_patient(PARAMS, builder)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert len(calls) == 2                                      # the entry was not trusted
    assert (folder / "secret.key").read_bytes() != old_secret


def test_a_symlinked_cache_folder_disables_caching(counting, tmp_path, monkeypatch):
    builder, calls = counting
    real = tmp_path / "elsewhere"
    real.mkdir(mode=0o700)
    (tmp_path / "link").mkdir()
    (tmp_path / "link" / "patients").symlink_to(real)
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "link"))
    cache.cached_patient(PARAMS, builder)
    cache.cached_patient(PARAMS, builder)
    assert len(calls) == 2 and list(real.iterdir()) == []


def test_cache_location_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "x"))
    assert cache.cache_dir() == tmp_path / "x" / "patients"
    monkeypatch.delenv(cache.ENV_DIR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "vptrainer" / "patients"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == Path(tmp_path / "home" / ".cache" / "vptrainer" / "patients")


def test_old_entries_are_pruned_and_an_unwritable_folder_only_disables_caching(counting, tmp_path, monkeypatch):
    builder, calls = counting
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2)
    for seed in (1, 2, 3):
        cache.cached_patient(dataclasses.replace(PARAMS, seed=seed), builder)
    assert len(list(cache.cache_dir().glob("patient-*.npzc"))) == 2
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.ENV_DIR, str(blocker))
    p = cache.cached_patient(PARAMS, builder)
    assert p.params == PARAMS and len(calls) == 4
