"""The landmark editor's target level: picking it in the Target level box or by a click on the sagittal overview's
numbered column, re-estimating when it changes, and what the status line says about the column and its numbering.

:class:`LevelPicking` is a part of :class:`~trainer.ui.ct_landmarks.CTLandmarkDialog` (a mixin): its methods read
and set the dialog's column, level box, overview, override box, landmarks' level and vertebra, and open its
questions ("Re-estimate the landmarks?"); the estimate itself runs off the GUI thread
(:func:`~trainer.ui.ct_estimate_jobs._estimate_job`).  Split out of ``ct_landmarks.py`` in round 40 (the methods
unchanged).
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from trainer.core.anatomy.params import LEVELS
from trainer.core.scenario.ct_import import LANDMARK_KEYS
from trainer.ui.ct_editor_text import _not_in_view_text, _vertebrae
from trainer.ui.ct_estimate_jobs import _estimate_job, _index_of
from trainer.ui.ct_slices import NAMES

__all__ = ["LevelPicking"]


class LevelPicking:
    """The target level and the vertebra the landmarks are for (mixed into ``CTLandmarkDialog``)."""

    def _column_text(self, estimated: bool = False) -> str:
        """What the column detection found and what to do about it; ``estimated``: the landmarks are
        shown estimated (a short series' are around its middle: nothing to click first)."""
        col, level = self.column, self.level()
        if col is None or not col.vertebrae:
            return "No column found: the landmarks are estimated around the middle of the series."
        found = _vertebrae(len(col.vertebrae))
        if col.certain:
            if self.overview.chosen is None:
                return _not_in_view_text(level, col)
            if self._against_numbering():
                numbered = col.vertebrae[self.overview.chosen].level
                return (f"{found} found, numbered ({col.note}); the highlighted body, numbered "
                        f"{numbered or 'none'}, is taken as {level} by hand: check the count from a level you trust.")
            return (f"{found} found, numbered ({col.note}); {level} is highlighted, numbered from the "
                    f"{col.numbered_by}: check the numbering. A click picks a vertebra under its number; to name "
                    f"one yourself, tick \"{self.override_box.text()}\".")
        if self.overview.chosen is not None:
            return (f"{found} found, numbering uncertain: #{self.overview.chosen + 1} from the top is taken as "
                    f"{level} by hand (your Target level): check that it is {level} by counting from the lowest "
                    f"ribs (T12) or the sacrum (L5 sits on it), on this series or a longer one of the patient.")
        if estimated:         # a short series: estimated around its middle, no click needed
            return (f"{found} found, not numbered (no ribs or sacrum in view): a short series, taken as "
                    f"centred on {level}.")
        return f"{found} found, numbering uncertain (#1 is the top one): click the {level} body on the column view."

    def _level_not_in_view(self) -> bool:
        """The column is numbered and does not hold the Target level."""
        return self.column is not None and self.column.certain and _index_of(self.column, self.level()) is None

    def _against_numbering(self) -> bool:
        """The highlighted vertebra is numbered, with another level than the chosen one (a click)."""
        col, i = self.column, self.overview.chosen
        return col is not None and col.certain and i is not None and col.vertebrae[i].level != self.level()

    def _check_next(self) -> str:
        """The sentence after an estimate: where the landmarks are and what to check before saving."""
        # a short series is estimated in its vertebra nearest the middle (pass 110); "around the series'
        # middle" read as a point in soft tissue
        where = "in the vertebra nearest the series' middle" if self.overview.chosen is None else \
            "in the highlighted vertebra"
        return (f"Landmarks estimated for {self.landmarks_level} {where} (the white box on the column view): "
                "check that it is that body, then the markers on the slices (drag one to correct it), then "
                "Save scenario.")

    def vertebra_clicked(self, index: int) -> None:
        """The instructor clicked vertebra ``index`` on the column view.

        On a numbered column the vertebra is picked under its number and the target level follows,
        unless the instructor overrides the numbering for this click (:attr:`override_box` ticked, it
        clears itself, or a level the numbering does not hold just chosen): then it is taken as that
        level, whatever its number.  On
        an uncertain numbering it is taken as the chosen level.  Hand corrections are not lost without
        a question, and a click on the vertebra the landmarks are already for, as the same level, changes
        nothing."""
        if (self.column is None or self.volume is None or self._busy == "ct"
                or not 0 <= index < len(self.column.vertebrae)):
            return
        level, self._by_hand = self._by_hand, None
        if level is None:
            level = self.level()
            if self.column.certain and not self.override_box.isChecked():
                level = self._numbered_level(index)
                if level is None:           # not a target level: the status line says why, nothing changes
                    return
        self.override_box.setChecked(False)     # one click overrides, on purpose; the next follows the numbering
        if index == self._landmarks_index and level == self.landmarks_level == self.level() and self._busy is None:
            self.note(f"The landmarks shown are already those of this vertebra as {level}: nothing changed. "
                      + self._column_text(estimated=True), warning=self._against_numbering())
            return
        edited = [NAMES[k].lower() for k in LANDMARK_KEYS if self.source.get(k) == "edited"]
        if edited:
            self._ask_reestimate(level, edited, then=lambda: self._estimate_clicked(index, level), clicked=index)
            return
        self._estimate_clicked(index, level)

    def _numbered_level(self, index: int) -> str | None:
        """The target level the numbering gives vertebra ``index``; None (the status line says why) for
        the sacrum, an unnumbered vertebra or a level outside :data:`LEVELS`."""
        v, name = self.column.vertebrae[index], self.overview.names[index]
        if v.level in LEVELS:
            return v.level
        if v.level is not None:
            what = f"numbered {v.level}, not a level the trainer takes ({LEVELS[0]} to {LEVELS[-1]})"
        elif name == "S1":
            what = "the sacrum (S1), never a target"
        else:
            what = f"not numbered ({name}: the count does not reach it)"
        self.note(f"That vertebra is {what}: nothing changed. Click a numbered vertebra, or tick "
                  f"\"{self.override_box.text()}\" to take the one you click as {self.level()}.", warning=True)
        return None

    def _estimate_clicked(self, index: int, level: str) -> None:
        """Estimate the landmarks of the clicked vertebra ``index`` as ``level`` (the level box follows)."""
        if level != self.level():
            self._set_level_quietly(level)
        self._unsaved()
        self.choose_vertebra(index)

    def choose_vertebra(self, index: int) -> None:
        """Estimate the landmarks around vertebra ``index`` of the column (off the GUI thread)."""
        if self.column is None or self.volume is None or not 0 <= index < len(self.column.vertebrae):
            return
        self.overview.set_chosen(index)
        v = self.column.vertebrae[index]
        self._submit_estimate(v.body_centre_mm, index)

    def _submit_estimate(self, near, index) -> None:
        """Estimate for :meth:`level` around ``near`` (None: the series' middle) off the GUI thread,
        with the busy bar and Cancel."""
        self._close_question()
        self._set_editable(False)
        self.progress.setRange(0, 0)
        self.progress_text.setText(f"Estimating the landmarks for {self.level()}…")
        self._show_progress(True)
        self.runner.invalidate("est")           # an estimate for another level stops at its next step
        self.runner.invalidate("check")
        self._check_timer.stop()
        self._busy = "est"
        self.runner.submit("est", _estimate_job, (self.volume, near, self.column, index, self.level()))

    def _reestimate(self) -> None:
        """The landmarks of :meth:`level`: its vertebra when the column is numbered, else the vertebra
        picked on the overview, else (a short series) around the series' middle, as a load does."""
        level, col = self.level(), self.column
        index = self.overview.chosen
        if col is not None and col.certain:
            index = _index_of(col, level)
            if index is None:           # not in view: the old level's landmarks must not pass for it
                self._not_in_view(level)
                return
        if index is not None:
            self.choose_vertebra(index)
        elif col is not None and not col.short:
            self.note(self._column_text())      # several vertebrae, none picked: the click comes first
        else:
            self._submit_estimate(None, None)

    def _not_in_view(self, level: str) -> None:
        """``level`` is not numbered in this series: one line says so; the landmarks shown (estimated or
        corrected by hand) are kept with the level they are for, and nothing is written.  With nothing
        to keep (every marker unplaced), the markers wait for ``level`` as before."""
        if self._busy == "est":                 # an estimate for the level before: it is not wanted now
            self.runner.invalidate("est")
            self._busy = None
            self._load_ended()
            self.overview.set_chosen(self._landmarks_index)
        kept = self.landmarks_level
        if kept is None or kept == level or set(self.source.values()) <= {"unplaced"}:
            self.overview.set_chosen(None)
            self._landmarks_index = None
            self.landmarks_level = level
            self._title_hint()
            self._show_estimate(None, "")
            return
        self._set_level_quietly(kept)
        self._by_hand = level
        self.note(f"{_not_in_view_text(level, self.column)} Nothing changed: the landmarks are still those for {kept}. "
                  f"If the numbering is wrong, click the body that is {level} on the column view.", warning=True)

    def _level_changed(self, level: str) -> None:
        """A new target level: its landmarks are estimated again (off the GUI thread).

        When the instructor corrected a landmark by hand, a question first: re-estimate (the
        corrections are lost) or keep the landmarks for the new level.  While a series is read
        nothing starts: the load estimates the level chosen when it lands."""
        self._by_hand = None
        if (self.volume is not None and self._busy != "ct" and self.column is not None and self.column.certain
                and _index_of(self.column, level) is None):
            self._close_question()
            self._not_in_view(level)        # before any question: no landmarks are lost or renamed, no save undone
            return
        self._title_hint()
        saved = self.saved
        self._unsaved()                    # the saved file names the old level: save again first
        self._saved_before_level = saved   # valid again if "Keep my landmarks" puts the level back
        self._close_question()
        if self.volume is None or self._busy == "ct":
            return
        if self._busy == "est":            # an estimate in flight, nothing edited since: the new level's instead
            self._reestimate()
            return
        if level == self.landmarks_level:
            return
        edited = [NAMES[k].lower() for k in LANDMARK_KEYS if self.source.get(k) == "edited"]
        if edited:
            self._ask_reestimate(level, edited)
        else:
            self._reestimate()

    def _ask_reestimate(self, level: str, edited: list, then=None, clicked: int | None = None) -> QMessageBox:
        """Ask (non-modal) whether to re-estimate for ``level``, losing the hand corrections ``edited``;
        ``then``: what re-estimating runs (default: the level's own vertebra, :meth:`_reestimate`);
        ``clicked``: the vertebra clicked on the column view (its index), when a click asks: keeping the
        landmarks undoes the click (they stay those of their level and vertebra)."""
        if clicked is None and self._numbered_elsewhere(level):
            # the landmarks sit on another numbered vertebra: kept, they stay its level (never relabelled)
            where, keep_as = "", (f"or keep your {self.landmarks_level} landmarks (the Target level goes back to "
                                  f"{self.landmarks_level}: they sit on that vertebra, not on {level})?")
        elif clicked is None:
            where, keep_as = "", f"or keep them as the {level} landmarks?"
        else:
            name = self.overview.names[clicked]
            where = (f" at the vertebra you clicked ({name})" if name == level else
                     f" at the vertebra you clicked, numbered {name}, taken as {level} by hand,")
            keep_as = f"or keep your {self.landmarks_level} landmarks (the click changes nothing)?"
        if clicked is not None:
            keep = self._keep_after_click
        elif self._numbered_elsewhere(level):
            keep = self._keep_level
        else:
            keep = lambda: self._keep_for(level)  # noqa: E731
        return self._ask("reestimateConfirm", "Re-estimate the landmarks?",
                         f"The landmarks were estimated for {self.landmarks_level} and you corrected these by "
                         f"hand: {', '.join(edited)}.\nRe-estimate them for {level}{where} (your corrections "
                         f"are lost), {keep_as}",
                         (f"Re-estimate for {level}", QMessageBox.ButtonRole.AcceptRole,
                          self._reestimate if then is None else then),
                         ("Keep my landmarks", keep))

    def _keep_after_click(self) -> None:
        """A click on the column view answered "keep": the landmarks, their level and vertebra stay."""
        self._question = None
        self.overview.set_chosen(self._landmarks_index)
        if self._against_numbering():
            self.overview.name_chosen(self.level())
        self.note(f"Kept your landmarks for {self.landmarks_level} (corrected by hand); the clicked vertebra was "
                  "not estimated.")

    def _numbered_elsewhere(self, level: str) -> bool:
        """The column is numbered and holds ``level`` at another vertebra than the landmarks': keeping
        the landmarks as ``level`` would put that level's name on the wrong vertebra."""
        col, i = self.column, self._landmarks_index
        return (col is not None and col.certain and i is not None and self.landmarks_level is not None
                and level != self.landmarks_level and _index_of(col, level) not in (None, i))

    def _keep_level(self) -> None:
        """A level change answered "keep" on a numbered column: the corrected landmarks stay with their
        own level and vertebra; the Target level goes back to it.  Until round 23 they were relabelled
        as the new level (L2's landmarks saved as level = "L3", a wrong-level scenario)."""
        self._question = None
        new, kept = self.level(), self.landmarks_level
        self._set_level_quietly(kept)
        self.overview.set_chosen(self._landmarks_index)
        if self._saved_before_level is not None:    # nothing edited since the save: that file is what is shown
            self.saved, self._saved_before_level = self._saved_before_level, None
            self.open_button.setEnabled(True)
        self.note(f"Kept your landmarks for {kept} (corrected by hand): the Target level is {kept} again, the "
                  f"vertebra they sit on. For {new}, choose it and Re-estimate, or tick "
                  f"\"{self.override_box.text()}\" and click the body that is {new} if the numbering is wrong.",
                  warning=True)

    def _keep_for(self, level: str) -> None:
        """The instructor keeps the shown (corrected) landmarks as ``level``'s (an uncertain numbering or
        no column: the level is the instructor's either way, and the saved description says so)."""
        self._question = None
        was, self.landmarks_level = self.landmarks_level, level
        self._title_hint()
        self._schedule_check()
        self.note(f"Kept your landmarks for {level} (estimated for {was}, corrected by hand): check them on "
                  "the slices.", warning=True)

    def _set_level_quietly(self, level: str) -> None:
        self.level_box.blockSignals(True)
        self.level_box.setCurrentText(level)
        self.level_box.blockSignals(False)
        self._title_hint()

    def level(self) -> str:
        return self.level_box.currentText()

    def _level_origin(self) -> str:
        """Whose number the target level is, for the status line and the saved description: the
        column's (``'T12 as numbered from the ribs'``) or the instructor's (``'T11 given by hand (...)'``)."""
        col, i, level = self.column, self._landmarks_index, self.level()
        if col is not None and col.certain and i is not None:
            numbered = col.vertebrae[i].level
            if numbered == level:
                return f"{level} as numbered from the {col.numbered_by}"
            return (f"{level} given by hand (the column, numbered from the {col.numbered_by}, "
                    f"{f'says {numbered}' if numbered else 'leaves it unnumbered'})")
        if i is not None:
            return f"{level} given by hand (numbering uncertain: vertebra #{i + 1} from the top)"
        if col is not None and col.vertebrae:
            return f"{level} given by hand (a short series taken as centred on it)"
        return f"{level} given by hand (no column found)"
