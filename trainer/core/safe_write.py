"""Writing output files and folders without losing anything (issue 18).

Every command and dialog that writes goes through here:

* :func:`check_output` refuses, before any work is done, a destination that exists (unless
  ``force``), that is the command's own input (resolved paths and same-file check, so
  ``./s.jsonl``, a symlink or a hard link to the input are all caught, even with ``force``),
  that is a folder where a file is wanted or a file where a folder is wanted, whose folder
  does not exist, or that the user cannot write.
* :func:`atomic_file` hands out a temporary path in the destination's folder; when the
  block ends the file is validated (``validate(path)``), flushed to disk (fsync) and
  renamed into place, so the destination holds either the old file or the complete new
  one, never half a file.  On any error, including a full disk, the temporary file is
  removed and the destination is untouched.
* :func:`atomic_folder` does the same for a folder of files (a DICOM series): the new
  series is written into a temporary sibling folder and swapped in only when complete.

All refusals are :class:`~trainer.core.errors.ParameterError` (one line, exit status 2).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from trainer.core.errors import ParameterError

__all__ = [
    "atomic_file",
    "atomic_folder",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output",
    "same_path",
]


def same_path(a, b) -> bool:
    """Whether two paths name the same file (resolved symlinks, hard links, ``..``)."""
    pa, pb = Path(a), Path(b)
    with contextlib.suppress(OSError):
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
    return Path(os.path.realpath(pa)) == Path(os.path.realpath(pb))


def _inside(child: Path, folder: Path) -> bool:
    c, f = Path(os.path.realpath(child)), Path(os.path.realpath(folder))
    return c == f or f in c.parents


def check_output(path, *, option: str = "--out", force: bool = False, inputs: Iterable = (),
                 folder: bool = False, suffixes: Iterable[str] = ()) -> Path:
    """Check an output destination before any work; return it as an absolute path.

    Parameters
    ----------
    path : path-like
        The destination file (or folder with ``folder=True``).
    option : str
        The option or field named in error messages (``--out``, ``--html``...).
    force : bool
        Allow replacing an existing file (or a non-empty folder).
    inputs : iterable of path-like
        Files and folders the command reads; the destination may never be one of them or
        (for a folder destination) contain one of them.
    folder : bool
        The destination is a folder of files.
    suffixes : iterable of str
        Allowed file name endings (lower case, with the dot); empty = any.

    Raises
    ------
    ParameterError
        Naming the option, the path and what is allowed.
    """
    raw = str(path)
    if not raw or "\0" in raw:
        raise ParameterError(option, raw, "a file name")
    p = Path(os.path.abspath(os.path.expanduser(raw)))
    sfx = tuple(suffixes)
    if sfx and p.suffix.lower() not in sfx:
        raise ParameterError(option, raw, f"a file name ending in {' or '.join(sfx)}")
    for inp in inputs:
        if inp is None:
            continue
        if same_path(p, inp) or (folder and _inside(inp, p)):
            raise ParameterError(option, raw, "a destination other than the command's input",
                                 hint=f"it would overwrite the input {inp}")
        if Path(inp).is_dir() and _inside(p, inp):
            raise ParameterError(option, raw, "a destination outside the input folder",
                                 hint=f"writing into {inp} would change the input (e.g. add a file to a CT series)")
    if p.is_symlink() and not force:
        raise ParameterError(option, raw, "a path that does not exist yet", hint="it is a symbolic link; "
                             "use --force to replace the link")
    if p.exists():
        if folder:
            if not p.is_dir():
                raise ParameterError(option, raw, "a folder (this is a file)")
            if any(p.iterdir()) and not force:
                raise ParameterError(option, raw, "a new or empty folder",
                                     hint="it holds files; use --force to replace them")
        else:
            if p.is_dir():
                raise ParameterError(option, raw, "a file name (this is a folder)")
            if not force:
                raise ParameterError(option, raw, "a file that does not exist yet",
                                     hint="use --force to replace it")
    parent = p.parent
    if not parent.is_dir():
        raise ParameterError(option, raw, "a path in an existing folder",
                             hint=f"{parent} is not a folder" if parent.exists() else f"{parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ParameterError(option, raw, "a path in a folder you can write to",
                             hint=f"{parent} is not writable")
    return p


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _os_error(option: str, dest: Path, exc: OSError) -> ParameterError:
    return ParameterError(option, str(dest), "a destination that can be written",
                          hint=f"{exc.strerror or exc}; nothing was changed")


@contextlib.contextmanager
def atomic_file(dest, *, force: bool = False, option: str = "--out",
                validate: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``dest``; on success validate, fsync and rename it into place.

    ``validate(tmp_path)`` raises if the written file is not what it should be (e.g. an
    empty PDF).  Without ``force`` an existing ``dest`` is never replaced (the rename is a
    hard link that fails if the name exists).  An ``OSError`` (full disk, no permission)
    becomes a :class:`ParameterError`; the destination is untouched.
    """
    dest = Path(dest)
    try:
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part" + dest.suffix)
        os.close(fd)
        os.chmod(tmp_name, 0o666 & ~_umask())       # the permissions an ordinary new file gets
    except OSError as exc:
        raise _os_error(option, dest, exc) from None
    tmp = Path(tmp_name)
    try:
        yield tmp
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise ParameterError(option, str(dest), "a destination that can be written",
                                 hint="the writer produced no data; nothing was changed")
        if validate is not None:
            validate(tmp)
        _fsync_file(tmp)
        if force:
            os.replace(tmp, dest)
        else:
            os.link(tmp, dest)            # fails if dest appeared meanwhile: never clobbers
            tmp.unlink()
        _fsync_dir(dest.parent)
    except FileExistsError:
        raise ParameterError(option, str(dest), "a file that does not exist yet",
                             hint="use --force to replace it") from None
    except OSError as exc:
        raise _os_error(option, dest, exc) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def atomic_write_bytes(dest, data: bytes, **kw) -> Path:
    """Write ``data`` to ``dest`` through :func:`atomic_file`; returns ``dest``."""
    with atomic_file(dest, **kw) as tmp:
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            raise _os_error(kw.get("option", "--out"), Path(dest), exc) from None
    return Path(dest)


def atomic_write_text(dest, text: str, **kw) -> Path:
    """UTF-8 text version of :func:`atomic_write_bytes`."""
    return atomic_write_bytes(dest, text.encode("utf-8"), **kw)


@contextlib.contextmanager
def atomic_folder(dest, *, force: bool = False, option: str = "--out") -> Iterator[Path]:
    """Yield a temporary folder next to ``dest``; when the block succeeds it replaces ``dest``.

    The files are fsynced first.  An existing ``dest`` is moved aside, the new folder renamed
    into place and the old one deleted only then; without ``force`` only a missing or empty
    ``dest`` is replaced.
    """
    dest = Path(dest)
    try:
        tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part"))
        os.chmod(tmp, 0o777 & ~_umask())
    except OSError as exc:
        raise _os_error(option, dest, exc) from None
    old = None
    try:
        yield tmp
        for f in tmp.iterdir():
            _fsync_file(f)
        if dest.exists():
            if any(dest.iterdir()) and not force:
                raise ParameterError(option, str(dest), "a new or empty folder",
                                     hint="it holds files; use --force to replace them")
            old = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".old"))
            os.rename(dest, old / "x")
        os.rename(tmp, dest)
        _fsync_dir(dest.parent)
    except OSError as exc:
        if old is not None and (old / "x").exists() and not dest.exists():
            os.rename(old / "x", dest)    # put the old folder back
        raise _os_error(option, dest, exc) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
