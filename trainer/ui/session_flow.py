"""How the trainer window gets a session: the case picker, Import patient CT…, starting a scenario,
resuming a session file, the build's progress dialog, and what a failed build or resume does.

:class:`SessionFlow` is a part of :class:`~trainer.ui.main_window.MainWindow` (a mixin): its methods use
the window's controller, settings, status bar, monitors and panels, and set the window's scenario, view and
patient landmarks when a session is ready.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QProgressDialog

from trainer.core.shown_path import shown_path
from trainer.ui.cement_panel import mmss
from trainer.ui.resume import LocateCTFolder, ct_folder_missing
from trainer.ui.show_active import show_active
from trainer.ui.typed_ahead import KeyGuard

__all__ = ["SessionFlow"]


class SessionFlow:
    """Starting, resuming and importing cases in the trainer window (mixed into ``MainWindow``)."""

    def show_picker(self, preselect: str | None = None):
        """Open the scenario picker (non-modal) with ``preselect`` or the launch scenario selected.  It stays in
        :attr:`dialogs` while it is open; closed (Start or Cancel), it is let go: until round 41 every picker opened
        stayed there with its loaded scenarios and its reading thread pool until the window closed."""
        from trainer.ui.scenario_picker import ScenarioPicker

        picker = ScenarioPicker(self, self.settings, preselect=preselect or self.initial_scenario)
        picker.scenarioChosen.connect(self.start_scenario)
        picker.finished.connect(lambda _result: self._forget_dialog(picker))
        self.dialogs.append(picker)
        picker.open()
        return picker

    def open_ct_import(self):
        """Session > Import patient CT…: the landmark editor (non-modal); "Open in trainer" starts its scenario."""
        from trainer.ui.ct_landmarks import CTLandmarkDialog  # lazy: DICOM and SciPy are not needed at launch

        dlg = CTLandmarkDialog(self)
        dlg.openRequested.connect(lambda s: (dlg.close(), self.start_scenario(s)))
        dlg.scenarioSaved.connect(self._ct_scenario_saved)
        dlg.finished.connect(lambda _result: self._forget_dialog(dlg))
        self.dialogs.append(dlg)
        show_active(dlg)        # the keyboard's, with no window manager too (round 43)
        return dlg

    def _forget_dialog(self, dlg) -> None:
        """A closed editor or picker is let go: until round 35 each Import patient CT… stayed in :attr:`dialogs`
        after its Close with its volume (70-100 MB a chest CT of 133 slices, RSS measured), and each picker until
        round 41."""
        if dlg in self.dialogs:
            self.dialogs.remove(dlg)
        dlg.deleteLater()

    def _ct_scenario_saved(self, scenario) -> None:
        """The CT editor saved ``scenario``: Open scenario file… starts in its folder next (until round 23
        it started in the built-in scenarios/ folder, not where the instructor had just saved)."""
        if scenario.path is not None:
            self.settings.last_scenario_folder = str(Path(scenario.path).parent)

    def start_scenario(self, scenario) -> None:
        self.scenario = scenario
        self.settings.last_scenario = scenario.id if scenario.id in _builtin() else str(scenario.path)
        if scenario.path is not None and scenario.id not in _builtin():
            self.settings.remember_scenario_folder(Path(scenario.path).parent)   # where a resume finds its CT
        self._begin(f"Building the patient for {scenario.title}…")
        self.controller.start_new(scenario, self.session_dir, trainee=self.trainee, pixels=self.pixels_override)

    def resume_session(self, path) -> None:
        self._resuming = True
        self._resume_path = Path(path)
        self._begin(f"Replaying {Path(path).name}…")
        self.controller.resume(Path(path), ct_roots=self.settings.scenario_folders())

    def _begin(self, text: str) -> None:
        for m in self.monitors.values():
            m.clear()
        self.stack.setCurrentIndex(0)
        self._show_view(None)                      # nothing of the last session stays on screen
        self.session_notes.show_notes(())
        self.carm.reset_corrections()
        self._set_pending_place(None)
        self.progress = QProgressDialog(text, "Cancel", 0, 0, self)
        self.progress.setWindowTitle("Preparing")
        self.progress.setMinimumDuration(0)
        self.progress.canceled.connect(self._cancel_build)
        # a Return held on the picker's Start (or the resume offer) repeats into this dialog, whose one button is
        # Cancel: the build was cancelled (round 42's walk under X); keys it did not see pressed are dropped
        KeyGuard(self.progress)
        self.progress.show()

    def _on_progress(self, fraction: float, text: str) -> None:
        if self.progress is not None:
            self.progress.setRange(0, 100)
            self.progress.setValue(int(round(100 * fraction)))
            self.progress.setLabelText(text)

    def _cancel_build(self) -> None:
        self.controller.cancel_build()
        self.status.note("Cancelled.")
        self.end_progress()

    def end_progress(self) -> None:
        if self.progress is not None:
            self.progress.canceled.disconnect(self._cancel_build)
            self.progress.close()
            self.progress = None

    def _on_session_ready(self, view, path) -> None:
        self.end_progress()
        self.scenario = self.controller.scenario
        self.patient_landmarks = self.controller.landmarks
        self.chart.show_scenario(self.scenario)
        self.setWindowTitle(f"vptrainer — {self.scenario.title}")
        for img in view.images.values():
            self._show_image(img)
        self._show_view(view)
        self.tabs.setCurrentIndex(0 if view.stage == "checklist" else 1)
        notes = self.controller.notes
        self.session_notes.show_notes(notes)
        if getattr(self, "_resuming", False):
            self._resuming = False
            said = f" {len(notes)} note(s) on its file above the images." if notes else ""
            self.status.note(f"Resumed {path.name} where it stopped ({view.n_actions} actions, t {mmss(view.t_s)})."
                             f"{said}")
        else:
            self.status.note(f"Session file: {shown_path(path)}")

    def _on_failed(self, exc, trace: str) -> None:
        """The controller failed (a build, a resume or an action): a resume whose case folder moved asks where
        it is now (:meth:`locate_ct_folder`); anything else is shown in the error dialog."""
        self.end_progress()
        resuming, self._resuming = getattr(self, "_resuming", False), False
        if resuming and ct_folder_missing(exc):       # the case folder moved: ask where it is now
            self.locate_ct_folder(self._resume_path, exc)
            return
        self.dialogs_ui.show_failure(exc, trace)

    def locate_ct_folder(self, session_path, exc) -> LocateCTFolder:
        """Ask for the folder that now holds a resumed session's scenario and series; the folder
        chosen is remembered as a scenario folder (the user chose it) and the resume tried again.
        Cancelled, the case chooser opens (the session file stays as it is, offered again next launch)."""
        box = LocateCTFolder(session_path, exc, self)
        box.located.connect(lambda folder: (self.settings.remember_scenario_folder(folder),
                                            self.resume_session(session_path)))
        box.declined.connect(lambda: (self.status.note(f"{Path(session_path).name} was not resumed (it is kept "
                                                       "as it is): choose a case."), self.show_picker()))
        self.status.note(f"Resume: the patient CT of {Path(session_path).name} was not found.", error=True)
        self.dialogs.append(box)
        box.open()
        return box


def _builtin() -> list[str]:
    from trainer.core.scenario.loader import builtin_ids

    return builtin_ids()
