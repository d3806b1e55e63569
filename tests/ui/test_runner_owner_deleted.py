"""A widget deleted by Qt while its Runner's job still runs (trainer/ui/workers.py; round 29).

Qt deleted the widget's Runner and the Runner's thread pool with it, inside ``QTest.qWaitForWindowActive`` (a posted
``deleteLater``), with Python's lock held; ``~QThreadPool`` waited for the job, and the job, Python code, waited for
the lock: the process hung for ever (a fresh-clone CI run stopped at 96 % in the window-expert test so).  Oracle: the
process ends (before the fix this script hung until the 120 s bound).  Run in a child process so that a regression
hangs the child, not the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r'''
import sys, time
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv)
from trainer.ui.workers import Runner

started = []

def job(payload, progress):
    started.append(1)
    t = time.monotonic()
    while time.monotonic() - t < 0.5:     # Python work: it needs the interpreter's lock all along
        sum(range(1000))
    return "job finished"

owner = QWidget()
runner = Runner(1, owner)
runner.submit("c", job)
while not started:
    time.sleep(0.001)
owner.deleteLater()
other = QWidget()
other.show()
QTest.qWaitForWindowActive(other, 1000)   # runs the posted deletion inside Qt, Python's lock held
print("owner deleted while its job ran")
'''


def test_deleting_a_runner_s_owner_mid_job_does_not_hang():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "owner deleted while its job ran" in r.stdout
