"""A window closed and deleted soon after it opens leaves nothing behind that fires later.

The session controller imports the display module off the GUI thread 1.5 s after it is made
(``WARMUP_DELAY_MS``).  Found in CI (round 20): a test window deleted sooner than that (a resume
refused at once, then the window closed) left the timer to submit to its deleted worker pool, and
the next test's event loop raised "Internal C++ object (QThreadPool) already deleted".

Oracle: pytest-qt fails a test on any exception raised in the Qt event loop.
"""

from __future__ import annotations

import shiboken6

from trainer.ui.app import create_window
from trainer.ui.session_controller import WARMUP_DELAY_MS
from trainer.ui.settings import settings_from_path


def test_a_window_deleted_before_the_warmup_leaves_no_timer_behind(qtbot, tmp_path):
    w = create_window(tmp_path, settings_from_path(str(tmp_path / "settings.ini")))
    w.close()
    shiboken6.delete(w)                      # as qtbot deletes a test's widgets at teardown
    qtbot.wait(WARMUP_DELAY_MS + 500)        # the warm-up's time passes with no exception in the event loop
