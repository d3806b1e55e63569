"""GUI responsiveness: launch time, the longest GUI-thread freeze during shots, advances
and injection steps, and the review's 3-D frame time while rotating (budgets: launch <= 3 s,
freeze <= 100 ms, 3-D frame <= 50 ms with Mesa; DESIGN.md section 7, issues 7 and 16).
The 3-D frame time needs an OpenGL context: run under Xvfb (offscreen has none, and
reports ``gl_context: false``).

Run headless (offscreen) or under Xvfb:

    .venv/bin/python benchmarks/gui_responsiveness.py            # QT_QPA_PLATFORM=offscreen
    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python benchmarks/gui_responsiveness.py

Launch: a fresh interpreter is started and the time from just before it starts to the
first event-loop turn with the window and the scenario picker shown is measured
(imports included).  Freeze: a 5 ms heartbeat QTimer runs on the GUI thread while a
scripted expert procedure is driven through the window with key presses at the
scenario's full image size (512 x 512); the largest gap between heartbeats during each
kind of action is the freeze.  Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAUNCH_BUDGET_S = 3.0
FREEZE_BUDGET_MS = 100.0
FRAME_BUDGET_MS = 50.0      #: 3-D review view while rotating (DESIGN.md section 7)

_CHILD = r"""
import sys, time
t_start = float(sys.argv[1])
from PySide6.QtCore import QTimer
from trainer.ui.app import create_window, startup
from trainer.ui.settings import settings_from_path
w = create_window(sys.argv[2], settings_from_path(sys.argv[3]))
def ready():
    startup(w)
    def shown():
        print(time.time() - t_start, time.process_time(), flush=True)
        w.close()
    QTimer.singleShot(0, shown)
QTimer.singleShot(0, ready)
from PySide6.QtWidgets import QApplication
QApplication.instance().exec()
"""


def measure_launch(tmp: Path, runs: int = 3) -> tuple[list[float], list[float]]:
    """Wall time from before the interpreter starts to the shown picker, and the CPU time the
    launching process used by then (a load-independent measure on a shared machine)."""
    out, cpu = [], []
    for i in range(runs):
        t0 = time.time()
        r = subprocess.run([sys.executable, "-c", _CHILD, repr(t0), str(tmp / f"s{i}"), str(tmp / f"l{i}.ini")],
                           capture_output=True, text=True, env=os.environ.copy(), timeout=60)
        lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
        if r.returncode != 0 or not lines:
            raise SystemExit(f"launch run failed: {r.stderr[-2000:]}")
        wall_s, cpu_s = (float(v) for v in lines[-1].split())
        out.append(wall_s)
        cpu.append(cpu_s)
    return out, cpu


class Heartbeat:
    """Largest gap between 5 ms timer ticks on the GUI thread, per labelled span."""

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.last = time.perf_counter()
        self.gap_ms = 0.0
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self):
        now = time.perf_counter()
        self.gap_ms = max(self.gap_ms, (now - self.last) * 1000.0)
        self.last = now

    def reset(self):
        self.last = time.perf_counter()
        self.gap_ms = 0.0


def measure_freezes(tmp: Path) -> dict:
    from PySide6.QtCore import Qt

    from trainer.ui.app import create_window, startup
    from trainer.ui.demo import GuiDriver
    from trainer.ui.settings import throwaway_settings

    w = create_window(tmp / "sessions", throwaway_settings(tmp))
    d = GuiDriver(w, timeout_s=120)
    picker = startup(w)
    answers = {k: g["expected"] for k, g in picker.current_scenario().decisions.gates.items()}
    d.start(picker)
    d.answer_checklist(answers)
    hb = Heartbeat()
    worst: dict[str, list[float]] = {"shot": [], "advance": [], "inject": []}

    def timed(kind, key, mod=Qt.KeyboardModifier.NoModifier):
        d.pump(0.02)
        hb.reset()
        d.key(key, mod)
        d.idle()
        d.pump(0.02)
        worst[kind].append(hb.gap_ms)

    d.key(Qt.Key.Key_1)
    d.idle()
    timed("shot", Qt.Key.Key_S)
    d.key(Qt.Key.Key_2)
    d.idle()
    timed("shot", Qt.Key.Key_S)
    d.key(Qt.Key.Key_1)
    d.idle()
    timed("shot", Qt.Key.Key_S)
    d.pick_entry("left")
    d.place()
    lm = w.patient_landmarks
    goal_y = lm.posterior_wall_y_mm - 0.7 * lm.body_depth_mm
    while w.view.trocar.tip_mm[1] - goal_y > 0.5:
        fine = w.view.trocar.tip_mm[1] - goal_y < 6
        timed("advance", Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier if fine else Qt.KeyboardModifier.NoModifier)
        timed("shot", Qt.Key.Key_S)
    d.mix_and_wait()
    for _ in range(12):
        timed("inject", Qt.Key.Key_I)
        timed("shot", Qt.Key.Key_S)
    hb.timer.stop()
    review = measure_review(w, d)
    w.close()
    out = {k: {"n": len(v), "max_ms": round(max(v), 1), "median_ms": round(sorted(v)[len(v) // 2], 1)}
           for k, v in worst.items()}
    return out, review


def measure_review(w, d, frames: int = 90) -> dict:
    """Finish, open the review and rotate its 3-D view ``frames`` times (2 deg a frame)."""
    w.request_finish()
    box = w.dialogs[-1]
    d.click(box.button(box.StandardButton.Yes))
    d.wait_until(lambda: w.stack.currentIndex() == 1, "the debrief")
    shown = []
    t0 = time.perf_counter()
    review = w.show_review()
    review.momentShown.connect(shown.append)
    d.wait_until(lambda: shown, "the review's final moment")
    open_s = time.perf_counter() - t0
    rows = review.timeline.count()
    t0 = time.perf_counter()
    review.timeline.setCurrentRow(rows // 2)          # back to the middle: a replay from the start
    d.wait_until(lambda: len(shown) > 1, "a replayed moment")
    replay_s = time.perf_counter() - t0
    gl = review.gl
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    times, cpu = [], []
    has_gl = gl.context() is not None and gl.context().isValid()
    for _ in range(frames if has_gl else 0):
        t, c = time.perf_counter(), time.process_time()
        gl.orbit(2.0, 0.0)
        gl.makeCurrent()                              # one whole frame, rendered and finished now
        gl.paintGL()
        gl.context().functions().glFinish()
        gl.doneCurrent()
        times.append((time.perf_counter() - t) * 1000.0)
        cpu.append((time.process_time() - c) * 1000.0)
    times.sort()
    cpu.sort()
    if not times:
        times = cpu = [float("nan")]
    return {"open_s": round(open_s, 2), "replay_to_middle_s": round(replay_s, 2), "rows": rows,
            "gl_context": gl.context() is not None and gl.context().isValid(),
            "frame_ms_median": round(times[len(times) // 2], 1), "frame_ms_p95": round(times[int(0.95 * len(times))], 1),
            "frame_ms_max": round(times[-1], 1), "frame_cpu_ms_median": round(cpu[len(cpu) // 2], 1),
            "frame_budget_ms": FRAME_BUDGET_MS, "viewport_px": [gl.width(), gl.height()],
            "triangles": int(sum(len(s.faces) for s in review.surfaces))}


def main() -> int:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    tmp = Path(tempfile.mkdtemp(prefix="vpt-gui-bench-"))
    load_before = os.getloadavg()[0]
    launch, launch_cpu = measure_launch(tmp)
    freezes, review = measure_freezes(tmp)
    worst_ms = max(v["max_ms"] for v in freezes.values())
    from PySide6.QtWidgets import QApplication

    result = {"platform": QApplication.platformName(), "cpus": os.cpu_count(),
              "load_average_1min": round(load_before, 2), "launch_s": [round(x, 3) for x in launch],
              "launch_cpu_s": [round(x, 3) for x in launch_cpu],
              "launch_worst_s": round(max(launch), 3), "launch_budget_s": LAUNCH_BUDGET_S,
              "freeze_ms": freezes, "freeze_worst_ms": worst_ms, "freeze_budget_ms": FREEZE_BUDGET_MS,
              "review_3d": review,
              "within_budget": max(launch) <= LAUNCH_BUDGET_S and worst_ms <= FREEZE_BUDGET_MS
              and (not review["gl_context"] or review["frame_ms_p95"] <= FRAME_BUDGET_MS)}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
