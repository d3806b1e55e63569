"""Never lose a session: find an unfinished session file and offer to resume it.

On launch the window looks for the newest session file in the session folder that has
no accepted ``finish`` (the app was killed or closed mid-procedure).  The offer is a
non-modal message box; accepting replays the file through the core
(``LiveSession.resume(path)``) and the procedure continues where it stopped.  Declining
leaves the file untouched (it can still be assessed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from trainer.core.errors import ScenarioError, VPTrainerError
from trainer.core.one_line import one_line
from trainer.core.session.notes import note_lines, notes_for
from trainer.core.session.reader import read_session
from trainer.ui.typed_ahead import KeyGuard

__all__ = ["Unfinished", "find_unfinished", "ResumeOffer", "ct_folder_missing", "LocateCTFolder"]


@dataclass(frozen=True)
class Unfinished:
    """An unfinished session: its file, scenario title, number of actions, last simulated time (s), and what
    ``vptrainer assess`` says about its file (``(label, text)``: :func:`trainer.core.session.notes.notes_for`)."""

    path: Path
    scenario: str
    n_actions: int
    t_s: float
    notes: tuple = ()


def _modified(path: Path) -> float:
    """When ``path`` was last written (s since the epoch); -inf when it cannot be told: a link to nothing, or a file
    deleted since the folder was listed (round 40, hostile40: the stat's error ended the start-up before the
    picker opened; such a file is then skipped as unreadable)."""
    try:
        return path.stat().st_mtime
    except OSError:
        return float("-inf")


def find_unfinished(session_dir, ct_roots=()) -> Unfinished | None:
    """The newest unfinished, readable session in ``session_dir`` (None if there is none).

    Files that cannot be read or whose hash chain is broken are skipped: they cannot be
    resumed safely (``vptrainer assess`` reports what is wrong with them).  ``ct_roots``:
    folders the user trusts in which a patient-CT scenario's ``[ct] folder`` is looked up
    (the GUI's scenario folders, as the resume itself does), so that the offer names such a
    session by its scenario's title.
    """
    folder = Path(session_dir)
    if not folder.is_dir():
        return None
    files = sorted(folder.glob("*.jsonl"), key=_modified, reverse=True)
    for path in files:
        try:
            rec = read_session(path)
        except VPTrainerError:
            continue
        if rec.complete:
            continue
        # where the session stopped: the last action's end (its start plus its duration); until round 36 the offer
        # showed its start, "simulated time 1:30" for a session left at 1:31 after a shot, minutes early after a wait
        last = rec.entries[-1] if rec.entries else {}
        t_s = float(last.get("t_s", 0.0)) + float(last.get("duration_s", 0.0) or 0.0)
        roots = tuple(str(r) for r in ct_roots)
        try:
            scenario = rec.scenario(allowed_roots=roots)
        except VPTrainerError:                    # the resume says what is wrong (or asks for the CT's folder)
            return Unfinished(path, str(rec.header.get("scenario_id") or path.stem), len(rec.entries), t_s)
        # said before the choice: a case edited since, CR LF line ends (until round 39 resumed silently)
        return Unfinished(path, str(scenario.title), len(rec.entries), t_s,
                          tuple(notes_for(rec, scenario, allowed_roots=roots)))
    return None


class ResumeOffer(QMessageBox):
    """Non-modal question; emits ``resume(path)`` or ``declined()``."""

    resume = Signal(object)
    declined = Signal()

    def __init__(self, unfinished: Unfinished, parent: QWidget | None = None):
        super().__init__(parent)
        self.unfinished = unfinished
        self.setObjectName("resumeOffer")
        self.setWindowTitle("Resume the unfinished session?")
        self.setIcon(QMessageBox.Icon.Question)
        m, s = divmod(int(unfinished.t_s), 60)
        # one line each, as assess prints them: a name's newline or non-UTF-8 byte as its escape (Qt drops a lone
        # surrogate: the offer named "carl.jsonl" for carl\xff.jsonl until round 41, hostile41)
        said = "".join(f"\n• {one_line(line)}" for line in note_lines(unfinished.notes))
        self.setText(f"An unfinished session was found:\n\n{one_line(unfinished.path.name)}\n{unfinished.scenario}: "
                     f"{unfinished.n_actions} actions, simulated time {m}:{s:02d}."
                     + (f"\n\nNotes on its file (as vptrainer assess says them):{said}" if said else "")
                     + "\n\nResume it where it stopped?")
        self.resume_button = self.addButton("Resume", QMessageBox.ButtonRole.AcceptRole)
        self.new_button = self.addButton("Start a new session", QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.resume_button)
        KeyGuard(self)        # keys typed ahead of the offer, or held from before, do not answer it (round 42)
        self.buttonClicked.connect(self._clicked)

    def _clicked(self, button) -> None:
        if button is self.resume_button:
            self.resume.emit(self.unfinished.path)
        else:
            self.declined.emit()


def ct_folder_missing(exc) -> bool:
    """True when ``exc`` (a failed resume: a ScenarioError, or the core process's CoreError of kind
    ``'ScenarioError'``, message unchanged) says the session's patient-CT folder was not found."""
    kind = getattr(exc, "kind", type(exc).__name__)
    return isinstance(exc, VPTrainerError) and kind == ScenarioError.__name__ and "ct.folder = " in str(exc)


class LocateCTFolder(QMessageBox):
    """A resumed patient-CT session whose CT was not found (its case folder moved since the session
    was played): asks for the folder that now holds the scenario file and its series; emits
    ``located(folder)`` (the caller trusts it and resumes again), or ``declined()`` when the question or
    the folder dialog is cancelled (the caller offers the case chooser: the window holds no session).

    Non-modal, as every dialog of the trainer; the folder dialog is kept in :attr:`file_dialog`."""

    located = Signal(str)
    declined = Signal()

    def __init__(self, session_path, exc: VPTrainerError, parent: QWidget | None = None):
        super().__init__(parent)
        self.session_path = Path(session_path)
        self.file_dialog: QFileDialog | None = None
        self.setObjectName("locateCTFolder")
        self.setWindowTitle("Patient CT not found")
        self.setIcon(QMessageBox.Icon.Warning)
        self.setText(f"The patient CT of {self.session_path.name} was not found: the folder holding its "
                     "scenario file and series has moved since the session was played.\n\n"
                     "Choose the folder that now holds the series, or one up to three levels above it, to "
                     "resume the session there (the series is recognised by the fingerprint the session "
                     "recorded, whatever its folder is called now).")
        self.setDetailedText(str(exc))
        self.choose_button = self.addButton("Choose folder…", QMessageBox.ButtonRole.AcceptRole)
        self.cancel_button = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.choose_button)
        self.setEscapeButton(self.cancel_button)
        self.choose_button.clicked.connect(self.ask_folder)
        self.cancel_button.clicked.connect(self.declined)

    def ask_folder(self) -> QFileDialog:
        """The (non-modal) folder dialog; its choice is emitted as ``located``."""
        dlg = QFileDialog(self.parentWidget(), "Folder of the scenario file and its series", str(Path.home()))
        dlg.setFileMode(QFileDialog.FileMode.Directory)
        dlg.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dlg.fileSelected.connect(lambda folder: folder and self.located.emit(str(folder)))
        dlg.rejected.connect(self.declined)
        self.file_dialog = dlg
        dlg.open()
        return dlg
