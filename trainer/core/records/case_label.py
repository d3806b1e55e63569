"""Which case an attempt was on, as an instructor tells cases apart: title, scenario file and CT series.

A stored attempt keeps its scenario id, which is the scenario file's name ("ct-l2"): two colleagues'
copies of an imported case, or two patients' CTs both saved as ``l2.toml``, share it.  The session
file's header (docs/session-format.md) holds what tells them apart: the scenario's text (its title),
the scenario file's path and, for a real CT, the fingerprint of the series (``ct_series.sha256``).
Only the header line is read; a missing or unreadable session file gives the id alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePath

import tomllib

from trainer import SCENARIOS_DIR
from trainer.core.errors import SessionError
from trainer.core.session.header import MAX_SCENARIO_CHARS, check_header

__all__ = ["SessionCase", "session_case"]

#: The header line is at most the scenario text (escaped) plus a few kB of fields.
_MAX_HEADER_BYTES = 8 * MAX_SCENARIO_CHARS


@dataclass(frozen=True)
class SessionCase:
    """The case of one session.

    Attributes
    ----------
    scenario_id : str
        The scenario file's name without ``.toml`` (or a built-in case's id).
    title : str
        The scenario's ``[scenario] title``; '' when the session file could not be read.
    scenario_path : str
        The scenario file's absolute path as recorded; '' for a built-in case or when unknown.
    series_id : str
        First 8 hex digits of the CT series fingerprint; '' for a synthetic patient.
    """

    scenario_id: str
    title: str = ""
    scenario_path: str = ""
    series_id: str = ""

    def label(self, shown=str) -> str:
        """One line naming the case: "L2 patient CT (ct-l2 in ~/cases/anna, series 1a2b3c4d)".

        Parameters
        ----------
        shown : callable
            How a folder path is written (e.g. with ``~`` for the home folder); default ``str``.
        """
        where = self.scenario_id
        if self.scenario_path:
            where += f" in {shown(PurePath(self.scenario_path).parent)}"
        if self.series_id:
            where += f", series {self.series_id}"
        return f"{self.title} ({where})" if self.title else where


def _first_line(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.readline(_MAX_HEADER_BYTES)


def session_case(session_path, scenario_id: str) -> SessionCase:
    """The case recorded in a session file's header.

    Parameters
    ----------
    session_path : path-like
        The session file (JSON lines; the header is its first line).
    scenario_id : str
        The stored attempt's scenario id, used when the file cannot be read.

    Returns
    -------
    SessionCase
        Title, scenario path (not for a built-in case) and series short id; only ``scenario_id``
        when the file is missing, unreadable or its header is not a valid session header.
    """
    try:
        header = json.loads(_first_line(Path(session_path)))
        if not isinstance(header, dict):
            return SessionCase(scenario_id)
        check_header(header, str(session_path))
        title = tomllib.loads(header["scenario_toml"]).get("scenario", {}).get("title", "")
    except (OSError, ValueError, RecursionError, SessionError, AttributeError):
        return SessionCase(scenario_id)
    spath = header.get("scenario_path") or ""
    if spath and Path(spath).parent == SCENARIOS_DIR.resolve():
        spath = ""                                   # a built-in case: its id says which
    series = header.get("ct_series") or {}
    return SessionCase(str(header.get("scenario_id") or scenario_id), str(title) if isinstance(title, str) else "",
                       spath, str(series.get("sha256", ""))[:8])
