"""Give the keyboard to the window the user is working in, with or without a window manager.

A modal dialog (``open()``, ``exec()``) is activated by Qt itself.  A window shown with ``show()`` (the landmark
editor, the user guide, the step sizes, the records windows, a stored debrief) is only mapped: a desktop's window
manager then gives it the focus, but on a bare X server (Xvfb, a kiosk session with no window manager) the keyboard
stayed with the main window, and the path an instructor typed into the landmark editor's Series field went to the
main window's shortcuts instead ("No procedure in progress: start or resume a session.", round 43 under Xvfb with
xdotool).  ``activateWindow`` asks the window manager when there is one and sets the X input focus itself when
there is none: :func:`show_active`.

And when a dialog closes (the editor's Open in trainer, the resume offer's Resume, the picker's Start), a window
manager gives the keyboard back to the window below; with none, X gives it to no window, and the resident's first
keys in the case did nothing until a click: :func:`give_back_keyboard` installs, once per application, a filter
that activates a closed dialog's parent window (or the last dialog still shown over it: the picker's Start opens
*Preparing*, which the modal picker kept from the keyboard) when no window of ours has the keyboard and no modal
dialog is open.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget

__all__ = ["give_back_keyboard", "show_active"]


def show_active(window: QWidget) -> QWidget:
    """Show ``window``, raise it above the others and make it the active window (the keyboard's).

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
    return window


class _GiveBack(QObject):
    """The application's event filter of :func:`give_back_keyboard`."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Hide and isinstance(obj, QDialog) and obj.isWindow():
            parent = obj.parentWidget()
            if parent is not None:
                below = parent.window()
                # after the hide is handled: the focus change it causes, or a dialog opened next, seen first
                QTimer.singleShot(0, lambda: _activate_if_nobody_has_it(below, obj))
        return False


def _activate_if_nobody_has_it(window: QWidget, closed: QWidget) -> None:
    """When no window of ours has the keyboard and no modal dialog is open: the last dialog still shown over
    ``window`` (the picker's Start shows *Preparing* while the picker, modal, still blocks it from the keyboard), else
    ``window`` itself."""
    active = QApplication.activeWindow()
    if not window.isVisible() or QApplication.activeModalWidget() is not None or (
            active is not None and active.isVisible()):
        return
    over = [d for d in QApplication.topLevelWidgets() if isinstance(d, QDialog) and d is not closed and d.isVisible()
            and d.parentWidget() is not None and d.parentWidget().window() is window]
    (over[-1] if over else window).activateWindow()


def give_back_keyboard(app: QApplication) -> None:
    """Install (once) the filter that gives a closed dialog's parent window the keyboard when nobody has it.

    Parameters
    ----------
    app : QApplication
        The application.
    """
    if getattr(app, "_vptrainer_give_back", None) is None:
        app._vptrainer_give_back = _GiveBack(app)
        app.installEventFilter(app._vptrainer_give_back)
