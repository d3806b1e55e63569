"""The window's menus and keyboard shortcuts (built from :data:`trainer.ui.shortcuts.SHORTCUTS`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from trainer.ui.settings import DisplayPrefs
from trainer.ui.shortcuts import SHORTCUTS

__all__ = ["Menus", "MENU_COMMANDS", "build_menus"]


#: Menu commands beyond :data:`~trainer.ui.shortcuts.SHORTCUTS` that the window must handle.
MENU_COMMANDS = ("new_session", "open_scenario", "import_ct", "show_monitors", "quit", "steps")


@dataclass(frozen=True)
class Menus:
    """The actions the window keeps: ``qactions`` (command id -> QAction, with its shortcut),
    the display toggles, Session > Open scenario file, and the (empty) Records menu that the
    :class:`~trainer.ui.records_menu.RecordsMenu` component fills."""

    qactions: dict
    flip_h: QAction
    flip_v: QAction
    invert: QAction
    open_scenario: QAction
    records: QMenu

    def display_prefs(self) -> DisplayPrefs:
        """The display toggles' state."""
        return DisplayPrefs(self.flip_h.isChecked(), self.flip_v.isChecked(), self.invert.isChecked())


def build_menus(window: QMainWindow, handlers: Mapping[str, Callable[[], object]], display: DisplayPrefs,
                display_changed: Callable[[], object]) -> Menus:
    """Session, Procedure, View, Records and Help menus on ``window``'s menu bar.

    Parameters
    ----------
    window : QMainWindow
        Owns the menu bar and the shortcuts (window-wide).
    handlers : mapping
        Command id -> what it does (no arguments): every id of :data:`~trainer.ui.shortcuts.SHORTCUTS`
        but the held F (the window's key filter) and :data:`MENU_COMMANDS` (a missing one is a
        KeyError here, not a dead menu entry).
    display : DisplayPrefs
        The display toggles' initial state.
    display_changed : callable
        Called when a display toggle changes.

    Returns
    -------
    Menus
        The actions the window keeps; nothing is set on ``window``.
    """
    needed = [cid for cid, _k, _t in SHORTCUTS if cid != "fluoro"] + list(MENU_COMMANDS)
    missing = [c for c in needed if c not in handlers]
    if missing:
        raise KeyError(f"build_menus: no handler for {', '.join(missing)}")
    bar = window.menuBar()
    session = bar.addMenu("&Session")
    new = session.addAction("New session…")
    new.triggered.connect(handlers["new_session"])
    new.setToolTip("Choose a training case and start a new session")
    open_scenario = session.addAction("Open scenario file…")
    open_scenario.triggered.connect(handlers["open_scenario"])
    session.addAction("Import patient CT…").triggered.connect(handlers["import_ct"])
    session.addAction("Finish procedure…").triggered.connect(handlers["finish"])
    show = session.addAction("Show the debrief")
    show.setShortcut(QKeySequence("Ctrl+D"))
    show.triggered.connect(handlers["show_debrief"])
    session.addAction("Monitors and final images").triggered.connect(handlers["show_monitors"])
    session.addSeparator()
    session.addAction("Quit").triggered.connect(handlers["quit"])
    proc = bar.addMenu("&Procedure")
    qactions: dict[str, QAction] = {}
    for cid, key, text in SHORTCUTS:
        if cid in ("fluoro", "shortcuts", "user_guide", "show_debrief"):     # F: the window's key filter
            continue
        act = QAction(text, window)
        act.setShortcut(QKeySequence(key))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.setAutoRepeat(False)          # a held key is one action, not one per keyboard repeat (issue 16)
        act.triggered.connect(handlers[cid])
        proc.addAction(act)
        window.addAction(act)
        qactions[cid] = act
    view = bar.addMenu("&View")
    prefs = display
    flip_h = view.addAction("Flip images left-right")
    flip_v = view.addAction("Flip images top-bottom")
    invert = view.addAction("Invert (dense = white)")
    for act, on in ((flip_h, prefs.flip_h), (flip_v, prefs.flip_v),
                    (invert, prefs.invert)):
        act.setCheckable(True)
        act.setChecked(on)
        act.toggled.connect(lambda _on: display_changed())
    view.addSeparator()
    view.addAction("Step sizes…").triggered.connect(handlers["steps"])
    records = bar.addMenu("&Records")
    help_menu = bar.addMenu("&Help")
    act = help_menu.addAction("Keyboard shortcuts")
    act.setShortcut(QKeySequence("F1"))
    act.triggered.connect(handlers["shortcuts"])
    qactions["shortcuts"] = act
    guide = help_menu.addAction("User guide")
    guide.setShortcut(QKeySequence("Shift+F1"))
    guide.triggered.connect(handlers["user_guide"])
    qactions["user_guide"] = guide
    qactions["show_debrief"] = show
    return Menus(qactions, flip_h, flip_v, invert, open_scenario, records)
