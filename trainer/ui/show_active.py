"""Show a window the user opened and give it the keyboard: raised and activated.

A modal dialog (``open()``, ``exec()``) is activated by Qt itself.  A window shown with ``show()`` (the landmark
editor, the user guide, the step sizes, the records windows, a stored debrief) is only mapped: a desktop's window
manager then gives it the focus, but on a bare X server (Xvfb, a kiosk session with no window manager) the keyboard
stayed with the main window, and the path an instructor typed into the landmark editor's Series field went to the
main window's shortcuts instead ("No procedure in progress: start or resume a session.", round 43 under Xvfb with
xdotool).  ``activateWindow`` asks the window manager when there is one and sets the X input focus itself when
there is none.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

__all__ = ["show_active"]


def show_active(window: QWidget) -> QWidget:
    """Show ``window``, raise it above the others and make it the active window (the keyboard's); a dialog with a
    parent gives the keyboard back to its parent's window when it finishes.  Call it once per window.

    Parameters
    ----------
    window : QWidget
        A top-level window (a non-modal dialog or a main window).

    Returns
    -------
    QWidget
        ``window``.
    """
    window.show()
    window.raise_()
    window.activateWindow()
    parent = window.parentWidget()
    if parent is not None and hasattr(window, "finished"):
        # closed (the editor's Open in trainer, Close, Escape): the keyboard back to the window it came from; on a
        # bare X server it went to no window and the resident's first keys in the case were lost (round 43)
        window.finished.connect(lambda _result: parent.window().activateWindow())
    return window
