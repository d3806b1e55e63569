"""Start the desktop trainer: QApplication, dark theme, excepthook, window, resume offer, picker.

``vptrainer gui`` calls :func:`run_app`.  Tests call :func:`create_window` and drive
the returned window without entering a nested event loop.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QStandardPaths, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from trainer.core.errors import VPTrainerError
from trainer.core.scenario.loader import load_scenario
from trainer.ui.main_window import MainWindow
from trainer.ui.resume import ResumeOffer, find_unfinished
from trainer.ui.settings import Settings
from trainer.ui.show_active import give_back_keyboard

__all__ = ["run_app", "create_window", "startup", "default_session_dir", "apply_theme"]

WINDOW_SIZE = (1600, 1000)

STYLE = """
QWidget { font-size: 10.5pt; }
QGroupBox { border: 1px solid #3a3f46; border-radius: 4px; margin-top: 14px; padding-top: 6px; }
QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; color: #f0d36a; font-weight: bold; }
QPushButton { padding: 5px 8px; border: 1px solid #4a515a; border-radius: 3px; background: #2b3036; }
QPushButton:hover { background: #353b43; }
QPushButton:pressed, QPushButton:checked { background: #2f5d8a; border-color: #5a9ad8; }
QPushButton:disabled { color: #6a6f76; background: #24272b; }
QPushButton#shotButton, QPushButton#fluoroButton, QPushButton#injectButton { font-weight: bold; padding: 8px; }
QPushButton#fluoroButton:pressed { background: #8a2f2f; }
QPushButton#candidacyButton { font-weight: bold; padding: 7px 14px; }
QTabBar::tab { padding: 6px 14px; }
QTabBar::tab:selected { color: #f0d36a; }
QTextBrowser, QTableWidget, QListWidget { background: #16191c; }
QCheckBox::indicator, QRadioButton::indicator { width: 13px; height: 13px; border: 1px solid #9aa0a8;
    background: #16191c; }
QRadioButton::indicator { border-radius: 7px; }
QCheckBox::indicator:checked, QRadioButton::indicator:checked { background: #4a9ae8; border-color: #bcdcff; }
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled { border-color: #4a4f56; }
"""


def apply_theme(app: QApplication) -> None:
    """A dark theme, like a dimmed fluoroscopy suite, applied once per application.

    Setting a style or style sheet re-polishes every live widget; doing it again for each new
    window re-polished widgets of closed windows that Qt had scheduled for deletion, and the
    test suite crashed (segmentation fault) in ``setStyle`` after the records views.
    """
    if app.property("vptrainer_themed"):
        return
    app.setProperty("vptrainer_themed", True)
    app.setStyle("Fusion")
    pal = QPalette()
    colours = {QPalette.ColorRole.Window: "#1e2124", QPalette.ColorRole.WindowText: "#dcdcdc",
               QPalette.ColorRole.Base: "#16191c", QPalette.ColorRole.AlternateBase: "#22262a",
               QPalette.ColorRole.Text: "#dcdcdc", QPalette.ColorRole.Button: "#2b3036",
               QPalette.ColorRole.ButtonText: "#dcdcdc", QPalette.ColorRole.Highlight: "#2f5d8a",
               QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2b3036",
               QPalette.ColorRole.ToolTipText: "#f0f0f0", QPalette.ColorRole.Link: "#7ab8ff"}
    for role, c in colours.items():
        pal.setColor(role, QColor(c))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6a6f76"))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#6a6f76"))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6a6f76"))
    app.setPalette(pal)
    app.setStyleSheet(STYLE)


def default_session_dir() -> Path:
    """``<user data folder>/vptrainer/sessions``."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base or Path.home() / ".local" / "share") / "vptrainer" / "sessions"


def _install_excepthook(window: MainWindow) -> None:
    def hook(exc_type, exc, tb):
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.stderr.write(text)
        if isinstance(exc, VPTrainerError):
            window.show_error("vptrainer", str(exc))
        else:
            window.show_error("Unexpected error", f"{exc_type.__name__}: {exc}", text)

    sys.excepthook = hook


def create_window(session_dir=None, settings: Settings | None = None) -> MainWindow:
    """The application (created if needed, themed) and a shown main window."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("vptrainer")
    app.setApplicationName("vptrainer")
    pg.setConfigOptions(imageAxisOrder="row-major")
    apply_theme(app)
    give_back_keyboard(app)     # a closed dialog's window gets the keyboard back, with no window manager too
    window = MainWindow(settings or Settings(), Path(session_dir) if session_dir else default_session_dir())
    window.resize(*WINDOW_SIZE)
    window.show()
    return window


def startup(window: MainWindow, scenario: str | None = None):
    """Offer to resume an unfinished session, otherwise open the scenario picker.

    Returns the dialog shown (a :class:`ResumeOffer` or a :class:`ScenarioPicker`).
    """
    window.initial_scenario = scenario
    unfinished = find_unfinished(window.session_dir, ct_roots=window.settings.scenario_folders())
    if unfinished is None:
        return window.show_picker()
    offer = ResumeOffer(unfinished, window)
    offer.resume.connect(window.resume_session)
    offer.declined.connect(lambda: window.show_picker())
    window.dialogs.append(offer)
    offer.open()
    return offer


def run_app(scenario: str | None = None, session_dir: str | None = None, trainee: str | None = None) -> int:
    """Run the desktop trainer until its window closes; return the exit status.

    ``trainee``: the name new sessions record (None: the login name, as before)."""
    if scenario:
        load_scenario(scenario)    # a bad scenario is a one-line CLI error, before any window
    window = create_window(session_dir)
    window.trainee = (trainee or "").strip() or None
    _install_excepthook(window)
    QTimer.singleShot(0, lambda: startup(window, scenario))
    return int(QApplication.instance().exec())
