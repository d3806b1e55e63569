"""The landmark editor's table of landmarks (mm) and the editing of the landmarks it and the slices show.

:func:`build_landmark_table` makes the table (a spin box per coordinate, "—" and locked until there is a value);
:class:`LandmarkEditing` is a part of :class:`~trainer.ui.ct_landmarks.CTLandmarkDialog` (a mixin): selecting a
landmark, setting one from a dragged marker or a typed value, and redrawing the slices, the overview's body
centre, the coverage line and the table.  Its methods read and set the dialog's landmarks, sources, selection,
saved state and widgets (the dialog owns them all).  Split out of ``ct_landmarks.py`` in round 40 (the methods
unchanged; the table's construction moved out of the dialog's ``__init__`` as it was).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QHeaderView, QTableWidget, QTableWidgetItem

from trainer.core.scenario.ct_import import LANDMARK_KEYS
from trainer.ui.ct_editor_text import coverage_text
from trainer.ui.ct_slices import COLOURS, NAMES, PLANES

__all__ = ["LandmarkEditing", "build_landmark_table"]


def _show_value(spin: QDoubleSpinBox, value_mm: float | None, blank: bool) -> None:
    """Show ``value_mm`` (mm) in a table cell's spin box, or, ``blank``, "—" with the box locked.

    Parameters
    ----------
    spin : QDoubleSpinBox
        One coordinate's cell of the landmark table.
    value_mm : float or None
        The coordinate (mm); not read when ``blank``.
    blank : bool
        No value to show (no series read, or no level in view): the box shows "—" (its special value
        text, drawn at its minimum) and takes no input.
    """
    spin.setSpecialValueText("—" if blank else "")
    spin.setEnabled(not blank)
    shown = spin.minimum() if blank else value_mm
    if spin.value() != shown:
        spin.setValue(shown)


def build_landmark_table(spin_changed: Callable[[str, int, float], None]) -> tuple[QTableWidget, dict]:
    """The landmark table: a row per landmark (name in its marker's colour, x, y, z in mm, source).

    Parameters
    ----------
    spin_changed : callable
        Called as ``spin_changed(key, axis, value)`` when a coordinate's spin box changes: the landmark key,
        the axis (0, 1, 2 for x, y, z) and the new value (mm).

    Returns
    -------
    table : QTableWidget
        The table, every value shown as "—" and locked (no series read yet).
    spins : dict
        ``spins[key, axis]`` the spin box of that coordinate (``axis`` one of ``'x'``, ``'y'``, ``'z'``; an
        endplate has its z only, mm).
    """
    table = QTableWidget(len(LANDMARK_KEYS), 5)
    table.setHorizontalHeaderLabels(["Landmark", "x (mm)", "y (mm)", "z (mm)", "Source"])
    table.verticalHeader().setVisible(False)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    # the names as wide as they need, the numbers share the rest: the notes and warnings beside the table get
    # the width it does not need (round 33: notes and two warnings at 1400 x 900 left the slices 325 px high)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    spins: dict = {}
    for row, key in enumerate(LANDMARK_KEYS):
        name = QTableWidgetItem(NAMES[key])
        name.setForeground(pg.mkColor(COLOURS[key]))
        name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
        table.setItem(row, 0, name)
        for col, axis in enumerate("xyz", start=1):
            if key in PLANES and axis != "z":
                item = QTableWidgetItem("—")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                table.setItem(row, col, item)
                continue
            spin = QDoubleSpinBox()
            spin.setDecimals(1)
            spin.setSingleStep(0.5)
            spin.setKeyboardTracking(False)
            spin.setRange(-5000.0, 5000.0)
            spin.valueChanged.connect(
                lambda value, k=key, a="xyz".index(axis): spin_changed(k, a, value))  # noqa: B008
            table.setCellWidget(row, col, spin)
            spins[key, axis] = spin
        src = QTableWidgetItem("")
        src.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        table.setItem(row, 4, src)
    # before a series is read there is no value to show: "—", locked (until round 40 each cell read 0.0, which an
    # instructor could take for a measurement)
    for spin in spins.values():
        _show_value(spin, None, blank=True)
    table.setMaximumHeight(36 + 34 * len(LANDMARK_KEYS))
    table.verticalHeader().setDefaultSectionSize(32)
    return table, spins


class LandmarkEditing:
    """Selecting, setting and drawing the landmarks (mixed into ``CTLandmarkDialog``, whose attributes it uses)."""

    def _unsaved(self) -> None:
        """What is shown is no longer the saved file: save again before opening it in the trainer."""
        self.saved = self._saved_before_level = None
        self.open_button.setEnabled(False)

    def _set_editable(self, on: bool) -> None:
        self._editable = on
        self.table.setEnabled(on)
        self._enable_save()
        self.open_button.setEnabled(on and self.saved is not None)

    def _nothing_in_view(self) -> bool:
        """No marker placed and the Target level not in the numbered series: nothing a save could write."""
        return not any(self.source.get(k) != "unplaced" for k in LANDMARK_KEYS) and self._level_not_in_view()

    def _enable_save(self) -> None:
        """Save scenario… only while there is something to save: until round 24 it stayed enabled with no level
        in view, and a save was then refused ("Place these landmarks on the slices first")."""
        blank = self._nothing_in_view()
        self.save_button.setEnabled(self._editable and not blank)
        self.save_button.setToolTip("Choose a level in view in Target level first" if blank else "")

    def cursor_mm(self) -> np.ndarray:
        """The slice positions (x, y, z mm): the selected landmark (an endplate at the body centre)."""
        if self.selected in PLANES:
            x, y, _ = self.landmarks["body_centre_mm"]
            return np.array([x, y, self.landmarks[self.selected]])
        return np.asarray(self.landmarks[self.selected], float)

    def select(self, key: str, force: bool = False, fit: bool = False) -> None:
        """Make ``key`` the selected landmark (table row, slices through it)."""
        if key == self.selected and not force:
            return
        self.selected = key
        row = LANDMARK_KEYS.index(key)
        if self.table.currentRow() != row:
            self.table.selectRow(row)
        if self.volume is not None:
            self._refresh(fit=fit)

    def set_landmark(self, key: str, value, edited: bool = True) -> None:
        """Set one landmark ((x, y, z) mm, or z mm for an endplate), rounded to 0.1 mm."""
        value = round(float(value), 1) if key in PLANES else tuple(round(float(a), 1) for a in value)
        if self.landmarks.get(key) == value:
            return
        self.landmarks[key] = value
        if edited:
            self.source[key] = "edited"
        self._unsaved()
        self._refresh()
        self._schedule_check()

    def _marker_moved(self, key: str, value) -> None:
        """A marker was dragged (its new value comes from the views)."""
        if self.volume is None:
            return
        self.select(key)
        self.set_landmark(key, value)

    def _spin_changed(self, key: str, axis: int, value: float) -> None:
        if self._syncing or self.volume is None:
            return
        new = value
        if key not in PLANES:
            new = list(self.landmarks[key])
            new[axis] = value
        self.select(key)
        self.set_landmark(key, new)

    def _refresh(self, fit: bool = False) -> None:
        """Slices through the cursor with the markers, then the table's values and sources."""
        placed = any(self.source.get(k) != "unplaced" for k in LANDMARK_KEYS)
        blank = self._nothing_in_view()
        # a level the numbered series does not hold: no marker drawn anywhere (until round 23 five unplaced
        # markers sat on the series' middle, the heart on the chest CT, labelled "body")
        self.views.draw(self.volume, self.landmarks, self.selected, self.cursor_mm(), fit=fit, markers=not blank)
        self.overview.show_landmarks(self.landmarks["body_centre_mm"] if placed else None,
                                     self.landmarks["superior_endplate_z_mm"], self.landmarks["inferior_endplate_z_mm"])
        self._title_hint()
        self._enable_save()
        self.coverage.setText(coverage_text(self.volume, self.column, self.landmarks["body_centre_mm"]
                                            if placed and not blank else None))
        # with no marker drawn the table's numbers were the starting points' (the series' middle), read as a
        # position next to "unplaced" (round 24): blank ("—", the spin's minimum) and locked until a level is in view
        self._syncing = True
        try:
            for row, key in enumerate(LANDMARK_KEYS):
                vals = (None, None, self.landmarks[key]) if key in PLANES else self.landmarks[key]
                for axis, val in zip("xyz", vals):
                    spin = self.spins.get((key, axis))
                    if spin is None:
                        continue
                    _show_value(spin, val, blank)
                self.table.item(row, 4).setText(self.source.get(key, ""))
        finally:
            self._syncing = False
