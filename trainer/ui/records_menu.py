"""The Records menu (My progress, Cohort, Records settings) and the hook that records every
finished GUI session as an attempt in the trainee store.

The store is the CLI's default file (``records.sqlite3`` in the platformdirs user data
folder, or ``VPTRAINER_STORE``) unless the Records settings name another; the LRS endpoint,
key and secret for ``vptrainer lrs push`` live in the same QSettings group.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QMessageBox, QWidget

from trainer.core.errors import VPTrainerError
from trainer.core.records.attempts import attempt_from_assessment
from trainer.core.records.lrs import LrsClient, push
from trainer.core.records.store import default_store_path, open_store
from trainer.core.shown_path import shown_path
from trainer.ui.cohort_window import CohortWindow
from trainer.ui.progress_window import ProgressWindow
from trainer.ui.show_active import show_active

__all__ = ["store_path", "lrs_settings", "record_finished_session", "RecordsMenu", "RecordsSettingsDialog"]


def store_path(settings) -> Path:
    """The trainee store the GUI writes to."""
    chosen = str(settings.qsettings.value("records/store_path", "") or "")
    return Path(chosen) if chosen else default_store_path()


def lrs_settings(settings) -> dict:
    q = settings.qsettings
    return {k: str(q.value(f"records/lrs_{k}", "") or "") for k in ("endpoint", "key", "secret")}


def record_finished_session(session_path, report_json: dict, path) -> tuple[int, bool]:
    """Record a finished session (the report the core produced) in the store at ``path``."""
    with open(session_path, encoding="utf-8") as f:
        header = json.loads(f.readline())
    attempt = attempt_from_assessment(session_path, header, report_json, complete=True)
    with open_store(path) as st:
        return st.record_attempt(attempt)


class RecordsSettingsDialog(QDialog):
    """Store file and LRS endpoint/credentials."""

    def __init__(self, settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Records settings")
        self.settings = settings
        cur = lrs_settings(settings)
        self.store = QLineEdit(str(settings.qsettings.value("records/store_path", "") or ""))
        self.store.setPlaceholderText(str(default_store_path()))
        self.endpoint = QLineEdit(cur["endpoint"])
        self.endpoint.setPlaceholderText("https://lrs.example.org/xAPI/")
        self.key = QLineEdit(cur["key"])
        self.secret = QLineEdit(cur["secret"])
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout(self)
        form.addRow("Trainee store (empty = default)", self.store)
        form.addRow("LRS endpoint", self.endpoint)
        form.addRow("LRS key", self.key)
        form.addRow("LRS secret", self.secret)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.save)
        bb.rejected.connect(self.reject)
        form.addRow(bb)

    def showEvent(self, e) -> None:  # noqa: N802 (Qt's name)
        """Qt's show handler: the path fields as wide as the store's path and the endpoint they hold (or show as
        a placeholder), in the font they are drawn with (polished by now), up to 760 px.  Until round 37 they were
        Qt's default 120 px and the store's path read "/work/scratch37/..." cut after 17 characters."""
        for field in (self.store, self.endpoint):
            longest = max(field.text(), field.placeholderText(), key=field.fontMetrics().horizontalAdvance)
            field.setMinimumWidth(min(760, field.fontMetrics().horizontalAdvance(longest) + 24))
        super().showEvent(e)
        self.adjustSize()

    def save(self) -> None:
        q = self.settings.qsettings
        q.setValue("records/store_path", self.store.text().strip())
        q.setValue("records/lrs_endpoint", self.endpoint.text().strip())
        q.setValue("records/lrs_key", self.key.text().strip())
        q.setValue("records/lrs_secret", self.secret.text())
        q.sync()
        self.accept()


class RecordsMenu(QObject):
    """The Records menu, one component of the main window.

    Parameters
    ----------
    menu : QMenu
        The (empty) menu to fill.
    parent : QWidget
        Parent of the windows and message boxes it opens.
    settings : Settings
        Where the trainee store and the LRS settings are.
    note : callable
        ``note(text, error=False)``: a line in the status bar.
    keep : callable
        ``keep(window)``: keeps a non-modal window alive (the main window's dialog list).

    Signals
    -------
    pushed(str)
        The outcome of a push to the LRS (emitted from the push's thread, delivered on the GUI's).
    """

    pushed = Signal(str)

    def __init__(self, menu, parent: QWidget, settings, note, keep):
        super().__init__(parent)
        self.menu, self.parent_widget, self.settings, self.note, self.keep = menu, parent, settings, note, keep
        self.pushed.connect(lambda text: self.note(text, error=text.startswith("LRS:")))
        menu.addAction("My progress…").triggered.connect(lambda: self.open_window("progress"))
        menu.addAction("Cohort (instructor)…").triggered.connect(lambda: self.open_window("cohort"))
        menu.addSeparator()
        menu.addAction("Send records to the LRS now").triggered.connect(lambda: self.push())
        menu.addAction("Records settings…").triggered.connect(
            lambda: RecordsSettingsDialog(self.settings, self.parent_widget).exec())

    def open_window(self, kind: str, trainee: str | None = None):
        """The trainee's progress (``'progress'``) or the cohort (``'cohort'``) window; None if there
        is no store yet or it cannot be read (said in a message box)."""
        path = store_path(self.settings)
        if not path.is_file():
            QMessageBox.information(self.parent_widget, "Records", f"No attempts recorded yet in {path}.")
            return None
        try:
            win = ProgressWindow(path, trainee) if kind == "progress" else CohortWindow(path)
        except VPTrainerError as exc:
            QMessageBox.warning(self.parent_widget, "Records", str(exc))
            return None
        show_active(win)
        self.keep(win)
        return win

    def push(self) -> threading.Thread | None:
        """Send the queued xAPI statements to the LRS of the Records settings, off the GUI thread;
        the outcome goes to the status bar (statements that cannot be sent stay queued)."""
        cfg = lrs_settings(self.settings)
        if not cfg["endpoint"]:
            self.note("No LRS endpoint set (Records > Records settings…)", error=True)
            return None
        path = store_path(self.settings)

        def job():
            try:
                with open_store(path) as st:
                    r = push(st, LrsClient(cfg["endpoint"], cfg["key"], cfg["secret"]))
                text = (f"LRS: {r.error}; {r.pending} statement(s) still queued" if r.error else
                        f"Sent {r.sent} statement(s) to the LRS ({r.already_there} already there, {r.pending} queued)")
            except (OSError, VPTrainerError) as exc:
                text = f"LRS: {exc}"
            self.pushed.emit(text)

        t = threading.Thread(target=job, name="lrs-push", daemon=True)
        t.start()
        return t

    def record(self, session_path, report_json: dict) -> str:
        """Record a finished session in the trainee store; a status line to show."""
        path = store_path(self.settings)
        try:
            aid, created = record_finished_session(session_path, report_json, path)
        except (OSError, ValueError, VPTrainerError) as exc:
            return f"Attempt not recorded in the trainee store: {exc}"
        # whose attempt: round 39's first use read "Attempt 1 recorded in records.sqlite3" and My progress then
        # showed a trainee "trainee" (no $USER), a name nobody typed
        try:
            with open(session_path, encoding="utf-8") as f:
                who = json.loads(f.readline()).get("trainee")
        except (OSError, ValueError, AttributeError):
            who = None
        # "Attempt 1 for 'anna' recorded in ...": short enough that the finished line (score, session file, this)
        # fits before the status bar's fields at 1600 px (test_full_procedure), which "for trainee 'anna'" did not
        whose = f" for {who!r}" if who else ""
        return f"Attempt {aid}{whose} {'recorded' if created else 'updated'} in {shown_path(path)}"
