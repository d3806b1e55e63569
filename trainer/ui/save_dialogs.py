"""The GUI's save dialogs: choose a file, ask before replacing one, write it atomically.

The operating system's file dialog only chooses a name (it is told not to ask about
replacing: platforms differ, and a name typed or pasted may skip it).  The trainer asks
itself: :func:`save_with_confirmation` first refuses a destination that is the input being
saved from (the session, the trainee store, the CT folder), a folder, or a place that
cannot be written (an error box; nothing is written); then, when the file exists, opens a
non-modal "Replace?" question and writes only after *Replace*.  Every write goes through
:mod:`trainer.core.safe_write` (temporary file, validated, fsynced, renamed into place).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from trainer.core.errors import VPTrainerError
from trainer.core.safe_write import check_output

__all__ = ["ask_save_path", "save_with_confirmation"]


def ask_save_path(parent: QWidget, title: str, start, filters: str) -> Path | None:
    """The file name chosen in the save dialog (None if cancelled); replacing is asked later."""
    out, _ = QFileDialog.getSaveFileName(parent, title, str(start), filters,
                                         options=QFileDialog.Option.DontConfirmOverwrite)
    return Path(out) if out else None


def save_with_confirmation(parent: QWidget, path, write: Callable[[Path, bool], object], *, what: str,
                           inputs: Iterable = (), suffixes: tuple = (),
                           on_error: Callable[[str, str], object], dialogs: list | None = None
                           ) -> QMessageBox | None:
    """Check ``path``, ask before replacing an existing file, then ``write(path, force)``.

    Parameters
    ----------
    parent : QWidget
    path : str or Path
        The destination chosen in the dialog.
    write : callable
        ``write(path, force)`` writes through the safe writer (``force``: replacing was
        confirmed); raises VPTrainerError or OSError on failure.
    what : str
        What is saved ("the PDF report"), for the messages.
    inputs : iterable of paths
        Files and folders the saved thing is made from: never replaced, even when confirmed.
    suffixes : tuple of str
        Allowed file name endings (empty: any).
    on_error : callable
        ``on_error(title, text)`` shows an error (an error box of the window).
    dialogs : list, optional
        The window's list of open dialogs; the question is appended to it.

    Returns
    -------
    QMessageBox or None
        The open "Replace?" question (None when nothing needed confirming or on an error).
    """
    title = f"Cannot save {what}"
    try:
        dest = check_output(path, option="file", force=True, inputs=inputs, suffixes=suffixes)
    except (VPTrainerError, OSError) as exc:
        on_error(title, str(exc))
        return None

    def do_write(force: bool) -> None:
        try:
            write(dest, force)
        except (VPTrainerError, OSError) as exc:
            on_error(title, str(exc))

    if not dest.exists():
        do_write(False)                   # a file appearing meanwhile is still never replaced
        return None
    box = QMessageBox(QMessageBox.Icon.Question, f"Replace {dest.name}?",
                      f"{dest} already exists. Replace it with {what}?",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, parent)
    box.setObjectName("replaceConfirm")
    box.button(QMessageBox.StandardButton.Yes).setText("Replace")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.accepted.connect(lambda: do_write(True))
    if dialogs is not None:
        dialogs.append(box)
    box.open()
    return box
