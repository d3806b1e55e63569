"""Drive the trainer window the way a user does: clicks and key presses only.

Used by the GUI tests, the screenshot script and the responsiveness benchmark.  The
driver reads the procedure only through what the window shows (its ProcedureView) and
the scenario's published landmarks and checklist answers, so it plans like an expert
who can see the chart and the images; every step is a real button click, key press or
click on the AP image.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from trainer.ui.actions import project_point

__all__ = ["GuiDriver"]


class GuiDriver:
    """Clicks and keys on a :class:`~trainer.ui.main_window.MainWindow`.

    Parameters
    ----------
    window : MainWindow
    timeout_s : float
        Longest wait for one step before giving up (raises TimeoutError).
    """

    def __init__(self, window, timeout_s: float = 60.0):
        self.w = window
        self.timeout_s = timeout_s

    # ------------------------------------------------------------ waiting
    def pump(self, seconds: float = 0.0) -> None:
        end = time.perf_counter() + seconds
        while True:
            QApplication.processEvents()
            if time.perf_counter() >= end:
                return
            time.sleep(0.002)

    def wait_until(self, cond, what: str = "condition") -> None:
        end = time.perf_counter() + self.timeout_s
        while not cond():
            QApplication.processEvents()
            errors = [d for d in self.w.dialogs if d.objectName() == "errorBox" and d.isVisible()]
            if errors:
                raise RuntimeError(f"GUI driver: error while waiting for {what}: {errors[-1].text()}\n"
                                   f"{errors[-1].detailedText()}")
            if time.perf_counter() > end:
                raise TimeoutError(f"GUI driver: timed out waiting for {what}")
            time.sleep(0.002)

    def idle(self) -> None:
        """Wait until every submitted action has come back and been drawn."""
        c = self.w.controller
        self.wait_until(lambda: not c.busy and c.pending_actions() == 0, "the actions to finish")
        QApplication.processEvents()

    # ------------------------------------------------------------ input
    def click(self, button) -> None:
        assert button.isEnabled(), f"button {button.text()!r} is disabled"
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        QApplication.processEvents()

    def key(self, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
        if not self.w.isActiveWindow():      # shortcuts only reach the active window
            self.w.activateWindow()
            QTest.qWaitForWindowActive(self.w, 1000)
        QTest.keyClick(self.w, key, modifier)
        QApplication.processEvents()

    def click_image(self, view: str, col: float, row: float) -> None:
        """Left-click monitor ``view`` over detector pixel ``(col, row)``."""
        mon = self.w.monitors[view]
        x, y = mon._to_display_xy(col, row)
        scene = mon.viewbox.mapViewToScene(QPointF(x, y))
        pos = mon.graphics.mapFromScene(scene)
        QTest.mouseClick(mon.graphics.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(int(round(pos.x())), int(round(pos.y()))))
        QApplication.processEvents()

    # ------------------------------------------------------------ steps of an expert procedure
    def start(self, picker) -> None:
        """Press Start on the scenario picker and wait for the session."""
        self.click(picker.start_button)
        self.wait_until(lambda: self.w.view is not None, "the patient to be built")

    def answer_checklist(self, answers: dict, candidacy: bool = True) -> None:
        """Click the answer of every item (candidacy last, or not at all)."""
        items = [k for k in answers if k != "candidacy"] + (["candidacy"] if candidacy else [])
        for item in items:
            self.click(self.w.chart.buttons[(item, answers[item])])
            self.idle()

    def align(self) -> None:
        """AP preset and a shot, lateral preset and a shot (keys 1, S, 2, S)."""
        for k in (Qt.Key.Key_1, Qt.Key.Key_S, Qt.Key.Key_2, Qt.Key.Key_S):
            self.key(k)
            self.idle()

    def pick_entry(self, side: str = "left") -> tuple[float, float]:
        """Click the AP image where the pedicle's posterior entry point projects."""
        v = self.w.view
        img = v.images["ap"]
        sc = self.w.scenario
        geom = sc.carm.geometry.with_pixels(int(img.pixels.shape[1]))
        ped = self.w.patient_landmarks.pedicle(side)
        col, row = project_point(geom, img.pose, sc.carm.patient_roll_deg, ped.entry_mm)
        radio = self.w.trocar.left_radio if side == "left" else self.w.trocar.right_radio
        if not radio.isChecked():
            self.click(radio)
            self.idle()
        self.click_image("ap", col, row)
        return col, row

    def place(self) -> None:
        self.key(Qt.Key.Key_P)
        self.idle()

    def advance_to(self, depth_fraction: float, shots_every: int = 3) -> None:
        """Advance (A, then Shift+A near the goal) until the tip reaches ``depth_fraction`` of the body."""
        lm = self.w.patient_landmarks
        goal_y = lm.posterior_wall_y_mm - depth_fraction * lm.body_depth_mm
        for n in range(1, 201):
            tr = self.w.view.trocar
            gap = tr.tip_mm[1] - goal_y
            if gap <= 0.5:
                return
            fine = gap < 6.0
            self.key(Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier if fine else Qt.KeyboardModifier.NoModifier)
            self.idle()
            if n % shots_every == 0:
                self.key(Qt.Key.Key_S)
                self.idle()
        raise RuntimeError("GUI driver: the tip did not reach the goal depth")

    def mix_and_wait(self, until_phase: str = "working") -> None:
        self.click(self.w.cement.mix_button)
        self.idle()
        for _ in range(40):
            if self.w.view.cement.phase == until_phase:
                return
            self.key(Qt.Key.Key_W)
            self.idle()
        raise RuntimeError(f"GUI driver: the cement never reached the {until_phase} phase")

    def inject(self, total_ml: float, shot_every: int = 4) -> None:
        """Inject in steps (key I) with a shot every few steps, switching views for AP checks."""
        n = 0
        while self.w.view.cement.injected_ml < total_ml - 1e-6:
            self.key(Qt.Key.Key_I)
            self.idle()
            n += 1
            if n % shot_every == 0:
                self.key(Qt.Key.Key_V)
                self.idle()
                self.key(Qt.Key.Key_S)
                self.idle()

    def finish(self) -> None:
        """Ctrl+Return, then Yes in the (non-modal) confirmation."""
        self.key(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        box = self.w.dialogs[-1]
        self.click(box.button(box.StandardButton.Yes))
        self.wait_until(lambda: self.w.stack.currentIndex() == 1, "the debrief")

    def expert_run(self, picker, answers: dict, inject_ml: float = 3.0, stages=None) -> None:
        """The whole procedure; ``stages(name)`` is called after each stage (screenshots)."""
        stages = stages or (lambda name: None)
        self.start(picker)
        self.answer_checklist(answers, candidacy=False)
        stages("checklist")
        self.answer_checklist({"candidacy": answers["candidacy"]})
        self.align()
        stages("aligned")
        self.pick_entry("left")
        self.place()
        self.key(Qt.Key.Key_1)
        self.idle()
        self.advance_to(0.7)
        for k in (Qt.Key.Key_S, Qt.Key.Key_V, Qt.Key.Key_S):
            self.key(k)
            self.idle()
        stages("trocar")
        self.mix_and_wait()
        self.inject(inject_ml)
        for k in (Qt.Key.Key_1, Qt.Key.Key_S, Qt.Key.Key_2, Qt.Key.Key_S):
            self.key(k)
            self.idle()
        stages("cement")
        self.finish()
        stages("debrief")


    def bipedicular_run(self, picker, answers: dict, inject_ml: float = 4.0, stages=None) -> None:
        """Both trocars: left to the target, right to the target while the left stays, half the
        cement through the right cannula, T to take the left one, the other half; then a click on
        the Right side button makes the right trocar active again and the procedure is finished."""
        stages = stages or (lambda name: None)
        self.start(picker)
        self.answer_checklist(answers)
        self.align()
        for side in ("left", "right"):
            self.key(Qt.Key.Key_1)
            self.idle()
            self.pick_entry(side)
            self.place()
            self.advance_to(0.7)
            for k in (Qt.Key.Key_S, Qt.Key.Key_V, Qt.Key.Key_S):
                self.key(k)
                self.idle()
        stages("two trocars")
        self.mix_and_wait()
        self.inject(inject_ml / 2)
        self.key(Qt.Key.Key_T)
        self.idle()
        self.inject(inject_ml)
        for k in (Qt.Key.Key_1, Qt.Key.Key_S, Qt.Key.Key_2, Qt.Key.Key_S):
            self.key(k)
            self.idle()
        stages("two trocars cement")
        self.click(self.w.trocar.right_radio)
        self.idle()
        self.finish()
        stages("debrief")
