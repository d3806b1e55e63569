"""Dialogs of the main window: finish confirmation, errors, shortcuts, saving the PDF debrief.

Every dialog is opened non-modally (``open()``/``show()``), so nothing waits in a nested
event loop (and tests never block); they are kept in ``window.dialogs``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from trainer.core.errors import VPTrainerError
from trainer.core.safe_write import check_output
from trainer.report_pdf import write_pdf_safely
from trainer.ui.preferences import StepsDialog
from trainer.ui.save_dialogs import ask_save_path, save_with_confirmation
from trainer.ui.shortcuts import ShortcutsDialog

__all__ = ["WindowDialogs"]


class WindowDialogs:
    """The main window's dialogs, as one component of it (``window.dialogs_ui``).

    It reads the window's public state (``view``, ``controller``, ``scenario``, ``status``,
    ``settings``) and calls its public methods (``submit``, ``set_steps``); it sets no
    attribute of the window.  Every dialog it opens is appended to ``window.dialogs``.
    """

    def __init__(self, window):
        self.w = window

    def request_finish(self) -> None:
        if self.w.view is None or self.w.view.finished:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Finish the procedure?",
                          "Finish now and score the procedure? No further actions are possible after this.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.w)
        box.setObjectName("finishConfirm")
        box.accepted.connect(lambda: self.w.submit({"type": "finish"}))
        self.w.dialogs.append(box)
        box.open()

    def ask_pdf(self) -> QMessageBox | None:
        """Save PDF report…: choose a file; an existing one is replaced only after "Replace?" (our own)."""
        out = ask_save_path(self.w, "Save the debrief as PDF", self.w.controller.path.with_suffix(".pdf"),
                            "PDF (*.pdf)")
        if out is None:
            return None
        return save_with_confirmation(self.w, out, lambda p, force: self.save_pdf(p, force=force),
                                      what="the PDF report", inputs=[self.w.controller.path], suffixes=(".pdf",),
                                      on_error=self.show_error, dialogs=self.w.dialogs)

    def save_pdf(self, out: Path, force: bool = False) -> None:
        """Write the printable debrief: HTML built off-thread by the core, printed here by Qt.

        ``force``: replace an existing file (the user confirmed); the session itself is never replaced.
        """
        def written(html: str) -> None:
            try:
                dest = check_output(out, option="PDF file", force=force, inputs=[self.w.controller.path],
                                    suffixes=(".pdf",))
                write_pdf_safely(html, dest, title=f"vptrainer debrief — {self.w.scenario.title}", force=force,
                                 option="PDF file")
                self.w.status.note(f"Report saved to {out}")
            except (OSError, VPTrainerError) as exc:
                self.show_error("Cannot save the report", str(exc))

        self.w.controller.debrief_html(written)

    def on_failed(self, exc, trace: str) -> None:
        self.w.end_progress()
        if isinstance(exc, VPTrainerError):
            self.show_error("vptrainer", str(exc))
        else:
            self.show_error("Unexpected error", f"{type(exc).__name__}: {exc}", trace)

    def show_error(self, title: str, text: str, details: str = "") -> QMessageBox:
        self.w.status.note(text.splitlines()[0] if text else title, error=True)
        box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, self.w)
        box.setObjectName("errorBox")
        if details:
            box.setDetailedText(details)
        self.w.dialogs.append(box)
        box.open()
        return box

    def show_shortcuts(self) -> None:
        dlg = ShortcutsDialog(self.w)
        self.w.dialogs.append(dlg)
        dlg.show()

    def show_user_guide(self):
        """Help > User guide: docs/user-guide.md rendered in a non-modal window."""
        from trainer.ui.help import UserGuideDialog

        dlg = UserGuideDialog(self.w)
        self.w.dialogs.append(dlg)
        dlg.show()
        return dlg

    def show_steps(self):
        """View > Step sizes…: a non-modal dialog; OK applies and remembers them."""
        dlg = StepsDialog(self.w.settings.steps(), self.w)
        dlg.stepsChosen.connect(self.w.set_steps)
        self.w.dialogs.append(dlg)
        dlg.show()
        return dlg
