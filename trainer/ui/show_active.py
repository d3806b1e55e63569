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
keys in the case did nothing until a click: :func:`give_back_keyboard` watches, once per application, each dialog
that gets the keyboard (``QGuiApplication.focusWindowChanged``, then that dialog window's ``visibleChanged``).  When
it is hidden, and no window of ours has the keyboard and no modal dialog is open once the queued events are handled,
its parent window (or the last dialog still shown over it: the picker's Start opens *Preparing*, which the modal
picker kept from the keyboard) is activated.  Signals, not an application event filter: a filter on the application
is a Python call for every event of every widget (paints, mouse moves, timers); the signals are a call per focus
change and per hide of a dialog that had the keyboard.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QWindow
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
    """The focus watcher of :func:`give_back_keyboard`.

    Each dialog whose window gets the keyboard is watched (its window's ``visibleChanged``, connected once): Qt on
    X11 says nothing when the window with the keyboard is hidden (``focusWindowChanged`` is not emitted, the focus
    window is only cleared), so the hide of the dialog is what is watched.
    """

    def __init__(self, app: QApplication):
        super().__init__(app)
        app.focusWindowChanged.connect(self._focus_changed)

    def _focus_changed(self, window: QWindow | None) -> None:
        dialog = _widget_of(window)
        if not isinstance(dialog, QDialog) or window.property(_WATCHED):
            return
        window.setProperty(_WATCHED, True)
        window.visibleChanged.connect(lambda visible: visible or _closed(dialog))


#: the property marking a dialog's window whose hide is watched
_WATCHED = "vptrainer_give_back"


def _closed(dialog: QDialog) -> None:
    """``dialog``, which had the keyboard at some time, was hidden: give its parent window the keyboard if nobody
    has it once the events already queued (a focus change the close causes, a dialog opened next) are handled."""
    if not shiboken6.isValid(dialog) or dialog.parentWidget() is None:
        return
    below = dialog.parentWidget().window()
    QTimer.singleShot(0, lambda: _activate_if_nobody_has_it(below, dialog))


def _widget_of(window: QWindow | None) -> QWidget | None:
    """The top-level widget shown in ``window`` (None for no window or one that is not a widget's)."""
    if window is None:
        return None
    return next((w for w in QApplication.topLevelWidgets() if w.windowHandle() is window), None)


def _activate_if_nobody_has_it(window: QWidget, closed: QWidget) -> None:
    """When no window of ours has the keyboard and no modal dialog is open: the last dialog still shown over
    ``window`` (the picker's Start shows *Preparing* while the picker, modal, still blocks it from the keyboard), else
    ``window`` itself."""
    active = QApplication.activeWindow()
    if not (shiboken6.isValid(window) and shiboken6.isValid(closed)) or not window.isVisible() or (
            QApplication.activeModalWidget() is not None) or (active is not None and active.isVisible()):
        return
    over = [d for d in QApplication.topLevelWidgets() if isinstance(d, QDialog) and d is not closed and d.isVisible()
            and d.parentWidget() is not None and d.parentWidget().window() is window]
    (over[-1] if over else window).activateWindow()


def give_back_keyboard(app: QApplication) -> None:
    """Start (once) the watcher that gives a closed dialog's parent window the keyboard when nobody has it.

    Parameters
    ----------
    app : QApplication
        The application.
    """
    if getattr(app, "_vptrainer_give_back", None) is None:
        app._vptrainer_give_back = _GiveBack(app)
