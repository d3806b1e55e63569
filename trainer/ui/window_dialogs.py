"""Dialogs of the main window: finish confirmation, errors, shortcuts, saving the PDF debrief.

Every dialog is opened non-modally (``open()``/``show()``), so nothing waits in a nested
event loop (and tests never block); they are kept in the list the window hands over.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from trainer.core.errors import VPTrainerError
from trainer.core.safe_write import check_output
from trainer.report_pdf import write_pdf_safely
from trainer.ui.help import UserGuideDialog
from trainer.ui.preferences import StepsDialog
from trainer.ui.save_dialogs import ask_save_path, save_with_confirmation
from trainer.ui.shortcuts import ShortcutsDialog
from trainer.ui.show_active import show_active

__all__ = ["WindowDialogs"]


class WindowDialogs(QObject):
    """The main window's dialogs, one component of it.

    Parameters
    ----------
    parent : QWidget
        Parent of every dialog (the main window).
    status : StatusBar
        Where a failure or a saved report is noted.
    controller : Controller
        The session (its file, scenario and the core's debrief HTML for the PDF).
    settings : Settings
        The remembered step sizes (the Step sizes dialog starts from them).
    dialogs : list
        Every dialog opened is appended here (kept alive; tests inspect them).

    Signals
    -------
    finishConfirmed()
        Yes in the finish confirmation.
    stepsChosen(object)
        OK in the Step sizes dialog, with the new :class:`~trainer.ui.settings.Steps`.
    """

    finishConfirmed = Signal()
    stepsChosen = Signal(object)

    def __init__(self, parent: QWidget, status, controller, settings, dialogs: list):
        super().__init__(parent)
        self.parent_widget, self.status, self.controller, self.settings, self.dialogs = (
            parent, status, controller, settings, dialogs)

    def request_finish(self, view) -> None:
        """Ask before finishing the procedure shown in ``view`` (nothing if none or already finished)."""
        if view is None or view.finished:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Finish the procedure?",
                          "Finish now and score the procedure? No further actions are possible after this.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.parent_widget)
        box.setObjectName("finishConfirm")
        box.accepted.connect(self.finishConfirmed.emit)
        self.dialogs.append(box)
        box.open()

    def ask_pdf(self) -> QMessageBox | None:
        """Save PDF report…: choose a file; an existing one is replaced only after "Replace?" (our own)."""
        out = ask_save_path(self.parent_widget, "Save the debrief as PDF", self.controller.path.with_suffix(".pdf"),
                            "PDF (*.pdf)")
        if out is None:
            return None
        return save_with_confirmation(self.parent_widget, out, lambda p, force: self.save_pdf(p, force=force),
                                      what="the PDF report", inputs=[self.controller.path], suffixes=(".pdf",),
                                      on_error=self.show_error, dialogs=self.dialogs)

    def save_pdf(self, out: Path, force: bool = False) -> None:
        """Write the printable debrief: HTML built off-thread by the core, printed here by Qt.

        ``force``: replace an existing file (the user confirmed); the session itself is never replaced.
        """
        session_path, title = self.controller.path, self.controller.scenario.title

        def written(html: str) -> None:
            try:
                dest = check_output(out, option="PDF file", force=force, inputs=[session_path], suffixes=(".pdf",))
                write_pdf_safely(html, dest, title=f"vptrainer debrief — {title}", force=force, option="PDF file")
                self.status.note(f"Report saved to {out}")
            except (OSError, VPTrainerError) as exc:
                self.show_error("Cannot save the report", str(exc))

        self.controller.debrief_html(written)

    def show_failure(self, exc, trace: str) -> None:
        """A failure of the core: its message for a vptrainer error, else the type and the traceback."""
        if isinstance(exc, VPTrainerError):
            self.show_error("vptrainer", str(exc))
        else:
            self.show_error("Unexpected error", f"{type(exc).__name__}: {exc}", trace)

    def show_error(self, title: str, text: str, details: str = "") -> QMessageBox:
        self.status.note(text.splitlines()[0] if text else title, error=True)
        box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, self.parent_widget)
        box.setObjectName("errorBox")
        if details:
            box.setDetailedText(details)
        self.dialogs.append(box)
        box.open()
        return box

    def show_shortcuts(self) -> None:
        dlg = ShortcutsDialog(self.parent_widget)
        self.dialogs.append(dlg)
        show_active(dlg)

    def show_user_guide(self):
        """Help > User guide: docs/user-guide.md rendered in a non-modal window."""
        dlg = UserGuideDialog(self.parent_widget)
        self.dialogs.append(dlg)
        show_active(dlg)
        return dlg

    def show_steps(self):
        """View > Step sizes…: a non-modal dialog; OK emits :attr:`stepsChosen`."""
        dlg = StepsDialog(self.settings.steps(), self.parent_widget)
        dlg.stepsChosen.connect(self.stepsChosen.emit)
        self.dialogs.append(dlg)
        show_active(dlg)
        return dlg
