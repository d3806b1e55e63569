"""Writing output files without ever clobbering one: a temporary file in the target's
folder, then a rename; an existing target is refused unless ``force``."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from trainer.core.errors import VPTrainerError

__all__ = ["OutputExists", "write_new"]


class OutputExists(VPTrainerError):
    """The output file already exists and ``--force`` was not given."""


def write_new(path, data: bytes | str, force: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically.

    Without ``force`` an existing ``path`` raises :class:`OutputExists` and is left as it was;
    the check and the write are one step (``os.link`` fails if the name appeared meanwhile).
    """
    p = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if p.exists() and not force:
        raise OutputExists(f"{p}: already exists; not overwritten (use --force to replace it)")
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if force:
            os.replace(tmp, p)
        else:
            try:
                os.link(tmp, p)
            except FileExistsError:
                raise OutputExists(f"{p}: already exists; not overwritten (use --force to replace it)") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return p
