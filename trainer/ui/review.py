"""Review mode after finishing: the monitors at any moment, a 3-D view and a timeline.

Every moment is *replayed* from the session file (never stored): the recorded actions are
applied again through the core, up to the action clicked in the timeline, and the images
of that moment (the last AP and lateral shots) and its 3-D state (trocar path, cement,
leaks) are drawn.  Replays run on a worker thread in this process; moving forward in the
timeline continues the replay, moving back starts it again.  The 3-D view uses
pyqtgraph's OpenGL widgets (Mesa under Xvfb works).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from trainer.ui.assessment_notes import AssessmentNotes
from trainer.ui.cement_panel import PHASE_COLOURS, mmss
from trainer.ui.fluoro_view import FluoroMonitor
from trainer.ui.workers import Runner

__all__ = ["ReviewWidget", "Moment", "timeline_rows"]

#: timeline text colours: shots like the monitors' labels, injections by cement phase, leaks red
ROW_COLOURS = {"shot": "#f0d36a", "place": "#ff80ff", "select": "#ff80ff", "advance": "#d0a0ff", "aim": "#d0a0ff",
               "mix": "#5aa0ff",
               "finish": "#ffffff", "decide": "#a0a0a0"}
LEAK_ROW_COLOUR = "#ff5050"

#: colours of the 3-D state (RGBA)
TROCAR_RGBA = (1.0, 0.25, 1.0, 1.0)
CEMENT_RGBA = (0.35, 0.9, 1.0, 0.9)
LEAK_RGBA = (1.0, 0.2, 0.2, 1.0)


@dataclass(frozen=True)
class Moment:
    """The replayed state after action ``index`` (0-based, in the session's order)."""

    index: int
    t_s: float
    images: dict          #: view -> ShotImage (the last shot of each view up to this moment)
    state: object         #: SceneState
    phase: str            #: cement phase ('unmixed' before mixing)


def _describe(action: dict, summary: dict) -> str:
    kind = action.get("type", "?")
    summary = summary or {}
    if kind == "decide":
        return f"checklist: {action.get('item')} = {action.get('answer')}"
    if kind == "carm":
        view = summary.get("view", "")
        return f"C-arm to {action['preset']}" if "preset" in action else \
            f"C-arm moved ({view}, orbital {action.get('orbital_deg', '·')}°)"
    if kind == "shot":
        n = action.get("pulses", 1)
        return ("fluoro run" if action.get("continuous") else "shot") + (f" ({n} pulses)" if n != 1 else "")
    if kind == "place":
        return f"trocar placed, {action.get('side')} pedicle"
    if kind == "select":
        return f"active trocar: {action.get('side')}"
    if kind == "aim":
        return "aim"
    if kind == "advance":
        mm = float(action.get("mm", 0))
        tissue = summary.get("tissue", "")
        return (f"advance {mm:g} mm" if mm > 0 else f"withdraw {-mm:g} mm") + (f" → {tissue}" if tissue else "")
    if kind == "mix":
        return "cement mixed"
    if kind == "wait":
        return f"wait {float(action.get('s', 0)):g} s"
    if kind == "inject":
        phase = summary.get("phase", "")
        text = f"inject {float(action.get('ml', 0)):g} mL" + (f" ({phase})" if phase else "")
        if "injected_ml" in summary:
            text += f", total {float(summary['injected_ml']):.2f} mL"
        leaks = summary.get("new_leaks") or []
        if leaks:
            what = ", ".join(_leak_words(lk) for lk in leaks)
            text += f" — LEAK: {what}"
        return text
    if kind == "finish":
        return "finished"
    return kind


def _leak_words(leak) -> str:
    """One new leak of an inject summary: ``'C (anterior cortex)'``; sessions recorded before the site was
    kept list the type alone."""
    if not isinstance(leak, dict):
        return str(leak)
    kind, region = str(leak.get("type", "?")), leak.get("region")
    return f"{kind} ({region})" if region else kind


def timeline_rows(record) -> list[tuple[int, float, str, str]]:
    """(entry index, simulated time s, kind, text) of every accepted action of a session record."""
    rows = []
    for i, e in enumerate(record.entries):
        if not e.get("accepted", True):
            continue
        action = e["action"]
        rows.append((i, float(e.get("t_s", 0.0)), str(action.get("type", "?")),
                     _describe(action, e.get("summary") or {})))
    return rows


def patient_key(record) -> tuple:
    """What a session's patient is built from: its scenario text (by its recorded SHA-256) and, for a patient
    CT, the series it was recorded on (its fingerprint).  Two loads with the same key can share one patient:
    the replay starts from a fresh procedure on it each time (:func:`~trainer.core.session.replay.procedure_for`).
    """
    return (record.header.get("scenario_sha256"), json.dumps(record.header.get("ct_series"), sort_keys=True))


class _Replayer:
    """Keeps one procedure replayed up to some action; runs on the review's worker thread."""

    def __init__(self, record, patient, scenario=None):
        self.record = record
        self.patient = patient
        self.scenario = scenario            #: parsed with the user's trusted CT folders
        self.proc = None
        self.next_index = 0

    def to(self, index: int, progress) -> Moment:
        from trainer.core.session.replay import procedure_for
        from trainer.ui.review_scene import scene_state

        if self.proc is None or index < self.next_index - 1:
            self.proc = procedure_for(self.record, render=True, patient=self.patient, scenario=self.scenario)
            self.next_index = 0
        entries = self.record.entries
        start = self.next_index
        for i in range(start, index + 1):
            self.proc.apply(entries[i]["action"])
            self.next_index = i + 1
            if (i - start) % 8 == 0:
                progress((i - start + 1) / max(1, index + 1 - start), f"Replaying action {i + 1}…")
        p = self.proc
        phase = "unmixed" if p.cement is None or p.mixed_at_s is None else str(p.cement.phase(p.t_s))
        return Moment(index, float(p.t_s), dict(p.last_images), scene_state(p), phase)


class ReviewWidget(QWidget):
    """Signals: ``debriefRequested()``.  :meth:`load` a finished session file."""

    debriefRequested = Signal()
    momentShown = Signal(object)      #: Moment

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.runner = Runner(max_threads=1, parent=self)
        self.runner.channel("load", latest_only=True)
        self.runner.channel("moment", latest_only=True)
        self.runner.finished.connect(self._on_done)
        self.record = None
        self.moment: Moment | None = None
        self.surfaces = []
        self._replayer = None
        #: ``(patient_key, (scenario, patient, surfaces), ct_series_found)`` of the last patient built, kept for the
        #: next load
        self._built: tuple | None = None
        self._building = None
        self.back_button = QPushButton("◀ Debrief")
        self.back_button.setToolTip("Back to the score and the metric table  [Ctrl+D]")
        self.back_button.clicked.connect(self.debriefRequested)
        self.title = QLabel("<b>Review</b>: click an event in the timeline to replay the attempt to that moment")
        self.busy = QLabel("")
        #: what ``vptrainer assess`` says about the session file (CR LF line ends, its scenario file edited since...)
        self.notes = AssessmentNotes()
        self._roots: tuple = ()
        self.monitors = {v: FluoroMonitor(v) for v in ("ap", "lateral")}
        self.gl = self._make_gl()
        self.timeline = QListWidget()
        self.timeline.setObjectName("reviewTimeline")
        self.timeline.setToolTip("Every action of the attempt at its simulated time; click one to see the images "
                                 "and the 3-D state right after it (replayed from the session file)")
        self.timeline.currentRowChanged.connect(self._row_chosen)
        self.legend = QLabel("<span style='color:#dcd6c2'>■</span> bone &nbsp; <span style='color:#fadc28'>■</span>"
                             " pedicle walls &nbsp; <span style='color:#5a8cff'>■</span> canal &nbsp; "
                             "<span style='color:#ff40ff'>━</span> trocar &nbsp; <span style='color:#5ae6ff'>●</span>"
                             " cement &nbsp; <span style='color:#ff3232'>●</span> leak &nbsp; "
                             "(drag to rotate, wheel to zoom)")
        head = QHBoxLayout()
        head.addWidget(self.back_button)
        head.addWidget(self.title, 1)
        head.addWidget(self.busy)
        mons = QHBoxLayout()
        for m in self.monitors.values():
            mons.addWidget(m, 1)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(mons, 1)
        three = QWidget()
        tl = QVBoxLayout(three)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.gl, 1)
        tl.addWidget(self.legend)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(left)
        top.addWidget(three)
        top.setSizes([900, 600])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.timeline)
        split.setSizes([640, 260])
        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addWidget(self.notes)
        lay.addWidget(split, 1)

    # ------------------------------------------------------------ 3-D
    def _make_gl(self):
        import pyqtgraph.opengl as gl

        w = gl.GLViewWidget()
        w.setObjectName("review3d")
        w.setBackgroundColor("#101418")
        # from above, behind and to the patient's left: the trocar's way in is in view
        w.setCameraPosition(distance=135, elevation=32, azimuth=55)
        w.setMinimumSize(300, 300)
        w.setToolTip("The vertebra in 3-D: drag to rotate, wheel to zoom")
        self._gl_items = {"anatomy": [], "state": []}
        return w

    def _draw_surfaces(self) -> None:
        import pyqtgraph.opengl as gl

        for item in self._gl_items["anatomy"]:
            self.gl.removeItem(item)
        self._gl_items["anatomy"] = []
        for order, s in enumerate(self.surfaces):
            md = gl.MeshData(vertexes=s.vertices_mm, faces=s.faces)
            item = gl.GLMeshItem(meshdata=md, smooth=True, color=s.rgba, shader="shaded",
                                 glOptions="translucent" if s.rgba[3] < 1 else "opaque")
            # drawn after the trocar and the cement, so they show through the translucent bone, and in
            # the surfaces' order (STRUCTURES: the bone around the pedicles and the canal comes last)
            item.setDepthValue(10 + order)
            self.gl.addItem(item)
            self._gl_items["anatomy"].append(item)

    def _draw_state(self, state) -> None:
        import pyqtgraph.opengl as gl

        for item in self._gl_items["state"]:
            self.gl.removeItem(item)
        self._gl_items["state"] = []
        for _side, skin, tip in state.trocars:
            line = gl.GLLinePlotItem(pos=np.stack([skin, tip]).astype(np.float32), color=TROCAR_RGBA, width=4,
                                     antialias=True, glOptions="opaque")
            self.gl.addItem(line)
            self._gl_items["state"].append(line)
        for pts, rgba, size in ((state.cement_mm, CEMENT_RGBA, 1.2), (state.leak_mm, LEAK_RGBA, 1.6)):
            if len(pts):
                sc = gl.GLScatterPlotItem(pos=np.asarray(pts, np.float32), color=rgba, size=size, pxMode=False,
                                          glOptions="opaque")
                self.gl.addItem(sc)
                self._gl_items["state"].append(sc)

    def state_items(self) -> dict:
        """What the 3-D view holds now: ``{'trocars': n, 'cement_points': n, 'leak_points': n, 'surfaces': n}``."""
        st = self.moment.state if self.moment is not None else None
        return {"surfaces": len(self._gl_items["anatomy"]),
                "trocars": 0 if st is None else len(st.trocars),
                "cement_points": 0 if st is None else len(st.cement_mm),
                "leak_points": 0 if st is None else len(st.leak_mm)}

    # ------------------------------------------------------------ loading and replaying
    def load(self, session_path, ct_roots=()) -> None:
        """Read a session, build its patient and surfaces off-thread, then show its last moment.

        ``ct_roots``: folders the user trusts (besides the session's own) in which a patient-CT
        scenario's ``[ct] folder`` is looked up, as a resumed session does (the GUI passes the
        folders of the scenario files this user started sessions from).
        """
        from trainer.core.session.reader import read_session

        self.record = read_session(Path(session_path))
        self.timeline.blockSignals(True)
        self.timeline.clear()
        for i, t_s, kind, text in timeline_rows(self.record):
            item = QListWidgetItem(f"{mmss(t_s):>6}   {text}")
            colour = ROW_COLOURS.get(kind)
            if "LEAK" in text:
                colour = LEAK_ROW_COLOUR
            elif kind == "inject":
                colour = PHASE_COLOURS.get(text.split("(")[-1].split(")")[0], colour)
            if colour:
                item.setForeground(QColor(colour))
            item.setData(Qt.ItemDataRole.UserRole, i)
            item.setData(Qt.ItemDataRole.UserRole + 1, kind)
            self.timeline.addItem(item)
        self.timeline.blockSignals(False)
        self.moment = None
        self._replayer = None
        self.notes.show_notes(())                      # said once the scenario is read (_show_built)
        record = self.record
        key = patient_key(record)
        roots = self._roots = tuple(str(r) for r in ct_roots)
        if self._built is not None and self._built[0] == key:
            # the same case's patient: no second build; its series was found where the built one's was
            record.ct_series_found = self._built[2]
            self._show_built(*self._built[1])
            return
        self._building = key
        self.busy.setText("Building the 3-D view…")

        def job(_p, progress):
            from trainer.service.view import patient_with_progress
            from trainer.ui.review_scene import anatomy_surfaces

            scenario = record.scenario(allowed_roots=roots)
            patient = patient_with_progress(scenario, progress)
            return scenario, patient, anatomy_surfaces(patient)

        self.runner.submit("load", job)

    def _show_built(self, scenario, patient, surfaces) -> None:
        """Replay the loaded session on ``patient`` (built for its case) and show its final moment."""
        from trainer.core.session.notes import notes_for

        self.surfaces = surfaces
        # the notes assess prints for this file, in its words (one home); until round 39 the review said none
        self.notes.show_notes(notes_for(self.record, scenario, allowed_roots=self._roots,
                                        unfinished=not self.record.complete))
        self._replayer = _Replayer(self.record, patient, scenario)
        self._draw_surfaces()
        self.timeline.setCurrentRow(self.timeline.count() - 1)     # the final moment first

    def show_moment(self, entry_index: int) -> int:
        """Replay to session entry ``entry_index`` (off-thread); ``momentShown`` when drawn."""
        replayer = self._replayer
        self.busy.setText("Replaying…")
        return self.runner.submit("moment", lambda _p, progress: replayer.to(entry_index, progress))

    def _row_chosen(self, row: int) -> None:
        if row < 0 or self._replayer is None:
            return
        self.show_moment(int(self.timeline.item(row).data(Qt.ItemDataRole.UserRole)))

    def _on_done(self, resp) -> None:
        if resp.error is not None:
            self.busy.setText(f"<span style='color:#ff7070'>{type(resp.error).__name__}: {resp.error}</span>")
            return
        if resp.channel == "load":
            self._built = (self._building, resp.value, self.record.ct_series_found)
            self._show_built(*resp.value)
            return
        m: Moment = resp.value
        self.moment = m
        for view, mon in self.monitors.items():
            img = m.images.get(view)
            if img is None:
                mon.clear()
            else:
                p = img.pose
                mon.show_image(img.pixels, f"orb {p.orbital_deg:+.1f}°  tilt {p.tilt_deg:+.1f}°",
                               f"#{img.index}  t {mmss(img.t_s)}")
        self._draw_state(m.state)
        self.busy.setText(f"t {mmss(m.t_s)} · cement {m.phase}")
        self.momentShown.emit(m)
