"""Remembered preferences (QSettings): display orientation, invert, step sizes, folders.

Everything the trainee can set once and expect to find again.  Tests pass their own
:class:`QSettings` (an INI file in a temporary folder) so the user's settings are never
touched.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from PySide6.QtCore import QSettings

from trainer.core.xray.dose import PULSE_RATE_HZ

__all__ = ["Settings", "DisplayPrefs", "StepPrefs", "settings_from_path", "throwaway_settings"]

ORG = "vptrainer"
APP = "vptrainer"


@dataclass(frozen=True)
class DisplayPrefs:
    """How the monitors show images.

    Attributes
    ----------
    flip_h, flip_v : bool
        Mirror every image left-right / top-bottom (rooms that hang monitors differently).
        Clicks on a flipped image are mapped back to detector pixels.
    invert : bool
        Show dense structures white instead of the fluoroscopy convention (dense dark).
    """

    flip_h: bool = False
    flip_v: bool = False
    invert: bool = False


@dataclass(frozen=True)
class StepPrefs:
    """Step sizes of the controls (mm, deg, mL, s)."""

    advance_coarse_mm: float = 5.0
    advance_fine_mm: float = 1.0
    aim_step_deg: float = 2.0
    orbital_step_deg: float = 2.0
    tilt_step_deg: float = 2.0
    inject_ml: float = 0.25
    fluoro_pulses_per_s: float = PULSE_RATE_HZ


class Settings:
    """Typed access to the remembered preferences.

    Parameters
    ----------
    qsettings : QSettings, optional
        Where to store them; the default is the per-user vptrainer settings.
    """

    def __init__(self, qsettings: QSettings | None = None):
        self._q = qsettings if qsettings is not None else QSettings(ORG, APP)

    @property
    def qsettings(self) -> QSettings:
        return self._q

    def _get(self, key: str, default):
        value = self._q.value(key, default)
        if isinstance(default, bool):
            if isinstance(value, str):
                return value.lower() in ("1", "true", "yes")
            return bool(value)
        if isinstance(default, float):
            try:
                return float(value)
            except (TypeError, ValueError):
                return default
        return value if value is not None else default

    def display(self) -> DisplayPrefs:
        return DisplayPrefs(**{f.name: self._get(f"display/{f.name}", f.default) for f in fields(DisplayPrefs)})

    def set_display(self, prefs: DisplayPrefs) -> None:
        for f in fields(DisplayPrefs):
            self._q.setValue(f"display/{f.name}", bool(getattr(prefs, f.name)))
        self._q.sync()

    def steps(self) -> StepPrefs:
        values = {}
        for f in fields(StepPrefs):
            v = self._get(f"steps/{f.name}", f.default)
            values[f.name] = v if v > 0 else f.default
        return StepPrefs(**values)

    def set_steps(self, prefs: StepPrefs) -> None:
        for f in fields(StepPrefs):
            self._q.setValue(f"steps/{f.name}", float(getattr(prefs, f.name)))
        self._q.sync()

    @property
    def last_scenario_folder(self) -> str:
        return str(self._get("paths/last_scenario_folder", ""))

    @last_scenario_folder.setter
    def last_scenario_folder(self, folder: str) -> None:
        self._q.setValue("paths/last_scenario_folder", str(folder))
        self._q.sync()

    @property
    def last_scenario(self) -> str:
        """Id or path of the scenario picked last time ('' = the default)."""
        return str(self._get("paths/last_scenario", ""))

    @last_scenario.setter
    def last_scenario(self, ref: str) -> None:
        self._q.setValue("paths/last_scenario", str(ref))
        self._q.sync()


    #: Scenario folders remembered for resuming (the newest first).
    MAX_SCENARIO_FOLDERS = 20

    def scenario_folders(self) -> list[str]:
        """Folders of the scenario files this user started sessions from (newest first).

        A resumed CT-scenario session looks up its CT folder in these (and next to the
        session file): folders this user chose, never one a session file names.
        """
        raw = self._get("paths/scenario_folders", "")
        items = raw if isinstance(raw, list) else str(raw or "").split("\n")
        return [str(x) for x in items if str(x)]

    def remember_scenario_folder(self, folder) -> None:
        """Put ``folder`` first in :meth:`scenario_folders` (at most :data:`MAX_SCENARIO_FOLDERS`)."""
        f = str(Path(folder).resolve())
        keep = [f] + [x for x in self.scenario_folders() if x != f]
        self._q.setValue("paths/scenario_folders", "\n".join(keep[: self.MAX_SCENARIO_FOLDERS]))
        self._q.sync()


def settings_from_path(path: str) -> Settings:
    """Settings stored in an INI file at ``path`` (tests, portable installs)."""
    return Settings(QSettings(str(path), QSettings.Format.IniFormat))


def throwaway_settings(folder) -> Settings:
    """Settings for a scripted run (screenshots, benchmarks) that leaves the user's own untouched: an
    INI file in ``folder`` and the trainee store (the records a Finish writes, the learning curves)
    ``folder/records.sqlite3``.  Until round 23 tools/screenshots.py recorded its expert sessions in
    the user's real store (the per-user data folder), and they showed in the user's learning curve."""
    folder = Path(folder)
    settings = settings_from_path(str(folder / "settings.ini"))
    settings.qsettings.setValue("records/store_path", str(folder / "records.sqlite3"))
    settings.qsettings.sync()
    return settings
