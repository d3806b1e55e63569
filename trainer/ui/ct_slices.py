"""Three orthogonal CT slices with draggable landmark markers (the CT landmark editor's views).

Views are in the series' patient millimetres (DICOM LPS), the pixels placed with the true
spacing and the aspect locked: **axial** ``x`` right / ``y`` down (anterior at the top,
patient right on the left), **sagittal** ``y`` right / ``z`` up (anterior on the left, head
up), **coronal** ``x`` right / ``z`` up.  Bone window (:data:`trainer.service.reveal.BONE_WINDOW`).

Point landmarks are :class:`pyqtgraph.TargetItem` cross-hairs, drawn in a view when they lie
within :data:`VISIBLE_MM` of its plane (the selected one always); the endplates are
horizontal :class:`pyqtgraph.InfiniteLine` s in the sagittal and coronal views.  A drag
emits :attr:`SliceViews.markerMoved` with the landmark's new value; the views hold no
landmark state of their own.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QHBoxLayout, QWidget

from trainer.service.reveal import BONE_WINDOW

__all__ = ["SliceViews", "VIEWS", "POINTS", "PLANES", "NAMES", "SHORT", "COLOURS", "VISIBLE_MM", "plain_mm_axes"]

VISIBLE_MM = 5.0
#: On load (``fit``), each view shows the landmarks' bounding box with this margin (mm), inside the
#: series: a vertebra fills the view instead of a speck in a whole chest's field of view.
FIT_MARGIN_MM = 30.0
VIEWS = ("axial", "sagittal", "coronal")
#: view -> (horizontal axis, vertical axis, normal axis) as indices into (x, y, z)
AXES = {"axial": (0, 1, 2), "sagittal": (1, 2, 0), "coronal": (0, 2, 1)}
_AXIS_TEXT = {"axial": ("x (mm)  R ← → L", "y (mm)  A ↑ ↓ P"), "sagittal": ("y (mm)  A ← → P", "z (mm)  I ↓ ↑ S"),
              "coronal": ("x (mm)  R ← → L", "z (mm)  I ↓ ↑ S")}
POINTS = ("body_centre_mm", "pedicle_left_centre_mm", "pedicle_right_centre_mm")
PLANES = ("superior_endplate_z_mm", "inferior_endplate_z_mm")
NAMES = {"body_centre_mm": "Body centre", "pedicle_left_centre_mm": "Left pedicle",
         "pedicle_right_centre_mm": "Right pedicle", "superior_endplate_z_mm": "Superior endplate",
         "inferior_endplate_z_mm": "Inferior endplate"}
SHORT = {"body_centre_mm": "body", "pedicle_left_centre_mm": "L pedicle", "pedicle_right_centre_mm": "R pedicle",
         "superior_endplate_z_mm": "superior endplate", "inferior_endplate_z_mm": "inferior endplate"}
COLOURS = {"body_centre_mm": "#40e0ff", "pedicle_left_centre_mm": "#50ff70", "pedicle_right_centre_mm": "#ff60ff",
           "superior_endplate_z_mm": "#ffd030", "inferior_endplate_z_mm": "#ff8c30"}
LEVELS_HU = (BONE_WINDOW[1] - BONE_WINDOW[0] / 2, BONE_WINDOW[1] + BONE_WINDOW[0] / 2)


def plain_mm_axes(plot_item) -> None:
    """Tick ``plot_item``'s bottom and left axes in plain millimetres: no SI prefix.  pyqtgraph scaled an
    empty view's ticks and added "(x0.001)" to its mm label (before a series is read: "x (mm) (x0.001)")."""
    for name in ("bottom", "left"):
        plot_item.getAxis(name).enableAutoSIPrefix(False)


class SliceViews(QWidget):
    """Axial, sagittal and coronal plots side by side.

    Attributes
    ----------
    plots, images : dict
        ``view -> PlotWidget`` and ``view -> ImageItem`` (row-major).
    markers : dict
        ``markers[key][view]``: TargetItem (points, all views) or InfiniteLine (endplates,
        sagittal and coronal).
    """

    markerMoved = Signal(str, object)   #: landmark key, new value ((x, y, z) mm or z mm)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plots, self.images = {}, {}
        self.landmarks: dict | None = None
        self._syncing = False
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for v in VIEWS:
            pw = pg.PlotWidget()
            pw.setMinimumSize(320, 300)
            pi = pw.getPlotItem()
            pi.setAspectLocked(True)
            pi.setMenuEnabled(False)
            pi.setLabel("bottom", _AXIS_TEXT[v][0])
            pi.setLabel("left", _AXIS_TEXT[v][1])
            plain_mm_axes(pi)
            if v == "axial":
                pi.invertY(True)
            img = pg.ImageItem(axisOrder="row-major")
            pi.addItem(img)
            self.plots[v], self.images[v] = pw, img
            lay.addWidget(pw, 1)
        self.markers: dict = {k: {} for k in POINTS + PLANES}
        for key in POINTS:
            for v in VIEWS:
                # under the pointer and while dragged: the landmark's own colour, thicker (pyqtgraph's default
                # hover colour is magenta, the right pedicle's: a dragged body centre looked like that pedicle)
                m = pg.TargetItem(pos=(0, 0), size=16, symbol="crosshair", pen=pg.mkPen(COLOURS[key], width=2),
                                  brush=pg.mkBrush(0, 0, 0, 0), hoverPen=pg.mkPen(COLOURS[key], width=4),
                                  hoverBrush=pg.mkBrush(0, 0, 0, 0), movable=True, label=SHORT[key],
                                  labelOpts={"color": COLOURS[key], "offset": (16, -16)})
                m.setZValue(10)
                m.sigPositionChanged.connect(lambda item, k=key, view=v: self._point_moved(k, view, item))
                self.plots[v].addItem(m)
                m.hide()
                self.markers[key][v] = m
        for key in PLANES:
            for v in ("sagittal", "coronal"):
                line = pg.InfiniteLine(pos=0, angle=0, movable=True, pen=pg.mkPen(COLOURS[key], width=2),
                                       hoverPen=pg.mkPen("#ffffff", width=3), label=SHORT[key],
                                       labelOpts={"color": COLOURS[key], "position": 0.3})
                line.setZValue(9)
                line.sigPositionChanged.connect(lambda item, k=key: self._line_moved(k, item))
                self.plots[v].addItem(line)
                line.hide()
                self.markers[key][v] = line

    def _point_moved(self, key: str, view: str, item) -> None:
        if self._syncing or self.landmarks is None:
            return
        h, v, _n = AXES[view]
        xyz = list(self.landmarks[key])
        p = item.pos()
        xyz[h], xyz[v] = p.x(), p.y()
        self.markerMoved.emit(key, tuple(xyz))

    def _line_moved(self, key: str, item) -> None:
        if not self._syncing and self.landmarks is not None:
            self.markerMoved.emit(key, float(item.value()))

    def draw(self, volume, landmarks: dict, selected: str, cursor_mm, fit: bool = False,
             markers: bool = True) -> None:
        """Slices of ``volume`` through ``cursor_mm`` (x, y, z) and the markers of ``landmarks``;
        ``markers`` False: none drawn (no place to put them: the target level is not in the series)."""
        self.landmarks = landmarks
        g = volume.grid
        lo = np.asarray(g.origin_mm) - 0.5 * np.asarray(g.spacing_xyz_mm)
        hi = g.upper_mm + 0.5 * np.asarray(g.spacing_xyz_mm)
        c = np.asarray(cursor_mm, float)
        k, j, i = g.nearest_index(c)
        cuts = {"axial": volume.hu[k], "sagittal": volume.hu[:, :, i], "coronal": volume.hu[:, j, :]}
        self._syncing = True
        try:
            for view in VIEWS:
                h, v, n = AXES[view]
                img = self.images[view]
                img.setImage(cuts[view], levels=LEVELS_HU, autoLevels=False)
                img.setRect(QRectF(lo[h], lo[v], hi[h] - lo[h], hi[v] - lo[v]))
                self.plots[view].getPlotItem().setTitle(
                    f"{view.capitalize()}  {'xyz'[n]} = {c[n]:.1f} mm", color="#dcdcdc", size="11pt")
                for key in POINTS:
                    p = landmarks[key]
                    m = self.markers[key][view]
                    m.setPos(p[h], p[v])
                    m.setVisible(markers and bool(key == selected or abs(p[n] - c[n]) <= VISIBLE_MM))
                    m.setPen(pg.mkPen(COLOURS[key], width=3 if key == selected else 1.5))
                if fit:
                    a, b = _fit_box(landmarks, lo, hi)
                    self.plots[view].getPlotItem().setRange(xRange=(a[h], b[h]), yRange=(a[v], b[v]), padding=0.0)
            for key in PLANES:
                for line in self.markers[key].values():
                    line.setValue(landmarks[key])
                    line.setVisible(markers)
                    line.setPen(pg.mkPen(COLOURS[key], width=3 if key == selected else 1.5))
        finally:
            self._syncing = False


def _fit_box(landmarks: dict, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The landmarks' bounding box (x, y, z mm) grown by :data:`FIT_MARGIN_MM`, clipped to ``lo``..``hi``."""
    pts = np.array([landmarks[k] for k in POINTS], float)
    a, b = pts.min(axis=0), pts.max(axis=0)
    zs = [landmarks[k] for k in PLANES]
    a[2], b[2] = min(a[2], *zs), max(b[2], *zs)
    return np.maximum(a - FIT_MARGIN_MM, lo), np.minimum(b + FIT_MARGIN_MM, hi)
