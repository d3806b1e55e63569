"""Saving the landmark editor's scenario, and the warnings panel for the landmarks a save would write.

:class:`ScenarioSaving` is a part of :class:`~trainer.ui.ct_landmarks.CTLandmarkDialog` (a mixin): choosing the
file, the title and description written, the core's writer and validation
(:func:`~trainer.core.scenario.ct_import.scenario_toml`, :func:`~trainer.core.scenario.loader.parse_scenario`),
and the warnings ``import-ct`` prints for the landmarks, checked again off the GUI thread once a dragged marker
rests (:data:`~trainer.ui.ct_landmarks.CHECK_DELAY_MS`).  Its methods read and set the dialog's landmarks,
series, saved scenario and widgets.  Split out of ``ct_landmarks.py`` in round 40 (the methods unchanged).
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from trainer.core.anatomy.cache import store_ct_patient
from trainer.core.anatomy.dicom_mixed import refuse_unnamed_series
from trainer.core.errors import VPTrainerError
from trainer.core.safe_write import atomic_write_text, check_output
from trainer.core.scenario.ct_import import (
    LANDMARK_KEYS,
    default_title,
    landmarks_as_written,
    relative_inside,
    scenario_toml,
)
from trainer.core.scenario.loader import parse_scenario
from trainer.core.shown_path import shown_path
from trainer.ui.ct_editor_text import _NO_LEVEL_TITLE, _landmark_origin, _save_inside_advice
from trainer.ui.ct_estimate_jobs import _check_job
from trainer.ui.ct_slices import NAMES, SHORT
from trainer.ui.save_dialogs import ask_save_path, save_with_confirmation

__all__ = ["ScenarioSaving"]


def _store_job(payload, _progress) -> bool:
    """:func:`~trainer.core.anatomy.cache.store_ct_patient` of ``payload`` (series meta, grid, landmarks as written,
    level, source, patient) on the editor's store runner's thread; True when the entry is in the cache."""
    return store_ct_patient(*payload)


class ScenarioSaving:
    """The scenario file and the warnings for what it holds (mixed into ``CTLandmarkDialog``)."""

    def _show_warnings(self, warnings: list) -> None:
        """The warnings panel: ``warnings`` (import-ct's lines for the landmarks shown), or nothing."""
        self.warnings = list(warnings)
        self.warnings_panel.setText("\n\n".join(f"Warning: {w}." for w in self.warnings))
        self.warnings_panel.setVisible(bool(self.warnings))
        self._fit_messages()
        self.warnings_panel.setToolTip("The warnings vptrainer scenarios import-ct prints for these landmarks"
                                       if self.warnings else "")

    def _show_true_ap(self, lines: tuple[str, ...]) -> None:
        """The true AP for the landmarks shown: the lines ``scenarios show`` prints, each a sentence (() empties it):
        a turned vertebra's orbital angle (round 43), then the tilt; amber when the AP needs a tilt (an AP squared on
        the orbital angle alone is not true there)."""
        self.true_ap = tuple(lines)
        self.true_ap_label.setText(" ".join(f"{line[0].upper()}{line[1:]}." for line in self.true_ap))
        tilt = self.true_ap[-1] if self.true_ap else ""
        self.true_ap_label.setStyleSheet("color: #a8e0a8;" if tilt.startswith("true AP tilt 0 deg") else
                                         "color: #ffc060;")

    def _schedule_check(self) -> None:
        """Check the landmarks again once the instructor pauses (:data:`CHECK_DELAY_MS`); meanwhile the panel
        says the warnings are being checked, so an old line is not read as the moved landmarks'."""
        if self.volume is None or self.landmarks_level is None:
            return
        self.runner.invalidate("check")
        if self.warnings:
            self.warnings_panel.setText("Checking the landmarks as moved…")
        if getattr(self, "true_ap", ()):
            self.true_ap_label.setText("True AP: checking the landmarks as moved…")
        self._check_timer.start()

    def _check_landmarks(self) -> None:
        estimated = tuple(k for k in LANDMARK_KEYS if self.source.get(k) == "estimated")
        if self.volume is None or self._busy is not None or any(s == "unplaced" for s in self.source.values()):
            return
        self.runner.submit("check", _check_job, (self.volume, dict(self.landmarks), self.level(), estimated,
                                                 self.column, self.labelled))

    def _fit_messages(self) -> None:
        """The notes' and warnings' column takes 5 / 12 of the row while one of them shows, none while both are
        hidden: a hidden layout with a stretch factor still takes its share (round 33's look at 07: the table held
        5 / 12 of the row beside an empty column)."""
        shown = not (self.notes_panel.isHidden() and self.warnings_panel.isHidden())
        self._bottom.setStretchFactor(self._messages, 5 if shown else 0)

    def _choose_out(self) -> QMessageBox | None:
        """Save…: choose a file; an existing one is replaced only after "Replace?" (our own question)."""
        start = (self.folder.parent if self.folder else Path.home()) / f"ct-{self.level().lower()}.toml"
        out = ask_save_path(self, "Save the CT scenario", start, "Scenario (*.toml)")
        if out is None:
            return None
        if out.suffix != ".toml":
            out = out.with_suffix(".toml")
        return save_with_confirmation(self, out, lambda p, force: self.save_scenario(p, force=force),
                                      what="the CT scenario", inputs=[self.folder] if self.folder else [],
                                      suffixes=(".toml",), on_error=self.error, dialogs=self.dialogs)

    def _title(self) -> str:
        """The saved title: the instructor's, or the level's default; when the level is given by hand
        against the column's numbering it says so, so that the picker, ``scenarios show``, the window
        and the debrief show it, not only the description (a wrong level is a never-event).  On a
        series with no numbering the level is the instructor's anyway: the description says so."""
        title = self.title_edit.text().strip() or default_title(self.level())
        col, i = self.column, self._landmarks_index
        # only the landmarks' own level can be against their vertebra's number: a level just chosen, its estimate in
        # flight or its question open, is not yet on any vertebra (until round 35 the placeholder read "L3 patient
        # CT (level given by hand)" meanwhile, L3 held against L2's vertebra)
        against = (col is not None and col.certain and i is not None and self.landmarks_level == self.level()
                   and col.vertebrae[i].level != self.level())
        if against and "by hand" not in title:
            title += " (level given by hand)"
        return title

    def _title_hint(self) -> None:
        """The title field's placeholder: the title a save without one writes; with no level in view none
        is written yet, and the placeholder names no level (it read "T8 patient CT" for a T8 not in the series)."""
        self.title_edit.setPlaceholderText(_NO_LEVEL_TITLE if self._nothing_in_view() else self._title())

    def _title_names_another_level(self) -> str | None:
        """The levels the instructor's own Title names when none of them is the target level ("L3, L4"), else None.

        Round 36: "Abdomen L3 teaching case" typed at L3, then Target level L4 chosen, was saved without a word:
        the picker and the trainee's chart then head an L4 case "Abdomen L3 ..." (a wrong level is a never-event).
        """
        named = list(dict.fromkeys(m.upper() for m in re.findall(r"\b[CTLS]\d{1,2}\b", self.title_edit.text(),
                                                                 flags=re.IGNORECASE)))
        return ", ".join(named) if named and self.level() not in named else None

    def store_labelled(self) -> bool:
        """Write the patient the last check labelled to the patient cache if it is the saved landmarks' (at the
        saved level), under the key the trainer reads when the scenario is started, off the GUI thread (the
        editor's :attr:`store_runner`); True if the write was started.

        The checks only read the cache (round 45: each drag's check wrote an entry of ~9 MB that nothing read
        again, and ten drags pushed older patients out of its 12 places); the landmarks saved are the ones read
        again.  Round 45 (pass 235): the write (a 33 MB entry for the chest CT's L1) held the window 73-125 ms on
        the GUI thread; a write that fails (an unwritable or full cache folder, any error in the job) is only no
        entry, never a failed save."""
        got = self.labelled
        if got is None or got[0] != landmarks_as_written(self.landmarks) or got[1] != self.level():
            return False
        written, level, desc, patient = got
        self.store_runner.submit("store", _store_job, (self.volume.meta, self.volume.grid, written, level, desc,
                                                       patient))
        return True

    def wait_stored(self, timeout_ms: int = 60000) -> bool:
        """Block until the patient cache write a save started is done (Open in trainer, closing the editor): the
        trainer then reads the entry instead of labelling the vertebra again.  True when none is left running."""
        return self.store_runner.wait_done(timeout_ms)

    def save_scenario(self, out, force: bool = False):
        """Write the scenario with the core's writer and validate it; the Scenario, or None (error shown).

        ``force``: replace an existing file (the user confirmed); the CT folder is never written into.
        """
        out = Path(out)
        unplaced = [NAMES[k] for k, s in self.source.items() if s == "unplaced"]
        if self.volume is None or unplaced:
            self.error("Cannot save yet", "Load a series first." if self.volume is None else
                       "Place these landmarks on the slices first: " + ", ".join(unplaced))
            return None
        if out.suffix != ".toml":
            out = out.with_suffix(".toml")
        estimated = tuple(k for k in LANDMARK_KEYS if self.source.get(k) == "estimated")
        origin = self._level_origin()
        desc = (f"Imported from {self.folder.name} ({self.volume.meta.get('series_description', '')}); "
                f"{_landmark_origin(self.source)}; level {origin}")
        try:
            rel = relative_inside(self.folder, out, advice=_save_inside_advice(self.folder))
            chosen = None
            if self.series is not None:
                refuse_unnamed_series(self.volume.meta, self.folder)     # as import-ct (hostile35)
                chosen = (self.volume.meta["series_choice"], self.volume.meta["series_uid"],
                          self.volume.meta.get("series_number"))
            text = scenario_toml(rel, self.level(), self.landmarks, title=self._title(),
                                 description=desc, estimated=estimated, written_by="editor", series=chosen)
            out = check_output(out, force=force, inputs=[self.folder])
            scenario = parse_scenario(text, out)          # validated before anything is replaced
            atomic_write_text(out, text, force=force)
        except (VPTrainerError, OSError) as exc:
            self.error("Cannot save the scenario", str(exc))
            return None
        self.saved = scenario
        self.store_labelled()
        self.open_button.setEnabled(True)
        saved = (f"Saved {shown_path(out)}: valid. Level {origin}; CT folder {rel}"
                 + (f"; still estimated: {', '.join(SHORT[k] for k in estimated)}." if estimated else "."))
        other = self._title_names_another_level()
        if other is None:
            self.note(saved)
        else:
            self.note(f"{saved} Check the Title: it names {other}, the target level is {self.level()} (the picker and "
                      "the trainee's chart show the Title); correct it and save again if that is not meant.",
                      warning=True)
        self.scenarioSaved.emit(scenario)
        return scenario
