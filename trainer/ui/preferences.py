"""Step-size preferences (View > Step sizes…), remembered with QSettings."""

from __future__ import annotations

from dataclasses import fields

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QWidget

from trainer.ui.settings import StepPrefs

__all__ = ["StepsDialog", "STEP_LIMITS"]

#: field -> (label, minimum, maximum, single step, suffix)
STEP_LIMITS = {
    "advance_coarse_mm": ("Advance / withdraw, coarse", 1.0, 20.0, 0.5, " mm"),
    "advance_fine_mm": ("Advance / withdraw, fine", 0.1, 5.0, 0.1, " mm"),
    "aim_step_deg": ("Aim step", 0.25, 10.0, 0.25, " °"),
    "orbital_step_deg": ("C-arm orbital step", 0.5, 15.0, 0.5, " °"),
    "tilt_step_deg": ("C-arm tilt step", 0.5, 15.0, 0.5, " °"),
    "inject_ml": ("Cement injection step", 0.05, 1.0, 0.05, " mL"),
    "fluoro_pulses_per_s": ("Pulsed fluoroscopy rate", 1.0, 30.0, 0.5, " pulses/s"),
}


class StepsDialog(QDialog):
    """Non-modal; emits ``stepsChosen(StepPrefs)`` on OK."""

    stepsChosen = Signal(object)

    def __init__(self, current: StepPrefs, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Step sizes")
        self.spins: dict[str, QDoubleSpinBox] = {}
        form = QFormLayout(self)
        for f in fields(StepPrefs):
            label, lo, hi, step, suffix = STEP_LIMITS[f.name]
            spin = QDoubleSpinBox()
            spin.setRange(lo, hi)
            spin.setSingleStep(step)
            spin.setDecimals(2)
            spin.setSuffix(suffix)
            spin.setValue(getattr(current, f.name))
            form.addRow(label, spin)
            self.spins[f.name] = spin
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def chosen(self) -> StepPrefs:
        return StepPrefs(**{name: float(spin.value()) for name, spin in self.spins.items()})

    def _ok(self) -> None:
        self.stepsChosen.emit(self.chosen())
        self.accept()
