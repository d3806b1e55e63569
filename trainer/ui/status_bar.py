"""The status line: stage, simulated time, shots, fluoroscopy time, dose-area product, messages.

Refused actions and other notes appear on the left for a few seconds and are kept in
:attr:`StatusBar.log` (the session file holds the full record).
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from trainer.ui.cement_panel import mmss

__all__ = ["StatusBar", "STAGE_TEXT"]

STAGE_TEXT = {"checklist": "Checklist", "alignment": "C-arm alignment", "access": "Access",
              "cement": "Cement", "injection": "Injection", "finished": "Finished"}


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.log: list[str] = []
        self.fields = {}
        for key, tip in (("stage", "Procedure stage"), ("time", "Simulated time since the start"),
                         ("shots", "Fluoroscopic shots taken"), ("fluoro", "Fluoroscopy time"),
                         ("dap", "Dose-area product")):
            lab = QLabel("")
            lab.setToolTip(tip)
            lab.setObjectName(f"status_{key}")
            lab.setStyleSheet("padding: 0 10px; font-size: 11pt;")
            self.addPermanentWidget(lab)
            self.fields[key] = lab
        self.busy = QProgressBar()
        self.busy.setMaximumWidth(140)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.addPermanentWidget(self.busy)
        self.show_view(None)

    def show_view(self, view) -> None:
        if view is None:
            values = {"stage": "No session", "time": "t —", "shots": "shots —", "fluoro": "fluoro —",
                      "dap": "DAP —"}
        else:
            stage = view.stage
            if stage == "checklist" and view.decisions.get("candidacy") == "proceed":
                stage = "alignment"             # decided to proceed: the C-arm comes next
            values = {"stage": STAGE_TEXT.get(stage, stage),
                      "time": f"t {mmss(view.t_s)}",
                      "shots": f"shots {view.shots}",
                      "fluoro": f"fluoro {view.fluoro_s:.1f} s",
                      "dap": f"DAP {view.dap_gycm2:.3f} Gy·cm²"}
        for key, text in values.items():
            self.fields[key].setText(text)

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)

    def message_room_px(self) -> int:
        """Width (px) the message line has beside the permanent fields."""
        fields = sum(w.sizeHint().width() for w in (*self.fields.values(), self.busy) if w.isVisible())
        return self.width() - fields - 4 * len(self.fields) - 16

    def note(self, text: str, error: bool = False, timeout_ms: int = 8000, short: str | None = None) -> None:
        """Show ``text`` on the message line (red for refusals and errors) and log it.

        ``short``: the same message with less detail (a file's name for its path), shown instead when
        ``text`` is wider than :meth:`message_room_px`; ``text`` stays in :attr:`log` and the tooltip.
        """
        self.log.append(text)
        sheet = "QStatusBar { color: #ff7070; }" if error else "QStatusBar { color: #d0d0d0; }"
        if self.styleSheet() != sheet:
            self.setStyleSheet(sheet)
        fits = short is None or self.fontMetrics().horizontalAdvance(text) <= self.message_room_px()
        self.setToolTip("" if fits else text)
        self.showMessage(text if fits else short, timeout_ms)
