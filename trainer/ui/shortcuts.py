"""Keyboard shortcuts: one table, used to build the window's actions and the Help listing."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QTextBrowser, QVBoxLayout, QWidget

__all__ = ["SHORTCUTS", "HOLD_FLUORO_KEY", "ShortcutsDialog", "shortcuts_html"]

#: (command id, key sequence, description), in the order they are listed under Help
SHORTCUTS: tuple[tuple[str, str, str], ...] = (
    ("shot", "S", "Take one fluoroscopic shot in the current pose"),
    ("fluoro", "F (hold)", "Continuous pulsed fluoroscopy while the key is held"),
    ("switch_view", "V", "Switch the C-arm between AP and lateral"),
    ("preset_ap", "1", "C-arm to the AP preset"),
    ("preset_lateral", "2", "C-arm to the lateral preset"),
    ("orbital_minus", "Ctrl+Left", "Orbital angle one step down, and move"),
    ("orbital_plus", "Ctrl+Right", "Orbital angle one step up, and move"),
    ("tilt_plus", "Ctrl+Up", "Tilt one step cranial, and move"),
    ("tilt_minus", "Ctrl+Down", "Tilt one step caudal, and move"),
    ("place", "P", "Place the trocar at the entry picked on the AP image"),
    ("switch_trocar", "T", "Bipedicular: make the other trocar the active one (aim, advance and inject act on it)"),
    ("aim_left", "Left", "Aim: turn the trocar towards the left of the AP image"),
    ("aim_right", "Right", "Aim: turn the trocar towards the right of the AP image"),
    ("aim_up", "Up", "Aim: turn the trocar cranially (up on the images)"),
    ("aim_down", "Down", "Aim: turn the trocar caudally"),
    ("advance_coarse", "A", "Advance the trocar one coarse step (5 mm by default)"),
    ("advance_fine", "Shift+A", "Advance one fine step (1 mm)"),
    ("withdraw_coarse", "Z", "Withdraw one coarse step"),
    ("withdraw_fine", "Shift+Z", "Withdraw one fine step"),
    ("mix", "M", "Mix the cement (starts its clock)"),
    ("inject", "I", "Inject one step of cement (0.25 mL by default)"),
    ("wait", "W", "Let 30 s of simulated time pass"),
    ("finish", "Ctrl+Return", "Finish the procedure and see the debrief"),
    ("shortcuts", "F1", "This list"),
    ("user_guide", "Shift+F1", "The user guide"),
    ("show_debrief", "Ctrl+D", "After finishing: the debrief (or back from the final images)"),
)

HOLD_FLUORO_KEY = "F"


def shortcuts_html() -> str:
    rows = "".join(f"<tr><td style='padding-right:18px'><b>{key}</b></td><td>{text}</td></tr>"
                   for _id, key, text in SHORTCUTS)
    return ("<h3>Keyboard shortcuts</h3><table cellpadding=2>" + rows + "</table>"
            "<p>Click the AP image to pick the trocar entry over a pedicle.<br>"
            "Drag on an image with the right mouse button to change window (left/right) and level (up/down).<br>"
            "Letter and arrow keys act on the procedure unless a number box has the focus "
            "(press Esc or click an image to give it back).</p>")


class ShortcutsDialog(QDialog):
    """Non-modal list of the shortcuts (Help > Keyboard shortcuts)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setObjectName("shortcutsDialog")
        lay = QVBoxLayout(self)
        self.browser = QTextBrowser()          # scrolls, so no line is ever clipped
        self.browser.setHtml(shortcuts_html())
        lay.addWidget(self.browser)
        self.resize(620, 720)
