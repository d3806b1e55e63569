"""The trainer window: monitors on the left (most of the window), controls on the right.

The window forwards every control to the :class:`Controller` as an action and redraws
from the :class:`ProcedureView` that comes back; it holds no procedure logic.  Its widgets are made
and laid out in :mod:`trainer.ui.window_layout`; starting, resuming and importing a case is
:class:`~trainer.ui.session_flow.SessionFlow`; the F key's pedal is :mod:`trainer.ui.fluoro_pedal`.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QLineEdit,
    QMainWindow,
    QProgressDialog,
    QWidget,
)

from trainer.core.shown_path import shown_path
from trainer.ui.actions import aim_direction, place_from_pick
from trainer.ui.cement_panel import mmss
from trainer.ui.cement_words import stalled_note
from trainer.ui.checklist_gate import ALWAYS_ALLOWED, before_the_decision, unanswered_items
from trainer.ui.fluoro_pedal import FluoroPedal
from trainer.ui.help import stage_hint
from trainer.ui.key_repeat import KeyRepeatJudge
from trainer.ui.menus import build_menus
from trainer.ui.records_menu import RecordsMenu, store_path
from trainer.ui.session_controller import Controller
from trainer.ui.session_flow import SessionFlow
from trainer.ui.settings import Settings
from trainer.ui.status_bar import StatusBar
from trainer.ui.window_dialogs import WindowDialogs
from trainer.ui.window_layout import FINISH_TEXT, build_layout

__all__ = ["MainWindow"]


class MainWindow(SessionFlow, QMainWindow):
    def __init__(self, settings: Settings, session_dir: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.session_dir = Path(session_dir)
        self.scenario = None
        self.view = None
        self.patient_landmarks = None
        self.pending_place: dict | None = None
        self.initial_scenario: str | None = None   # the scenario given on the command line
        self.pixels_override: int | None = None    # smaller detector images (tests), recorded in the session
        #: whose sessions these are (``vptrainer gui --trainee``); None: the login name ($USER), else "trainee"
        self.trainee: str | None = None
        self.dialogs: list = []               # non-modal dialogs kept alive (tests inspect them)
        self.setWindowTitle("vptrainer — vertebroplasty fluoroscopy trainer")
        # the components the window owns; each gets what it uses in its constructor and talks
        # back through its signals (none of them reads or sets the window's attributes)
        self.status = StatusBar()
        self.controller = Controller(self)
        self.controller.sessionReady.connect(self._on_session_ready)
        self.controller.actionApplied.connect(self._on_applied)
        self.controller.refused.connect(lambda r: self.status.note(f"Refused: {r}", error=True))
        self.controller.debriefReady.connect(self._on_debrief)
        self.controller.failed.connect(self._on_failed)
        self.controller.busyChanged.connect(self.status.set_busy)
        self.controller.progress.connect(self._on_progress)
        self.dialogs_ui = WindowDialogs(self, self.status, self.controller, self.settings, self.dialogs)
        self.dialogs_ui.finishConfirmed.connect(lambda: self.submit({"type": "finish"}))
        self.dialogs_ui.stepsChosen.connect(self.set_steps)

        parts = build_layout()
        self.monitors, self.chart, self.carm = parts.monitors, parts.chart, parts.carm
        self.trocar, self.cement, self.finish_button = parts.trocar, parts.cement, parts.finish_button
        #: shown while the controls wait for the checklist decision (:mod:`trainer.ui.checklist_gate`)
        self.gate_label = parts.gate_label
        self.tabs, self.split, self.hint, self.debrief = parts.tabs, parts.split, parts.hint, parts.debrief
        #: a resumed session's assessment notes (what ``vptrainer assess`` says of its file), above the monitors
        self.session_notes = parts.session_notes
        self.stack = parts.stack
        self.monitors["ap"].pixelClicked.connect(self._on_ap_pick)
        for panel in (self.chart, self.carm, self.cement):
            panel.actionRequested.connect(self.submit)
        self.carm.set_busy_probe(lambda: self.controller.pending_actions() > 0)
        self.carm.fluoroChanged.connect(self._on_fluoro)
        self.carm.inputRefused.connect(lambda msg: self.status.note(msg, error=True))
        self.trocar.placeRequested.connect(self.place_trocar)
        self.trocar.aimOnImage.connect(self.aim_on_image)
        self.trocar.advanceRequested.connect(lambda mm: self.submit({"type": "advance", "mm": round(mm, 3)}))
        self.trocar.sideChanged.connect(lambda _s: self._on_side_changed())
        self.trocar.selectRequested.connect(lambda side: self.submit({"type": "select", "side": side}))
        self.finish_button.clicked.connect(self._finish_or_debrief)
        self.tabs.currentChanged.connect(self._fit_panel)
        self.debrief.newSessionRequested.connect(lambda: self.show_picker())
        self.debrief.pdfRequested.connect(lambda: self.dialogs_ui.ask_pdf())
        self.debrief.imagesRequested.connect(self.show_monitors)
        self.debrief.reviewRequested.connect(self.show_review)
        self.review = None                         # the review page, made when first asked for
        self.setCentralWidget(self.stack)
        self.setStatusBar(self.status)
        self.progress: QProgressDialog | None = None
        self.idle_wait_s = 5.0                     # real-time clock: idle seconds batched into one wait
        self._last_input = time.monotonic()
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._real_time_tick)
        self._clock.start()
        self.pedal = FluoroPedal(self.carm, lambda: self._may("shot"), self)
        self._key_repeats = KeyRepeatJudge()
        self._build_menus()
        self._apply_settings()
        QApplication.instance().installEventFilter(self)
        self._show_view(None)

    # ------------------------------------------------------------------ set-up
    def _build_menus(self) -> None:
        self.menus = build_menus(self, self._menu_handlers(), self.settings.display(), self._display_changed)
        self.qactions = self.menus.qactions
        self.flip_h_action, self.flip_v_action = self.menus.flip_h, self.menus.flip_v
        self.invert_action = self.menus.invert
        self.open_scenario_action = self.menus.open_scenario
        self.records = RecordsMenu(self.menus.records, self, self.settings, self.status.note, self.dialogs.append)

    def _menu_handlers(self) -> dict:
        """What each menu command and shortcut does (command id -> callable without arguments)."""
        steps = self.settings.steps
        return {
            "shot": lambda: self.submit({"type": "shot"}),
            "switch_view": self.switch_view,
            "preset_ap": lambda: self.carm.preset("ap"),
            "preset_lateral": lambda: self.carm.preset("lateral"),
            "orbital_minus": lambda: self.carm.nudge(d_orbital_deg=-steps().orbital_step_deg),
            "orbital_plus": lambda: self.carm.nudge(d_orbital_deg=steps().orbital_step_deg),
            "tilt_plus": lambda: self.carm.nudge(d_tilt_deg=steps().tilt_step_deg),
            "tilt_minus": lambda: self.carm.nudge(d_tilt_deg=-steps().tilt_step_deg),
            "place": self.place_trocar,
            "switch_trocar": self.switch_trocar,
            "aim_left": lambda: self.aim_on_image(-1, 0), "aim_right": lambda: self.aim_on_image(1, 0),
            "aim_up": lambda: self.aim_on_image(0, 1), "aim_down": lambda: self.aim_on_image(0, -1),
            "advance_coarse": lambda: self.trocar.advanceRequested.emit(self.trocar.coarse_mm),
            "advance_fine": lambda: self.trocar.advanceRequested.emit(self.trocar.fine_mm),
            "withdraw_coarse": lambda: self.trocar.advanceRequested.emit(-self.trocar.coarse_mm),
            "withdraw_fine": lambda: self.trocar.advanceRequested.emit(-self.trocar.fine_mm),
            "mix": lambda: self.submit({"type": "mix"}),
            "inject": self.cement.request_inject,
            "wait": lambda: self.cement.request_wait(30),
            "finish": self.request_finish,
            "shortcuts": self.show_shortcuts,
            "user_guide": self.show_user_guide,
            "show_debrief": self.show_debrief,
            "new_session": lambda: self.show_picker(),
            "open_scenario": lambda: self.show_picker().ask_file(),
            "import_ct": self.open_ct_import,
            "show_monitors": self.show_monitors,
            "quit": self.close,
            "steps": self.show_steps,
        }

    def _apply_settings(self) -> None:
        self._apply_steps(self.settings.steps())
        self.cement.step.valueChanged.connect(self._inject_step_changed)
        self._display_changed()

    def _apply_steps(self, steps) -> None:
        self.trocar.set_steps(steps.advance_coarse_mm, steps.advance_fine_mm, steps.aim_step_deg)
        self.carm.set_steps(steps.orbital_step_deg, steps.tilt_step_deg, steps.fluoro_pulses_per_s)
        self.cement.step.setValue(steps.inject_ml)

    def set_steps(self, steps) -> None:
        """Use and remember new step sizes (View > Step sizes…)."""
        self.settings.set_steps(steps)
        self._apply_steps(steps)

    def _fit_panel(self, tab: int | None = None) -> None:
        """The chart tab gets half the window (chart and checklist side by side); the
        procedure tab a narrow column, so the monitors get the rest."""
        tab = self.tabs.currentIndex() if tab is None else tab
        total = max(self.width() - 8, 1000)
        right = int(total * 0.58) if tab == 0 else 440
        self.split.setSizes([total - right, right])

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit_panel()

    def _inject_step_changed(self, value: float) -> None:
        from dataclasses import replace

        self.settings.set_steps(replace(self.settings.steps(), inject_ml=float(value)))

    def _display_changed(self) -> None:
        prefs = self.menus.display_prefs()
        self.settings.set_display(prefs)
        for m in self.monitors.values():
            m.set_flips(prefs.flip_h, prefs.flip_v)
            m.set_invert(prefs.invert)
        side = self.view.trocar.side if self.view is not None and self.view.trocar is not None else self.trocar.side
        self.trocar.set_orientation(side, prefs.flip_h, prefs.flip_v)

    # ------------------------------------------------------------------ actions
    def _no_procedure(self) -> bool:
        """Whether no procedure takes actions now (none started, or finished); if so the status line says why.

        Every procedure key asks this first: until round 36 P and T, checked before it, answered a finished
        session with "Place: click the AP image over the pedicle first." and "Switch trocar: ... pick its entry
        on the AP image to place one", advice no finished procedure can follow."""
        if self.view is None:
            self.status.note("No procedure in progress: start or resume a session.", error=True)
            return True
        if self.view.finished:
            self.status.note("The procedure is finished: nothing more can be done in it (Ctrl+D: the debrief; "
                             "Session > New session… for another).", error=True)
            return True
        return False

    def submit(self, action: dict):
        if self._no_procedure():
            return None
        self._last_input = time.monotonic()
        if not self._may(action.get("type") if isinstance(action, dict) else None):
            return None
        return self.controller.submit(action)

    def _may(self, kind) -> bool:
        """Whether an action of ``kind`` may go now; if not, say what to do first and show the checklist.

        The procedure's order (DESIGN.md 4): the checklist decision before the C-arm
        (:func:`~trainer.ui.checklist_gate.before_the_decision`).  Nothing is sent, nothing recorded.
        """
        todo = None if kind in ALWAYS_ALLOWED else before_the_decision(self.view, short=True)
        if todo is None:
            return True
        what = {"carm": "C-arm move", "shot": "Shot"}.get(kind, str(kind).capitalize())
        self.status.note(f"{what}: not yet. {todo}", error=True)
        self._show_view(self.view)            # a nudged spin box shows the pose the C-arm still has
        if self.stack.currentIndex() == 0:
            self.tabs.setCurrentIndex(0)
        return False

    def _real_time_tick(self) -> None:
        """With the real-time clock on, idle wall time becomes ``wait`` actions (recorded, replayable)."""
        if not self.cement.realtime.isChecked() or self.view is None or self.view.finished:
            self._last_input = time.monotonic()
            return
        idle = time.monotonic() - self._last_input
        if idle >= self.idle_wait_s and self.controller.pending_actions() == 0 and not self.carm.fluoro_on:
            self.submit({"type": "wait", "s": round(idle, 1)})

    def switch_view(self) -> None:
        target = "lateral" if self.view is not None and self.view.view == "ap" else "ap"
        self.carm.preset(target)

    def aim(self, d_medial_deg: float, d_cranial_deg: float) -> None:
        if self._no_procedure():
            return
        if self.view.trocar is None:
            self.status.note("Aim: place the trocar first.", error=True)
            return
        tr = self.view.trocar
        self.submit({"type": "aim", "direction": aim_direction(tr.direction, tr.side, d_medial_deg, d_cranial_deg)})

    def aim_on_image(self, right: int, up: int) -> None:
        """Aim so the trocar turns right/up on the AP monitor as displayed (flips honoured)."""
        if self._no_procedure():
            return
        if self.view.trocar is None:
            self.status.note("Aim: place the trocar first.", error=True)
            return
        prefs = self.settings.display()
        step = self.trocar.aim_deg
        # AP image columns run towards the patient's right (-x): image right is medial for the
        # left pedicle and lateral for the right one
        medial = right * (1 if self.view.trocar.side == "left" else -1) * (-1 if prefs.flip_h else 1)
        cranial = up * (-1 if prefs.flip_v else 1)
        self.aim(medial * step, cranial * step)

    def _side_free(self, view=None) -> bool:
        """Whether the trocar panel's side has no trocar in the patient (its entry can be picked)."""
        view = self.view if view is None else view
        return view is not None and self.trocar.side not in view.trocars

    def _on_side_changed(self) -> None:
        self._set_pending_place(None)
        if self.view is not None:
            self.monitors["ap"].set_pick_enabled(self._side_free() and "ap" in self.view.images
                                                 and not self.view.finished)

    def switch_trocar(self) -> None:
        """Make the other trocar active (bipedicular approach; key T)."""
        if self._no_procedure():
            return
        if not self.view.trocars:
            self.status.note("Switch trocar: no trocar is in the patient.", error=True)
            return
        other = "right" if self.view.active_side == "left" else "left"
        if other not in self.view.trocars:
            self.status.note(f"Switch trocar: no trocar is in the {other} pedicle (choose {other.capitalize()} "
                             "and pick its entry on the AP image to place one).", error=True)
            return
        self.submit({"type": "select", "side": other})

    def _set_pending_place(self, action: dict | None) -> None:
        self.pending_place = action
        self.trocar.place_button.setEnabled(action is not None and self._side_free())
        self.trocar.show_entry(None if action is None else action["entry_mm"])
        if action is None:
            self.monitors["ap"].set_marker(None)

    def _on_ap_pick(self, col: float, row: float) -> None:
        img = self.view.images.get("ap") if self.view is not None else None
        if img is None or not self._side_free():
            return
        geom = self.scenario.carm.geometry.with_pixels(int(img.pixels.shape[1]))
        action = place_from_pick(geom, img.pose, self.scenario.carm.patient_roll_deg, col, row,
                                 self.patient_landmarks, self.trocar.side, self.trocar.gauge_value,
                                 self.trocar.length_mm)
        self._set_pending_place(action)
        self.monitors["ap"].set_marker((col, row))

    def place_trocar(self) -> None:
        if self._no_procedure():
            return
        if self.pending_place is None:
            self.status.note("Place: click the AP image over the pedicle first.", error=True)
            return
        self.submit(self.pending_place)

    def _on_fluoro(self, on: bool) -> None:
        active = self.view.view if self.view is not None else "ap"
        for v, m in self.monitors.items():
            m.set_fluoro(on and v == active)

    # ------------------------------------------------------------------ results
    HINTS = {"place": "Trocar on the skin: advance (A, fine Shift+A) and check the tip on AP and lateral.",
             "select": "Active trocar switched: aim, advance and inject act on it (T switches back).",
             "mix": ("Cement mixed: wait (W) until it is a paste (working phase), then inject (I) with an AP and a "
                     "lateral shot every 1 mL or so."),
             "finish": "Procedure finished."}

    def _on_applied(self, result, view) -> None:
        if result.image is not None:
            self._show_image(result.image)
        kind = result.action.get("type") if isinstance(result.action, dict) else None
        if result.accepted and kind in self.HINTS:
            self.status.note(self.HINTS[kind])
        stalled, short = stalled_note(result.events) if result.accepted and kind == "inject" else ("", "")
        if stalled:
            self.status.note(stalled, error=True, short=short)
        if result.accepted and isinstance(result.action, dict) and result.action.get("type") == "place":
            self._set_pending_place(None)
        if result.accepted and isinstance(result.action, dict) and result.action.get("type") == "decide":
            self._after_decision(result.action.get("item"), view)
        self._show_view(view)

    def _after_decision(self, item, view) -> None:
        """After a checklist answer: once the trainee has decided to proceed, name the items still
        open (red: each unanswered safety gate fails the attempt) until none is, then go to the
        Procedure tab."""
        answer = view.decisions.get("candidacy")
        if answer is None:
            return
        if answer != "proceed":
            if item == "candidacy":
                self.status.note(f"Decision: {answer}. Finish the session (Ctrl+Enter) to see the debrief.")
            return
        left = unanswered_items(view.decisions)
        if left:          # allowed (the C-arm is free once decided), never silent
            self.status.note(f"Proceeding with {len(left)} checklist item{'s' if len(left) != 1 else ''} "
                             f"unanswered ({', '.join(left)}): each unanswered safety gate fails the "
                             "attempt; answer them on the Patient & checklist tab before access.", error=True)
            return
        self.tabs.setCurrentIndex(1)
        self.status.note("Proceeding: square the C-arm on AP and lateral, then pick the entry on the AP image.")

    def _show_image(self, img) -> None:
        mon = self.monitors[img.view]
        mon.show()
        p = img.pose
        mon.show_image(img.pixels, f"orb {p.orbital_deg:+.1f}°  tilt {p.tilt_deg:+.1f}°",
                       f"#{img.index}  t {mmss(img.t_s)}")

    def _show_view(self, view) -> None:
        self.view = view
        self.status.show_view(view)
        self.hint.setText(stage_hint(view))
        if view is None:
            self.trocar.show_trocar(None)
        else:
            self.trocar.show_trocars(view.trocars, view.active_side, view.side_cement_ml)
        self.cement.show_cement(None if view is None else view.cement)
        has = view is not None and not view.finished
        todo = before_the_decision(view)
        for w in (self.carm, self.trocar, self.cement):
            w.setEnabled(has and todo is None)
            w.setToolTip("" if todo is None else todo)
        self.gate_label.setText(todo or "")
        self.gate_label.setVisible(todo is not None)
        done = view is not None and view.finished
        self.finish_button.setEnabled(has or done)
        self.finish_button.setText("Show the debrief  (Ctrl+D)" if done else FINISH_TEXT)
        if view is None:
            self.chart.show_decisions({})
            self.chart.set_locked(True)
            return
        self.chart.show_decisions(view.decisions)
        self.chart.set_locked(view.stage not in ("checklist", "alignment"))
        self.carm.show_pose(view.pose, view.view, view.biplane)
        for v, m in self.monitors.items():
            m.set_active(v == view.view and not view.finished)
        self.monitors["oblique"].setVisible("oblique" in view.images or view.view == "oblique")
        self.monitors["ap"].set_pick_enabled(self._side_free(view) and "ap" in view.images)
        self.trocar.place_button.setEnabled(self.pending_place is not None and self._side_free(view))

    def _finish_or_debrief(self) -> None:
        if self.view is not None and self.view.finished:
            self.show_debrief()
        else:
            self.request_finish()

    def show_monitors(self) -> None:
        """After finishing: the monitors with the final images (controls read-only)."""
        self.stack.setCurrentIndex(0)
        self.tabs.setCurrentIndex(1 if self.view is not None and self.view.trocar is not None else 0)
        self.status.note("The final images of this attempt. 'Show the debrief' (Ctrl+D) returns to the score.")

    def show_debrief(self) -> None:
        if self.controller.report is not None:
            self.stack.setCurrentIndex(1)

    def show_review(self):
        """Review mode of the finished session: replayed moments, 3-D view, timeline."""
        if self.controller.report is None or self.controller.path is None:
            return None
        if self.review is None:
            from trainer.ui.review import (
                ReviewWidget,  # lazy: OpenGL is not needed at launch
            )

            self.review = ReviewWidget()
            self.review.debriefRequested.connect(self.show_debrief)
            self.stack.addWidget(self.review)
        self.review.load(self.controller.path, ct_roots=self.settings.scenario_folders())
        self.stack.setCurrentWidget(self.review)
        return self.review

    def _on_debrief(self, report, cuts) -> None:
        self.debrief.cuts = cuts
        self.debrief.show_report(report, cuts)
        self.stack.setCurrentIndex(1)
        self.records_note = self.records.record(self.controller.path, report)
        # with both paths the line did not fit a 1600 px window beside the permanent fields (the records
        # note was cut after "Attempt 1 record", docs/screenshots/06 until round 24): where it does not,
        # the files are named without their folders (the whole line in the tooltip)
        path, store = self.controller.path, store_path(self.settings)
        text = (f"Procedure finished: score {self.debrief.shown_score}. Session saved to {shown_path(path)}. "
                f"{self.records_note}")
        short = (f"Procedure finished: score {self.debrief.shown_score}. Session saved: {Path(path).name}. "
                 f"{self.records_note.replace(shown_path(store), Path(store).name)}")
        self.status.note(text, short=short)

    # ------------------------------------------------------------------ dialogs (WindowDialogs)
    def request_finish(self) -> None:
        self.dialogs_ui.request_finish(self.view)

    def save_pdf(self, out: Path, force: bool = False) -> None:
        self.dialogs_ui.save_pdf(out, force=force)

    def show_error(self, title: str, text: str, details: str = ""):
        return self.dialogs_ui.show_error(title, text, details)

    def show_shortcuts(self) -> None:
        self.dialogs_ui.show_shortcuts()

    def show_user_guide(self):
        return self.dialogs_ui.show_user_guide()

    def show_steps(self):
        return self.dialogs_ui.show_steps()

    # ------------------------------------------------------------------ keys and closing
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        """Hold-to-fluoro on the F key (press starts, release stops; auto-repeat never adds a shot);
        Esc in a number box gives the keys back to the procedure; any other held key's auto-repeat
        presses are dropped outside the number boxes, marked or not (:mod:`trainer.ui.key_repeat`)."""
        et = event.type()
        keys = (QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride)
        if et in keys and self.isActiveWindow():
            typing = isinstance(QApplication.focusWidget(), (QAbstractSpinBox, QLineEdit))
            if et == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape and typing:
                self.stack.setFocus()
                return True
            repeat = self._key_repeats.is_repeat(event)
            if event.key() == Qt.Key.Key_F and not event.modifiers():
                if et != QEvent.Type.ShortcutOverride and not typing and self.stack.currentIndex() == 0:
                    self.pedal.key(et == QEvent.Type.KeyPress, event.isAutoRepeat())
                    return True
            elif repeat and not typing:        # a held key is one action (also unmarked X repeats)
                event.accept()                 # an accepted shortcut override triggers no shortcut
                return True
        return super().eventFilter(obj, event)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        # an open CT editor first: with unsaved corrections it asks, and the window stays (until round 35 Quit
        # dropped them without a word)
        for dlg in [d for d in self.dialogs if isinstance(d, QWidget) and d.objectName() == "ctLandmarkDialog"
                    and d.isVisible()]:
            if not dlg.close():
                event.ignore()
                return
        self.pedal.release()
        QApplication.instance().removeEventFilter(self)
        self.controller.close()
        super().closeEvent(event)

