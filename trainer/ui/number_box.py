"""A number box that acts on Return and says why it will not take what was typed.

Qt's spin box drops a keystroke its validator refuses without a word (a letter, a third digit
that would leave the range: "200" became "20"), and Return only commits the number.  A trainee
typing an angle into the C-arm panel saw nothing happen.  :class:`EnterNumberBox` keeps every
keystroke, and on Return (or Enter) either takes a number within its range and emits
:attr:`~EnterNumberBox.entered` or emits :attr:`~EnterNumberBox.refused` with one line naming
the box, what was typed and the allowed range, leaving its value as it was.  A held Return's
auto-repeat is ignored, marked or not (:mod:`trainer.ui.key_repeat`): one press, one action.
Leaving the box (a click on a button) keeps a refused text on show, and
:meth:`~EnterNumberBox.refusal` says why it cannot be taken, so a button or key acting on the boxes can
refuse with the same line, ending in what to do again (``then``: "press Return", "click Move C-arm").
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QValidator
from PySide6.QtWidgets import QDoubleSpinBox

from trainer.ui.key_repeat import KeyRepeatJudge

__all__ = ["RETURN_ACTION", "EnterNumberBox"]

_RETURN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
#: what a refusal asks for once the number is corrected, when Return in the box was refused
RETURN_ACTION = "press Return"


class EnterNumberBox(QDoubleSpinBox):
    """A :class:`QDoubleSpinBox` for a named quantity (``what``, e.g. ``"Orbital"``) in ``unit``.

    Signals
    -------
    entered(float)
        Return pressed on a number within the range (the box holds it, rounded to its decimals).
    refused(str)
        Return pressed on anything else: the message to show; the value is unchanged.
    """

    entered = Signal(float)
    refused = Signal(str)

    def __init__(self, what: str, unit: str, parent=None):
        super().__init__(parent)
        self.what = what
        self.unit = unit
        self._repeats = KeyRepeatJudge()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        self._repeats.is_repeat(event)                  # remembers the release's time
        super().keyReleaseEvent(event)

    def validate(self, text: str, pos: int) -> object:
        """Qt's verdict, but a refused text is kept as unfinished (Intermediate), not dropped."""
        state, text, pos = super().validate(text, pos)
        # keep what was typed (Qt drops a refused keystroke silently); Return judges it
        return (QValidator.State.Intermediate if state == QValidator.State.Invalid else state), text, pos

    def typed_value(self) -> float | None:
        """The number typed (``,`` or ``.`` as the decimal mark, the unit may be typed too), or None."""
        raw = self.cleanText().strip().rstrip("°").strip()
        for unit in ("deg", "mm"):
            raw = raw.removesuffix(unit).strip()
        try:
            v = float(raw.replace(",", "."))
        except ValueError:
            return None
        return v if math.isfinite(v) else None

    def range_text(self) -> str:
        """The allowed range, e.g. ``-135 to 135°``."""
        return f"{self.minimum():g} to {self.maximum():g}{self.unit}"

    def refusal(self, then: str = RETURN_ACTION) -> str | None:
        """Why the text in the box cannot be taken, or None when it holds a number within the range.

        Parameters
        ----------
        then : str
            What the trainee does again once the number is corrected: the action that was refused
            (``"press Return"``, ``"click Move C-arm"``, ``"press Ctrl+Right"``).

        Returns
        -------
        str or None
            One line naming the box, the text and the allowed range (in the box's unit, ° or mm).
        """
        typed = self.cleanText().strip()
        v = self.typed_value()
        if v is None:
            return (f"{self.what}: '{typed}' is not a number; type a number from {self.range_text()} "
                    f"and {then} (nothing moved)")
        if not self.minimum() <= round(v, self.decimals()) <= self.maximum():
            return f"{self.what}: {v:g}{self.unit} is outside the allowed {self.range_text()} (nothing moved)"
        return None

    def take_typed(self, then: str = RETURN_ACTION) -> str | None:
        """Take the number typed (the box's value becomes it, rounded to its decimals) and return None,
        or return :meth:`refusal`'s line (ending in ``then``) and leave the value as it was."""
        message = self.refusal(then)
        if message is None:
            self.setValue(round(self.typed_value() or 0.0, self.decimals()))
        return message

    def focusOutEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Leaving the box takes a good number, as Qt does, but keeps a refused text on show (Qt put the
        old value back without a word, and a click on Move C-arm then moved there)."""
        text, refused = self.lineEdit().text(), self.refusal() is not None
        super().focusOutEvent(event)
        if refused:
            self.lineEdit().setText(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.key() not in _RETURN_KEYS or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            super().keyPressEvent(event)
            return
        event.accept()
        if self._repeats.is_repeat(event):
            return
        message = self.take_typed()
        if message is None:
            self.selectAll()
            self.entered.emit(self.value())
            return
        self.refused.emit(message)
        self.selectAll()
