"""A file path as the window's messages show it: ``~/…`` under the user's home folder.

The status line has room for about 90 characters beside its permanent fields; a session's full path
(``/home/alice/.local/share/vptrainer/sessions/...``) pushed the records note out of it (round 23).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["shown_path"]


def shown_path(path) -> str:
    """``path`` with the home folder written ``~`` (as shells and file managers write it); any other
    path as it is.

    Parameters
    ----------
    path : str or Path
        A file or folder path.

    Returns
    -------
    str
        ``"~/rest"`` when ``path`` (made absolute) lies inside :meth:`Path.home`, else ``str(path)``.
    """
    p, home = Path(path), Path.home()
    try:
        rest = p.absolute().relative_to(home.absolute())
    except ValueError:
        return str(path)
    return "~" if rest == Path(".") else f"~/{rest.as_posix()}"
