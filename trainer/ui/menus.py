"""The window's menus and keyboard shortcuts (built from :data:`trainer.ui.shortcuts.SHORTCUTS`)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from trainer.ui.shortcuts import SHORTCUTS

__all__ = ["Menus", "build_menus"]


def _open_ct_import(w):
    from trainer.ui.ct_landmarks import open_ct_import  # lazy: DICOM and SciPy are not needed at launch

    return open_ct_import(w)


@dataclass(frozen=True)
class Menus:
    """The actions the window keeps: ``qactions`` (command id -> QAction, with its shortcut),
    the display toggles and Session > Open scenario file."""

    qactions: dict
    flip_h: QAction
    flip_v: QAction
    invert: QAction
    open_scenario: QAction


def build_menus(w) -> Menus:
    """Session, Procedure, View, Records and Help menus of main window ``w``, wired to its public
    methods; returns the actions it keeps (it sets no attribute of ``w``).  The display toggles
    call ``w._display_changed`` only once the window has taken them."""
    handlers = {
        "shot": lambda: w.submit({"type": "shot"}),
        "switch_view": w.switch_view,
        "preset_ap": lambda: w.carm.preset("ap"),
        "preset_lateral": lambda: w.carm.preset("lateral"),
        "orbital_minus": lambda: w.carm.nudge(d_orbital_deg=-w.settings.steps().orbital_step_deg),
        "orbital_plus": lambda: w.carm.nudge(d_orbital_deg=w.settings.steps().orbital_step_deg),
        "tilt_plus": lambda: w.carm.nudge(d_tilt_deg=w.settings.steps().tilt_step_deg),
        "tilt_minus": lambda: w.carm.nudge(d_tilt_deg=-w.settings.steps().tilt_step_deg),
        "place": w.place_trocar,
        "switch_trocar": w.switch_trocar,
        "aim_left": lambda: w.aim_on_image(-1, 0), "aim_right": lambda: w.aim_on_image(1, 0),
        "aim_up": lambda: w.aim_on_image(0, 1), "aim_down": lambda: w.aim_on_image(0, -1),
        "advance_coarse": lambda: w.trocar.advanceRequested.emit(w.trocar.coarse_mm),
        "advance_fine": lambda: w.trocar.advanceRequested.emit(w.trocar.fine_mm),
        "withdraw_coarse": lambda: w.trocar.advanceRequested.emit(-w.trocar.coarse_mm),
        "withdraw_fine": lambda: w.trocar.advanceRequested.emit(-w.trocar.fine_mm),
        "mix": lambda: w.submit({"type": "mix"}),
        "inject": w.cement.request_inject,
        "wait": lambda: w.cement.request_wait(30),
        "finish": w.request_finish,
        "shortcuts": w.show_shortcuts,
        "user_guide": w.show_user_guide,
        "show_debrief": w.show_debrief,
    }
    session = w.menuBar().addMenu("&Session")
    new = session.addAction("New session…")
    new.triggered.connect(lambda: w.show_picker())
    new.setToolTip("Choose a training case and start a new session")
    open_scenario = session.addAction("Open scenario file…")
    open_scenario.triggered.connect(lambda: w.show_picker().ask_file())
    session.addAction("Import patient CT…").triggered.connect(lambda: _open_ct_import(w))
    session.addAction("Finish procedure…").triggered.connect(w.request_finish)
    show = session.addAction("Show the debrief")
    show.setShortcut(QKeySequence("Ctrl+D"))
    show.triggered.connect(w.show_debrief)
    session.addAction("Monitors and final images").triggered.connect(w.show_monitors)
    session.addSeparator()
    session.addAction("Quit").triggered.connect(w.close)
    proc = w.menuBar().addMenu("&Procedure")
    qactions: dict[str, QAction] = {}
    for cid, key, text in SHORTCUTS:
        if cid not in handlers or cid in ("shortcuts", "user_guide", "show_debrief"):
            continue
        act = QAction(text, w)
        if cid != "fluoro":
            act.setShortcut(QKeySequence(key))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(handlers[cid])
        proc.addAction(act)
        w.addAction(act)
        qactions[cid] = act
    view = w.menuBar().addMenu("&View")
    prefs = w.settings.display()
    flip_h = view.addAction("Flip images left-right")
    flip_v = view.addAction("Flip images top-bottom")
    invert = view.addAction("Invert (dense = white)")
    for act, on in ((flip_h, prefs.flip_h), (flip_v, prefs.flip_v),
                    (invert, prefs.invert)):
        act.setCheckable(True)
        act.setChecked(on)
        act.toggled.connect(w._display_changed)
    view.addSeparator()
    view.addAction("Step sizes…").triggered.connect(w.show_steps)
    from trainer.ui.records_menu import add_records_menu

    add_records_menu(w)
    help_menu = w.menuBar().addMenu("&Help")
    act = help_menu.addAction("Keyboard shortcuts")
    act.setShortcut(QKeySequence("F1"))
    act.triggered.connect(w.show_shortcuts)
    qactions["shortcuts"] = act
    guide = help_menu.addAction("User guide")
    guide.setShortcut(QKeySequence("Shift+F1"))
    guide.triggered.connect(w.show_user_guide)
    qactions["user_guide"] = guide
    qactions["show_debrief"] = show
    return Menus(qactions, flip_h, flip_v, invert, open_scenario)
