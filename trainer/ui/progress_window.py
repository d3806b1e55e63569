"""'My progress': a trainee's learning curves from the trainee store.

Top: the CUSUM chart of pass/fail (standard Bolsin/Colson with its limits redrawn at each
crossing, or the LC-CUSUM with its limit h), competence crossings (green) and relapses
(red) marked.  Bottom: the chosen metric against the attempt number, each point coloured by
its status (a score by its attempt's pass or fail); an unfinished attempt has no point there (the summary names
it).  Trainee, scenario family, the failure-rate preset and p0/p1 are editable; every number comes from
:mod:`trainer.core.records`.
"""

from __future__ import annotations

from dataclasses import replace

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from trainer.core.records.cusum import PRESETS
from trainer.core.records.progress import scenario_family, trainee_progress, unfinished_words
from trainer.core.records.store import open_store

__all__ = ["ProgressWindow", "SharedWidthAxis"]

STATUS_BRUSH = {"pass": (60, 170, 90), "warn": (230, 170, 40), "fail": (210, 60, 60)}
EVENT_BRUSH = {"competent": (40, 180, 80), "relapse": (220, 50, 50), "unacceptable": (220, 50, 50)}


class SharedWidthAxis(pg.AxisItem):
    """A left axis as wide as the widest of its ``group`` (the charts stacked in one column), so their plot areas
    start at the same x and attempt n sits above attempt n.  pyqtgraph sizes each axis to its own tick labels and
    title: after a resident's two attempts the CUSUM chart's area started 18 px left of the score chart's
    (round 24).

    Public pyqtgraph API only: the tick labels' width is learnt when the axis draws them
    (:meth:`generateDrawSpecs`, which sets ``textWidth``), and every axis of the group is then given the widest
    one's width with :meth:`~pyqtgraph.AxisItem.setWidth` (round 24 overrode the private ``_updateWidth``).

    Parameters
    ----------
    group : list of SharedWidthAxis
        The axes to keep equally wide; this one appends itself.
    """

    def __init__(self, group: list, orientation: str = "left"):
        self.natural_px = 0.0       # the width, in px, this axis needs alone (learnt when its ticks are drawn)
        self._group = group
        group.append(self)
        super().__init__(orientation)

    def natural_width_px(self) -> float:
        """The width (px) this axis needs for its tick labels, ticks and title, as pyqtgraph sizes a lone axis:
        the labels' width (``textWidth``, or the style's ``tickTextWidth`` when the text space is fixed), the
        style's ``tickTextOffset`` and ``tickLength``, and 0.8 of the title's height when it is shown."""
        style = self.style
        width_px = float(self.textWidth if style["autoExpandTextSpace"] else style["tickTextWidth"])
        width_px += style["tickTextOffset"][0] + max(0, style["tickLength"])
        if self.label.isVisible():
            width_px += self.label.boundingRect().height() * 0.8
        return width_px

    def generateDrawSpecs(self, p):
        """pyqtgraph's drawing commands for the ticks (its public method); then the group's widths shared."""
        specs = super().generateDrawSpecs(p)
        self.natural_px = self.natural_width_px()
        width_px = max(a.natural_px for a in self._group)
        for a in self._group:
            if a.fixedWidth != width_px:
                a.setWidth(width_px)
        return specs


class ProgressWindow(QWidget):
    """Learning curves of one trainee (``store_path``: the trainee store file)."""

    def __init__(self, store_path, trainee: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("My progress — vptrainer")
        # Escape closes it, as the trainer's dialogs (round 39's first use: under Xvfb, without a title bar, this
        # window could not be closed and covered the menu bar)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        self.store_path = store_path
        # the title inside the window too: with no window manager (a bare X server, a kiosk) there is no title bar
        # and the window opened over the review at the top left with no name (round 44's walk)
        self.heading = QLabel("<b>My progress</b> — learning curves from the records")
        self.heading.setObjectName("windowHeading")
        with open_store(store_path) as st:
            self._all = st.attempts()
        self.trainee = QComboBox()
        names = sorted({a.trainee for a in self._all})
        self.trainee.addItems(names)
        if trainee in names:
            self.trainee.setCurrentText(trainee)
        self.family = QComboBox()
        self.method = QComboBox()
        self.method.addItems(["Standard CUSUM (Bolsin/Colson)", "LC-CUSUM (Biau & Porcher)"])
        self.preset = QComboBox()
        self.preset.addItems(list(PRESETS))
        self.preset.setCurrentText("10/20 %")
        self.p0 = QDoubleSpinBox(decimals=3, minimum=0.001, maximum=0.9, singleStep=0.01)
        self.p1 = QDoubleSpinBox(decimals=3, minimum=0.002, maximum=0.99, singleStep=0.01)
        self.metric_box = QComboBox()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Trainee", self.trainee)
        form.addRow("Scenario family", self.family)
        form.addRow("Chart", self.method)
        rates = QHBoxLayout()
        rates.addWidget(self.preset)
        rates.addWidget(QLabel("acceptable p0"))
        rates.addWidget(self.p0)
        rates.addWidget(QLabel("unacceptable p1"))
        rates.addWidget(self.p1)
        form.addRow("Failure rates", rates)
        form.addRow("Metric", self.metric_box)
        self.plots = pg.GraphicsLayoutWidget()
        left_axes: list = []
        self.cusum_plot = self.plots.addPlot(row=0, col=0, axisItems={"left": SharedWidthAxis(left_axes)})
        self.metric_plot = self.plots.addPlot(row=1, col=0, axisItems={"left": SharedWidthAxis(left_axes)})
        for p in (self.cusum_plot, self.metric_plot):
            p.showGrid(x=True, y=True, alpha=0.25)
            p.setLabel("bottom", "attempt")
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addLayout(form)
        lay.addWidget(self.summary)
        lay.addWidget(self.plots, 1)
        self._set_preset_values()
        self.trainee.currentTextChanged.connect(self._trainee_changed)
        self.preset.currentTextChanged.connect(lambda _t: (self._set_preset_values(), self.refresh()))
        for w in (self.family, self.method, self.metric_box):
            w.currentIndexChanged.connect(lambda _i: self.refresh())
        for w in (self.p0, self.p1):
            w.valueChanged.connect(lambda _v: self.refresh())
        self.progress: dict = {}
        self._passed: list[bool] = []
        self._trainee_changed(self.trainee.currentText())
        self.resize(900, 760)

    # ------------------------------------------------------------------ state
    def _set_preset_values(self) -> None:
        p = PRESETS[self.preset.currentText()]
        for box, v in ((self.p0, p.p0), (self.p1, p.p1)):
            box.blockSignals(True)
            box.setValue(v)
            box.blockSignals(False)

    def params(self):
        base = PRESETS[self.preset.currentText()]
        p0, p1 = self.p0.value(), self.p1.value()
        if p1 <= p0:
            return None
        return replace(base, p0=p0, p1=p1)

    def _attempts(self):
        fam = self.family.currentData()
        return [a for a in self._all if a.trainee == self.trainee.currentText()
                and (not fam or scenario_family(a.scenario_id) == fam)]

    def _trainee_changed(self, _name: str) -> None:
        fams = sorted({scenario_family(a.scenario_id) for a in self._all
                       if a.trainee == self.trainee.currentText()} - {""})
        self.family.blockSignals(True)
        self.family.clear()
        self.family.addItem("all scenarios", "")
        for f in fams:
            self.family.addItem(f.upper(), f)
        self.family.blockSignals(False)
        self.refresh()

    # ------------------------------------------------------------------ drawing
    def refresh(self) -> None:
        params = self.params()
        atts = self._attempts()
        self.cusum_plot.clear()
        self.metric_plot.clear()
        if params is None:
            self.summary.setText("The unacceptable failure rate p1 must be greater than the acceptable p0.")
            return
        if not atts:
            self.summary.setText("No attempts recorded yet.")
            return
        self.progress = prog = trainee_progress(atts, params)
        self._passed = [a.passed for a in atts]         # the attempts' outcomes, in the chart's order
        key = "cusum" if self.method.currentIndex() == 0 else "lc_cusum"
        chart = prog[key]
        self._draw_cusum(chart, params)
        ids = list(prog["metrics"])
        current = self.metric_box.currentText()
        self.metric_box.blockSignals(True)
        self.metric_box.clear()
        numeric = [m for m in ids if any(v is not None for v in prog["metrics"][m]["values"])]
        self.metric_box.addItems(["score"] + numeric)
        self.metric_box.setCurrentText(current if current in ["score", *numeric] else "score")
        self.metric_box.blockSignals(False)
        self._draw_metric(self.metric_box.currentText())
        self._attempt_axes(int(prog["attempts"]))
        events = ", ".join(f"{e['event']} at attempt {e['attempt']}" for e in chart["events"]) or "no crossing yet"
        n = int(prog["attempts"])
        left = unfinished_words(prog["unfinished_attempts"])
        # the unfinished attempts named: failures on the CUSUM, no point below (round 40: their metrics were drawn)
        unfinished = (f" {prog['unfinished']} unfinished ({left}): a failure on the CUSUM, left off the chart below "
                      "and its trend." if left else "")
        self.summary.setText(
            f"{n} attempt{'' if n == 1 else 's'}, {prog['passed']} passed ({100 * prog['pass_rate']:.0f} %).{unfinished} "
            f"{'Standard CUSUM' if key == 'cusum' else 'LC-CUSUM'}: {chart['state']} ({events}). "
            f"p0 = {params.p0:g}, p1 = {params.p1:g}, alpha = beta = {params.alpha:g}: s = {params.s:.3f}, "
            f"h = {params.h1:.2f}.")

    #: at most this many attempt numbers labelled on the bottom axes
    MAX_ATTEMPT_TICKS = 10

    def _attempt_axes(self, n_attempts: int) -> None:
        """Both plots over attempts 0..n with whole attempt numbers as ticks (pyqtgraph's own ticks read
        0.2, 0.4, ... for one or two attempts: round 22, after a resident's first attempt)."""
        step = next(base * 10 ** e for e in range(12) for base in (1, 2, 5)
                    if n_attempts <= self.MAX_ATTEMPT_TICKS * base * 10 ** e)
        for p in (self.cusum_plot, self.metric_plot):
            p.getAxis("bottom").setTickSpacing(major=step, minor=step)
            p.setXRange(0.0, max(n_attempts, 1) + 0.5, padding=0.02)

    def _draw_cusum(self, chart: dict, params) -> None:
        p = self.cusum_plot
        vals = chart["values"]
        x = list(range(1, len(vals) + 1))
        if chart["method"] == "standard":
            p.setTitle("CUSUM of failures (down = success; limits redrawn at each crossing)")
            refs = [0.0]
            for i in range(1, len(vals)):
                crossed = any(e["attempt"] == i for e in chart["events"])
                refs.append(vals[i - 1] if crossed else refs[-1])
            for key, color, text in (("h0", (40, 160, 80), "h0: competent"), ("h1", (210, 60, 60), "h1: unacceptable")):
                # a step line: attempt i is read against refs[i] (redrawn after each crossing)
                xs, ys = [], []
                for i, r in enumerate([refs[0], *refs]):
                    xs += [max(i - 0.5, 0.0), i + 0.5]
                    ys += [r + chart["limits"][key]] * 2
                p.plot(xs, ys, pen=pg.mkPen(color, width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
                label = pg.TextItem(text, color=color, anchor=(0, 0 if key == "h1" else 1))
                label.setPos(0.2, ys[0])
                p.addItem(label)
            p.setLabel("left", "CUSUM (failure units)")
        else:
            p.setTitle("LC-CUSUM (up = towards competence; below 0 after competence: the relapse watch)")
            h = chart["limits"]["h"]
            p.addLine(y=h, pen=pg.mkPen((40, 160, 80), width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
            p.addLine(y=-h, pen=pg.mkPen((210, 60, 60), width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
            for y, color, text, anchor in ((h, (40, 160, 80), "h: competent", (0, 1)),
                                           (-h, (210, 60, 60), "-h: relapse (after competence)", (0, 0))):
                label = pg.TextItem(text, color=color, anchor=anchor)
                label.setPos(0.2, y)
                p.addItem(label)
            p.setLabel("left", "LC-CUSUM (failure units)")
        self.cusum_curve = p.plot([0, *x], [0.0, *vals], pen=pg.mkPen((30, 90, 200), width=2), symbol="o", symbolSize=5,
               symbolBrush=(30, 90, 200))
        for e in chart["events"]:
            i = e["attempt"]
            p.plot([i], [vals[i - 1]], pen=None, symbol="star", symbolSize=16, symbolBrush=EVENT_BRUSH[e["event"]])
            label = pg.TextItem(e["event"], color=EVENT_BRUSH[e["event"]], anchor=(0.5, 1.4))
            label.setPos(i, vals[i - 1])
            p.addItem(label)

    def _draw_metric(self, metric_id: str) -> None:
        p = self.metric_plot
        prog = self.progress
        if metric_id == "score":
            # a score is read against its attempt's outcome: an 89 that failed on a critical error was drawn in the
            # same neutral blue as a pass, high on the axis (round 24, the resident's two failed attempts)
            vals, unit = prog["scores"], "0-100"     # "score (0-100)": it read "score (score 0-100)" until round 24
            statuses = ["pass" if ok else "fail" for ok in self._passed]
        else:
            m = prog["metrics"][metric_id]
            vals, statuses, unit = m["values"], m["statuses"], m["unit"]
        pts = [(i + 1, v, s) for i, (v, s) in enumerate(zip(vals, statuses)) if v is not None]
        p.setTitle(f"{metric_id} per attempt")
        p.setLabel("left", f"{metric_id} ({unit})" if unit and unit != metric_id else metric_id)
        ys = [q[1] for q in pts]
        if metric_id == "score":            # its whole 0-100 scale: one 51.5 autoscaled to 51.2-51.8 looked mid-range
            p.setYRange(0.0, 100.0, padding=0.05)
        elif ys and max(ys) == min(ys):     # one value: pyqtgraph kept the last span about it (0.5 Gy·cm² on -54..55)
            half = abs(ys[0]) / 2 or 1.0
            p.setYRange(ys[0] - half, ys[0] + half, padding=0.05)
        else:
            p.enableAutoRange(axis="y")
        if not pts:
            return
        p.plot([q[0] for q in pts], [q[1] for q in pts], pen=pg.mkPen((120, 120, 120), width=1))
        for status, brush in (*STATUS_BRUSH.items(), (None, (30, 90, 200))):
            sel = [q for q in pts if q[2] == status]
            if sel:
                p.plot([q[0] for q in sel], [q[1] for q in sel], pen=None, symbol="o", symbolSize=8, symbolBrush=brush)
