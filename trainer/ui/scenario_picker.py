"""The scenario picker shown at start: built-in cases, or a file or folder of TOML scenarios.

Each entry shows its level, fracture, difficulty and learning objectives.  The default
scenario is preselected.  A file that does not validate is listed with its error, so an
instructor sees what is wrong without a traceback.  A patient-CT case's series is read too, as
``scenarios validate`` reads it (:func:`~trainer.core.scenario.series_check.series_problem`, the same
function): off the GUI thread (0.3 to 2 s a real CT), the row then marked with the reader's line when a
slice cannot be read (round 40; before, such a case was listed as one to start).  While that read runs, Start
reads "Reading the series…" and is off; it comes on only when the series reads (round 41: until then a case could
be started before its check said the series is damaged).  The reads run one at a time, the selected row's next
(round 41: the last of a folder of 8 CT cases waited for the reads of the 7 before it).  The row says "reading its CT
series…" while its read runs or waits (round 42); a read that goes :data:`READ_PATIENCE_S` without reading a file
(a folder on a hung network share) turns its row "has not answered", the details naming the folder, and the next
reads go to a new thread (the hung one cannot be stopped; if it answers after all, its row is marked then).
The dialog is opened with ``open()`` (non-blocking); ``scenarioChosen(Scenario)`` fires on Start.

Return starts only a case chosen in the picker (round 42): a resident typing ahead of the start (Escape, a path and
Return meant for another dialog) had the Return start the preselected L1 case the moment the picker opened, a
session they never chose.  Return (or Enter) now starts the selected case once a row has been chosen since the picker
was shown: clicked, moved to with the arrow keys, or opened with Open scenario file… / Open folder…; before, it
starts nothing and the picker says how to choose (a click on Start still starts the selected case).  Keys that reach
the picker before its window was exposed are dropped, and a key held from before (X's repeats: release/press pairs
carrying one timestamp, or presses marked as repeats) stays ignored until it is let go and pressed again.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
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

from trainer import SCENARIOS_DIR
from trainer.core.errors import ScenarioError, VPTrainerError
from trainer.core.one_line import one_line, utf8_text
from trainer.core.scenario.loader import DEFAULT_SCENARIO, builtin_ids, load_scenario
from trainer.core.shown_path import shown_path
from trainer.ui.typed_ahead import KeyGuard
from trainer.ui.workers import Runner

__all__ = ["CHOOSE_FIRST", "HEADER", "READING_ROW", "READING_START", "READ_PATIENCE_S", "ScenarioPicker", "describe",
           "picker_title", "source_text"]

#: the picker's first line
HEADER = "<b>Choose a training case.</b> Built-in cases first; open your own file or folder."
#: the first line after a Return that came before any row was chosen (typed ahead, or pressed at once)
CHOOSE_FIRST = ("<b style='color:#ffb060'>Return starts a case once you have chosen it here:</b> click its row (or move "
                "to it with the arrow keys), then press Return or click Start.")
#: keys that move the list's selection: a row moved to with them is a row chosen
_NAVIGATION = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown, Qt.Key.Key_Home, Qt.Key.Key_End)

#: seconds a series read may go without reading a file before its row says so and the next case's read goes ahead
READ_PATIENCE_S = 15
#: what a row adds while its series is read (or waits to be)
READING_ROW = "reading its CT series…"

#: Start's text while the selected CT case's series is read (the button off until the read says it can be played)
READING_START = "Reading the series…"


def picker_title(title: str, level: str) -> str:
    """The case's name in the picker, read as the built-in ones are: the level first, once.

    "L1 fracture, ..." is shown as it is; a title naming the level as its last word ("Real abd L3", or
    "Patient CT, L3", the name ``import-ct`` gave before round 22) shows it in front instead, "L3 · Real
    abd"; a title naming the level elsewhere is shown as it is; any other gets the level in front,
    "L1 · Test case".
    """
    title, level = str(title).strip(), str(level)
    if re.match(rf"{re.escape(level)}\b", title):
        return title
    rest = re.sub(rf"[\s,;:·]+{re.escape(level)}$", "", title)          # "T12-L1" keeps its junction
    if rest != title and rest:
        return f"{level} · {rest}"
    if re.search(rf"\b{re.escape(level)}\b", title):
        return title
    return f"{level} · {title}"


def source_text(scenario) -> str:
    """Where ``scenario`` comes from, as the picker's Source row says it: "built-in case ID" for a file of the
    installation's scenarios/ folder (or no file), any other file as :func:`~trainer.core.shown_path.shown_path`
    writes it (``~/...`` under the home folder).  Until round 27 the row showed the installation's absolute path
    (``/work/main/scenarios/l1-wedge-default.toml`` in docs/screenshots/01-picker.png).

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario (its ``path`` None when it was not read from a file).

    Returns
    -------
    str
        The row's text.
    """
    path = getattr(scenario, "path", None)
    if path is None or Path(path).resolve().parent == SCENARIOS_DIR.resolve():
        return f"built-in case {scenario.id}"
    return one_line(shown_path(path))      # a byte that is not UTF-8 as its escape: Qt drops it (hostile41)


def describe(scenario) -> str:
    """HTML summary of a scenario: title, level, fracture, difficulty, objectives."""
    objectives = "".join(f"<li>{html.escape(o)}</li>" for o in scenario.objectives) or "<li>—</li>"
    mode = "biplane" if scenario.carm.biplane else "single C-arm"
    desc = f"<p>{html.escape(scenario.description)}</p>" if getattr(scenario, "description", "") else ""
    fracture = getattr(scenario, "fracture", "") or f"grade {scenario.anatomy.fracture_grade}"
    ct = getattr(scenario, "ct", None)
    if ct is not None:      # until round 37 "Fracture: patient CT", read as a fracture modelled on the CT
        fracture = (f"none simulated: the patient's own {ct.level} as the CT shows it (the chart's history is "
                    "the case's teaching story)")
    return (f"<h2>{html.escape(scenario.title)}</h2>{desc}"
            f"<table cellpadding=3><tr><td style='color:#9ab'>Level</td><td><b>{scenario.anatomy.level}</b></td></tr>"
            f"<tr><td style='color:#9ab'>Fracture</td><td>{html.escape(fracture)}</td></tr>"
            f"<tr><td style='color:#9ab'>Difficulty</td><td>{html.escape(scenario.difficulty)}</td></tr>"
            f"<tr><td style='color:#9ab'>Imaging</td><td>{mode}</td></tr>"
            f"<tr><td style='color:#9ab'>Source</td><td>{html.escape(source_text(scenario))}</td></tr>"
            f"</table><h3>Learning objectives</h3><ul>{objectives}</ul>")


def _file_key(ref) -> str:
    """One key per scenario whatever the spelling: a built-in id, or the resolved path of a file
    (a built-in file opened from disk is the built-in)."""
    ref = str(ref)
    p = Path(ref)
    if p.suffix.lower() == ".toml" or p.exists():
        try:
            p = p.resolve()
        except OSError:
            return ref
        if p.parent == SCENARIOS_DIR.resolve():
            return p.stem
        return str(p)
    return ref


def _series_channel(key: str) -> str:
    """The runner channel of one row's series read (a row's reload or the picker's close invalidates it)."""
    return f"series:{key}"


def _check_series(scenario, progress) -> str:
    """The picker's job: :func:`~trainer.core.scenario.series_check.series_problem` on a pool thread, stopped at
    its next file once the picker closes (the runner's ``progress`` then raises)."""
    from trainer.core.scenario.series_check import series_problem  # lazy: the DICOM reader is not needed at launch

    return series_problem(scenario, progress=lambda done, total: progress(done / max(total, 1), ""))


class ScenarioPicker(QDialog):
    scenarioChosen = Signal(object)
    #: a CT case's series was read: (the row's key, the reader's line or "" when it reads)
    seriesChecked = Signal(str, str)

    def __init__(self, parent: QWidget | None = None, settings=None, preselect: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("vptrainer — choose a scenario")
        self.setObjectName("scenarioPicker")
        self.resize(1100, 700)
        self.settings = settings
        self._runner = self._new_runner()
        self._checking: dict[int, tuple[str, object]] = {}     # request id -> (row key, the scenario it reads)
        # a read that went READ_PATIENCE_S without reading a file (a hung network share): row key -> (its runner, request
        # id, scenario).  Its runner is set aside, its thread left in the read, and the next reads go to a new one
        self._stalled: dict[str, tuple[Runner, int, object]] = {}
        #: milliseconds a read may go without reading a file before its row says so (READ_PATIENCE_S)
        self.read_patience_ms = READ_PATIENCE_S * 1000
        self._patience = QTimer(self)
        self._patience.setSingleShot(True)
        self._patience.timeout.connect(self._read_stalled)
        self._waiting: list[tuple[str, object]] = []           # rows whose read is not yet submitted, in list order
        # a row's key as Qt keeps it -> the key, for a path with a byte that is not UTF-8: Qt drops such a byte, so
        # a case named caf\xe9.toml was keyed "caf.toml", a file not there, and Start marked it "no longer there"
        self._keys: dict[str, str] = {}
        # keys typed before the picker's window was exposed are not the picker's (a resident typing ahead of a slow
        # start had the Return meant for another dialog start the default case, round 42): judged in eventFilter
        self._key_guard = KeyGuard(self, install=False)
        self._row_chosen = False                           # a row clicked, moved to with the keys, or opened since shown
        QApplication.instance().installEventFilter(self)
        self.list = QListWidget()
        self.list.setMinimumWidth(470)
        self.list.setWordWrap(True)
        self.details = QTextBrowser()
        self.list.currentItemChanged.connect(self._show_current)
        self.list.itemDoubleClicked.connect(lambda _: self._start())
        open_file = QPushButton("Open scenario file…")
        open_file.clicked.connect(self.ask_file)
        self.file_dialog: QFileDialog | None = None
        open_folder = QPushButton("Open folder…")
        open_folder.clicked.connect(self._ask_folder)
        for b in (open_file, open_folder):
            # Return is Start's (the default button): as the dialog's auto-default buttons these two took it while
            # they had the focus, which they keep after their file dialog closes, and a file just opened was met
            # by the file dialog again instead of starting (round 35)
            b.setAutoDefault(False)
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
        self.header = QLabel(HEADER)
        self.header.setWordWrap(True)
        lay.addWidget(self.header)
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
        """Load ``ref`` into its row: a file already listed is reloaded in place (a fixed file
        loses its red entry), a built-in file selects the built-in row."""
        key = _file_key(ref)
        item = self._row_for(key)
        try:
            sc = load_scenario(ref)
            title = picker_title(sc.title, sc.anatomy.level)
            text, data, tip, colour = f"{title}\n   {sc.difficulty}", sc, one_line(str(sc.path)), None
            if getattr(sc, "ct", None) is not None:
                text += f" · {READING_ROW}"     # until round 42 the row said nothing while its read waited
        except VPTrainerError as exc:
            first = one_line(str(exc).splitlines()[0]) if str(exc) else "invalid"
            text = f"⚠ {one_line(Path(str(ref)).name)}: invalid"
            data, tip, colour = exc, first, Qt.GlobalColor.red
        if item is None:
            item = QListWidgetItem()
            self.list.addItem(item)
        item.setText(text)
        item.setData(Qt.ItemDataRole.UserRole, data)
        shown = utf8_text(key)
        if shown != key:
            self._keys[shown] = key
        item.setData(Qt.ItemDataRole.UserRole + 1, shown)
        item.setToolTip(tip)
        if colour is None:
            item.setData(Qt.ItemDataRole.ForegroundRole, None)
        else:
            item.setForeground(colour)
        # a row reloaded lets its earlier read go (each read is a whole series, 0.3 to 2 s: opening a folder of CT
        # cases again queued every case's read behind the ones still waiting, round 40 hostile40)
        self._runner.invalidate(_series_channel(key))
        if any(k == key for k, _ in self._checking.values()):
            self._patience.stop()
        self._checking = {rid: kd for rid, kd in self._checking.items() if kd[0] != key}
        if key in self._stalled:
            self._stalled.pop(key)[0].invalidate(_series_channel(key))
        self._waiting = [kd for kd in self._waiting if kd[0] != key]
        if getattr(data, "ct", None) is not None:
            self._waiting.append((key, data))
            self._next_read()
        if self.list.currentItem() is item:
            self._show_current(item)
        return item

    def checking(self, key: str) -> bool:
        """Whether the series of the row keyed ``key`` is being read (or waits to be)."""
        return any(k == key for k, _ in (*self._checking.values(), *self._waiting))

    def _next_read(self) -> None:
        """Submit the next waiting read when none runs: the selected row's first, else the list's first.  One at a
        time, so that the case chosen is read next: submitted all at once, the last of a folder of 8 CT cases waited
        for the 7 reads before it, 4.2 s with Start off (hostile41)."""
        if self._checking or not self._waiting:
            return
        item = self.list.currentItem()
        current = self._key_of(item) if item is not None else None
        at = next((i for i, (k, _) in enumerate(self._waiting) if k == current), 0)
        key, data = self._waiting.pop(at)
        rid = self._runner.submit(_series_channel(key), _check_series, data)
        self._checking[rid] = (key, data)
        self._patience.start(self.read_patience_ms)

    def _new_runner(self) -> Runner:
        """The picker's reading thread: one read at a time; its answers and file reports come back here."""
        runner = Runner(max_threads=1, parent=self)
        runner.finished.connect(lambda resp: self._series_checked(resp, runner))
        runner.progress.connect(lambda *_: self._read_moved(runner))
        return runner

    def _read_moved(self, runner) -> None:
        """A file was read: the running read is not hung, its patience starts again."""
        if runner is self._runner and self._checking:
            self._patience.start(self.read_patience_ms)

    def stalled(self, key: str) -> bool:
        """Whether the read of the row keyed ``key`` went :attr:`read_patience_ms` without reading a file."""
        return key in self._stalled

    def _read_stalled(self) -> None:
        """The running read went :attr:`read_patience_ms` without reading a file (a folder on a hung network share:
        until round 42 Start stayed off with no limit and the row said nothing).  Its row says so, naming the
        folder; its thread is left in the read (a blocked system call cannot be stopped) and the next reads go to a
        new one, so another case chosen is read at once.  If the read ends after all, its answer still marks the
        row."""
        if not self._checking:
            return
        rid, (key, data) = next(iter(self._checking.items()))
        self._checking.clear()
        self._stalled[key] = (self._runner, rid, data)
        self._runner = self._new_runner()
        item = self._row_for(key)
        if item is not None and item.data(Qt.ItemDataRole.UserRole) is data:
            path = Path(str(getattr(data, "path", key)))
            seconds = self.read_patience_ms / 1000
            item.setText(f"⏳ {one_line(path.name)}: its CT series has not answered for {seconds:g} s")
            item.setToolTip(one_line(f"{data.ct.folder}: no file read for {seconds:g} s"))
            item.setForeground(Qt.GlobalColor.darkYellow)
            if self.list.currentItem() is item:
                self._show_current(item)
        self._next_read()

    def _series_checked(self, resp, runner=None) -> None:
        """Mark a CT case's row with the reader's line when its series cannot be read (the row's scenario still
        the one read: a file reloaded since waits for its own check); the row's "reading" note goes.  A read set
        aside as stalled that ends after all marks its row too."""
        if runner is not None and runner is not self._runner:
            key = next((k for k, (r, rid, _) in self._stalled.items() if r is runner and rid == resp.request_id), None)
            scenario = self._stalled.pop(key)[2] if key is not None else None
        else:
            key, scenario = self._checking.pop(resp.request_id, (None, None))
            if key is not None:
                self._patience.stop()
            self._next_read()
        item = self._row_for(key) if key is not None else None
        if item is None or item.data(Qt.ItemDataRole.UserRole) is not scenario:
            return
        problem = one_line(str(resp.error)) if resp.error is not None else one_line(resp.value)
        if not problem:
            item.setText(f"{picker_title(scenario.title, scenario.anatomy.level)}\n   {scenario.difficulty}")
            item.setToolTip(one_line(str(scenario.path)))
            item.setData(Qt.ItemDataRole.ForegroundRole, None)
        if problem:
            path = str(getattr(scenario, "path", key))
            item.setText(f"⚠ {one_line(Path(path).name)}: its CT series cannot be read")
            item.setData(Qt.ItemDataRole.UserRole, ScenarioError(path, [problem]))
            item.setToolTip(problem)
            item.setForeground(Qt.GlobalColor.red)
        if self.list.currentItem() is item:
            self._show_current(item)
        self.seriesChecked.emit(utf8_text(key), problem)

    def _key_of(self, item) -> str:
        """The key of ``item``'s row (its file's resolved path, or a built-in id), as :func:`_file_key` made it."""
        shown = item.data(Qt.ItemDataRole.UserRole + 1)
        return self._keys.get(shown, shown) if isinstance(shown, str) else shown

    def _row_for(self, key: str) -> QListWidgetItem | None:
        for i in range(self.list.count()):
            if self._key_of(self.list.item(i)) == key:
                return self.list.item(i)
        return None

    def add_scenario_file(self, path) -> None:
        """Add a TOML file to the list (or reload its row) and select it."""
        item = self._add(str(path))
        self.list.setCurrentItem(item)
        self._show_current(item)

    def add_folder(self, folder) -> int:
        """Add (or reload) every ``*.toml`` of ``folder``; return how many there are.  Rows of that folder's files
        that are no longer there (deleted, moved or renamed since they were listed) are dropped: opening the
        folder again refreshes it."""
        files = sorted(Path(folder).glob("*.toml"))
        try:
            here = Path(folder).resolve()
        except OSError:
            here = None
        for i in reversed(range(self.list.count())):
            gone = self._gone(self.list.item(i))
            if gone is not None and gone.parent == here:
                self.list.takeItem(i)
        for f in files:
            self._add(str(f))
        if self.settings is not None:
            self.settings.last_scenario_folder = str(folder)
        if files:
            self.list.setCurrentItem(self._row_for(_file_key(files[0])))
        return len(files)

    def _gone(self, item) -> Path | None:
        """The file of ``item`` when it is a file's row and that file is no longer there; else None."""
        key = self._key_of(item)
        if not isinstance(key, str) or key in builtin_ids():
            return None
        p = Path(key)
        return p if p.is_absolute() and not p.is_file() else None     # a file's row is keyed on its resolved path

    def mark_missing(self) -> int:
        """Say so in every row whose file is no longer there (red, "no longer there"; Start off on it); return
        how many.  Run when the picker becomes the active window again and on Start: round 37 (firstuse37's #10)
        saw the rows of an opened folder's deleted files stay as they were, then read "invalid" with another
        file's error."""
        n = 0
        for i in range(self.list.count()):
            item = self.list.item(i)
            gone = self._gone(item)
            if gone is None:
                continue
            n += 1
            if isinstance(item.data(Qt.ItemDataRole.UserRole), FileNotFoundError):
                continue                          # marked already
            item.setText(f"⚠ {one_line(gone.name)}: no longer there")
            item.setData(Qt.ItemDataRole.UserRole, FileNotFoundError(
                f"{gone}: the file is no longer there (deleted, moved or renamed since it was listed); open its "
                "folder again to refresh the list, or open the file where it is now"))
            item.setToolTip(one_line(f"{gone}: no longer there"))
            item.setForeground(Qt.GlobalColor.red)
            if self.list.currentItem() is item:
                self._show_current(item)
        return n

    # ------------------------------------------------------------ keys typed ahead
    def keys_armed(self) -> bool:
        """Whether the picker takes keys: its window has been exposed since it was last shown."""
        return self._key_guard.armed()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._row_chosen = False

    def row_chosen(self) -> bool:
        """Whether a row has been chosen since the picker was shown (Return starts only then)."""
        return self._row_chosen

    def _choose(self) -> None:
        self._row_chosen = True
        self.header.setText(HEADER)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._key_guard.drops(watched, event):
            return True
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and watched is self.list.viewport() and self.isVisible():
            self._choose()
            return False
        if kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            window = watched.window() if isinstance(watched, QWidget) else None
            if window is self and kind == QEvent.Type.KeyPress:
                return self._return_unchosen(watched, event)
        return False

    def _return_unchosen(self, watched, event) -> bool:
        """A press the picker takes: an arrow (or page) key on the list chooses a row; a Return or Enter for the
        default button before any row was chosen starts nothing and the first line says how to choose (True:
        dropped)."""
        key = event.key()
        if key in _NAVIGATION and watched is self.list:
            self._choose()
            return False
        if key not in (Qt.Key.Key_Return, Qt.Key.Key_Enter) or self._row_chosen:
            return False
        focus = self.focusWidget()
        if isinstance(focus, QPushButton) and focus is not self.start_button and focus.autoDefault():
            return False                            # Return on a focused button (Cancel) presses that button
        self.header.setText(CHOOSE_FIRST)
        return True

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            self.mark_missing()

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
        if isinstance(sc, FileNotFoundError):
            self.details.setHtml("<h2>This file is no longer there</h2>"
                                 f"<p style='color:#ff9090'>{html.escape(str(sc))}</p>")
            self._set_start(enabled=False)
        elif isinstance(sc, Exception):
            lines = "".join(f"<p style='margin:4px 0'>{html.escape(line)}</p>" for line in str(sc).splitlines())
            self.details.setHtml("<h2>This file is not a valid scenario</h2>"
                                 "<p style='color:#9ab'>Fix the file (or the CT series it reads), then open it again: "
                                 "its entry is reloaded.</p>"
                                 f"<div style='color:#ff9090; font-family: monospace'>{lines}</div>")
            self._set_start(enabled=False)
        elif self._key_of(item) in self._stalled:
            folder = html.escape(one_line(str(sc.ct.folder)))
            seconds = self.read_patience_ms / 1000
            self.details.setHtml(describe(sc) + (
                f"<p style='color:#ffb060'>Its CT series folder <code>{folder}</code> has not answered for "
                f"{seconds:g} s: no file of it was read (a network share that hangs, a disk that sleeps?). Choose "
                "another case, or Cancel; if the folder answers, this row is updated and Start comes on.</p>"))
            self._set_start(enabled=False)
        else:
            # a CT case starts once its series is read: until round 41 Start was on during the read, and a case
            # whose series the check then refused could be started before the row turned red
            reading = self.checking(self._key_of(item))
            note = ("<p style='color:#9ab'>Reading its CT series to check every slice, as <code>scenarios "
                    "validate</code> does; Start waits for it…</p>") if reading else ""
            self.details.setHtml(describe(sc) + note)
            self._set_start(enabled=not reading, reading=reading)

    def _set_start(self, enabled: bool, reading: bool = False) -> None:
        """Start on or off; while the current case's series is read it reads :data:`READING_START` instead."""
        self.start_button.setEnabled(enabled)
        self.start_button.setText(READING_START if reading else "Start")

    def done(self, result: int) -> None:
        """Close (Start or Cancel): a series still being read is let go, its read stopped at its next file (the
        session reads it again when it builds the patient: two reads at once held it twice)."""
        for key in {k for k, _ in self._checking.values()}:
            self._runner.invalidate(_series_channel(key))
        for key, (runner, _, _) in self._stalled.items():
            runner.invalidate(_series_channel(key))
        self._patience.stop()
        self._checking.clear()
        self._stalled.clear()
        self._waiting.clear()
        super().done(result)

    def _start(self) -> None:
        self.mark_missing()
        sc = self.current_scenario()
        if sc is None or not self.start_button.isEnabled():     # a double-click on a row whose series is read
            return
        self.scenarioChosen.emit(sc)
        self.accept()

    def _folder_hint(self) -> str:
        """The folder the open dialogs start in: the last scenario folder used, else the built-in
        scenarios (never the sessions folder)."""
        last = self.settings.last_scenario_folder if self.settings is not None else ""
        return last if last and Path(last).is_dir() else str(SCENARIOS_DIR)

    def ask_file(self) -> QFileDialog:
        """A non-modal file dialog for a scenario file (kept in :attr:`file_dialog`)."""
        dlg = QFileDialog(self, "Open scenario", self._folder_hint(), "Scenarios (*.toml)")
        dlg.setFileMode(QFileDialog.FileMode.ExistingFile)
        dlg.fileSelected.connect(self._file_chosen)
        self.file_dialog = dlg
        dlg.open()
        return dlg

    def _file_chosen(self, path: str) -> None:
        if path:
            self._choose()
            if self.settings is not None:
                self.settings.last_scenario_folder = str(Path(path).parent)
            self.add_scenario_file(path)

    def _ask_folder(self) -> None:
        dlg = QFileDialog(self, "Open scenario folder", self._folder_hint())
        dlg.setFileMode(QFileDialog.FileMode.Directory)
        dlg.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dlg.fileSelected.connect(lambda folder: folder and (self._choose(), self.add_folder(folder)))
        self.file_dialog = dlg
        dlg.open()
