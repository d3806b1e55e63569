"""The one exception hierarchy of vptrainer.

Every message names what was wrong (file, field, value) and what is allowed, so that
the CLI can print it as one line and the GUI can show it in a dialog unchanged.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "VPTrainerError",
    "ParameterError",
    "ScenarioError",
    "DicomError",
    "ActionRefused",
    "SessionError",
    "TamperError",
]


class VPTrainerError(Exception):
    """Base class of every error vptrainer raises on purpose."""


class ParameterError(VPTrainerError, ValueError):
    """A parameter is outside its allowed values.

    Parameters
    ----------
    name : str
        The parameter or field, e.g. ``"grade"`` or ``"anatomy.level"``.
    value : Any
        The value found.
    allowed : str
        What is allowed, e.g. ``"0 to 3"`` or ``"one of T8..L5"``.
    source : str, optional
        Where the value came from (a file path, with ``:line`` when known).
    hint : str, optional
        What to do about it.
    """

    def __init__(self, name: str, value: Any, allowed: str, source: str | None = None,
                 hint: str | None = None):
        self.name = name
        self.value = value
        self.allowed = allowed
        self.source = source
        self.hint = hint
        where = f"{source}: " if source else ""
        msg = f"{where}{name} = {value!r} is not allowed; expected {allowed}"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)

    def __reduce__(self):
        # pickled with its fields, not its message: a worker process's error (``--jobs``) reaches the parent whole
        # (unpickling called ``ParameterError(message)``, a TypeError that left the process pool hanging)
        return type(self), (self.name, self.value, self.allowed, self.source, self.hint)


class ScenarioError(VPTrainerError):
    """A scenario file is invalid.  ``problems`` lists every error found in the file."""

    def __init__(self, path: str, problems: list[str]):
        self.path = str(path)
        self.problems = list(problems)
        if len(self.problems) == 1:
            text = self.problems[0]
        else:
            text = f"{len(self.problems)} problems:\n  " + "\n  ".join(self.problems)
        super().__init__(text)

    def __reduce__(self):
        # pickled with its fields, as ParameterError is (a worker's error reaches the parent whole)
        return type(self), (self.path, self.problems)


class DicomError(VPTrainerError):
    """A DICOM file or series cannot be used (missing, uneven or duplicated slices, ...)."""


class ActionRefused(VPTrainerError):
    """A procedure action is not allowed now; the state is unchanged.

    ``reason`` is the human-readable reason recorded in the session.
    """

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class SessionError(VPTrainerError):
    """A session file cannot be read (not JSON lines, wrong version, missing header...)."""


class TamperError(SessionError):
    """A session's hash chain is broken, or its scenario does not match the recorded hash."""
