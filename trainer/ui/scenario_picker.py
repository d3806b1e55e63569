"""The scenario picker shown at start: built-in cases, or a file or folder of TOML scenarios.

Each entry shows its level, fracture, difficulty and learning objectives.  The default
scenario is preselected.  A file that does not validate is listed with its error, so an
instructor sees what is wrong without a traceback.  The dialog is opened with
``open()`` (non-blocking); ``scenarioChosen(Scenario)`` fires on Start.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from trainer.core.errors import VPTrainerError
from trainer.core.scenario.loader import DEFAULT_SCENARIO, builtin_ids, load_scenario

__all__ = ["ScenarioPicker", "describe"]


def describe(scenario) -> str:
    """HTML summary of a scenario: title, level, fracture, difficulty, objectives."""
    objectives = "".join(f"<li>{html.escape(o)}</li>" for o in scenario.objectives) or "<li>—</li>"
    mode = "biplane" if scenario.carm.biplane else "single C-arm"
    desc = f"<p>{html.escape(scenario.description)}</p>" if getattr(scenario, "description", "") else ""
    fracture = getattr(scenario, "fracture", "") or f"grade {scenario.anatomy.fracture_grade}"
    return (f"<h2>{html.escape(scenario.title)}</h2>{desc}"
            f"<table cellpadding=3><tr><td style='color:#9ab'>Level</td><td><b>{scenario.anatomy.level}</b></td></tr>"
            f"<tr><td style='color:#9ab'>Fracture</td><td>{html.escape(fracture)}</td></tr>"
            f"<tr><td style='color:#9ab'>Difficulty</td><td>{html.escape(scenario.difficulty)}</td></tr>"
            f"<tr><td style='color:#9ab'>Imaging</td><td>{mode}</td></tr>"
            f"<tr><td style='color:#9ab'>Source</td><td>{html.escape(str(scenario.path or scenario.id))}</td></tr>"
            f"</table><h3>Learning objectives</h3><ul>{objectives}</ul>")


class ScenarioPicker(QDialog):
    scenarioChosen = Signal(object)

    def __init__(self, parent: QWidget | None = None, settings=None, preselect: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("vptrainer — choose a scenario")
        self.setObjectName("scenarioPicker")
        self.resize(1100, 700)
        self.settings = settings
        self.list = QListWidget()
        self.list.setMinimumWidth(470)
        self.list.setWordWrap(True)
        self.details = QTextBrowser()
        self.list.currentItemChanged.connect(self._show_current)
        self.list.itemDoubleClicked.connect(lambda _: self._start())
        open_file = QPushButton("Open scenario file…")
        open_file.clicked.connect(self._ask_file)
        open_folder = QPushButton("Open folder…")
        open_folder.clicked.connect(self._ask_folder)
        buttons = QDialogButtonBox()
        self.start_button = buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setObjectName("startButton")
        self.start_button.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._start)
        buttons.rejected.connect(self.reject)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.list)
        split.addWidget(self.details)
        split.setSizes([480, 620])
        row = QHBoxLayout()
        row.addWidget(open_file)
        row.addWidget(open_folder)
        row.addStretch(1)
        row.addWidget(buttons)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("<b>Choose a training case.</b> Built-in cases first; open your own file or folder."))
        lay.addWidget(split, 1)
        lay.addLayout(row)
        for sid in builtin_ids():
            self._add(sid)
        if preselect and preselect not in builtin_ids():
            self.add_scenario_file(preselect)      # selected, valid or not
        else:
            self.select(preselect or DEFAULT_SCENARIO)

    # ------------------------------------------------------------ entries
    def _add(self, ref) -> QListWidgetItem:
        try:
            sc = load_scenario(ref)
            text = f"{sc.anatomy.level} · {sc.title}\n   {sc.difficulty}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, sc)
            item.setToolTip(str(sc.path))
        except VPTrainerError as exc:
            item = QListWidgetItem(f"⚠ {Path(str(ref)).name}: invalid")
            item.setData(Qt.ItemDataRole.UserRole, exc)
            item.setForeground(Qt.GlobalColor.red)
        self.list.addItem(item)
        return item

    def add_scenario_file(self, path) -> None:
        """Add a TOML file to the list and select it."""
        item = self._add(str(path))
        self.list.setCurrentItem(item)

    def add_folder(self, folder) -> int:
        """Add every ``*.toml`` of ``folder``; return how many were added."""
        files = sorted(Path(folder).glob("*.toml"))
        for f in files:
            self._add(str(f))
        if self.settings is not None:
            self.settings.last_scenario_folder = str(folder)
        if files:
            self.list.setCurrentRow(self.list.count() - len(files))
        return len(files)

    def select(self, ref: str) -> bool:
        for i in range(self.list.count()):
            sc = self.list.item(i).data(Qt.ItemDataRole.UserRole)
            if not isinstance(sc, Exception) and (sc.id == ref or str(sc.path) == str(ref)):
                self.list.setCurrentRow(i)
                return True
        if self.list.count():
            self.list.setCurrentRow(0)
        return False

    def current_scenario(self):
        item = self.list.currentItem()
        if item is None:
            return None
        sc = item.data(Qt.ItemDataRole.UserRole)
        return None if isinstance(sc, Exception) else sc

    # ------------------------------------------------------------ ui
    def _show_current(self, item, _prev=None) -> None:
        if item is None:
            self.details.clear()
            return
        sc = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(sc, Exception):
            self.details.setHtml(f"<h2>This file is not a valid scenario</h2><pre>{html.escape(str(sc))}</pre>")
            self.start_button.setEnabled(False)
        else:
            self.details.setHtml(describe(sc))
            self.start_button.setEnabled(True)

    def _start(self) -> None:
        sc = self.current_scenario()
        if sc is None:
            return
        self.scenarioChosen.emit(sc)
        self.accept()

    def _folder_hint(self) -> str:
        return self.settings.last_scenario_folder if self.settings is not None else ""

    def _ask_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open scenario", self._folder_hint(), "Scenarios (*.toml)")
        if path:
            if self.settings is not None:
                self.settings.last_scenario_folder = str(Path(path).parent)
            self.add_scenario_file(path)

    def _ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open scenario folder", self._folder_hint())
        if folder:
            self.add_folder(folder)
