"""The detected column on a sagittal overview, numbered, with the chosen vertebra highlighted.

Shown in the Import patient CT editor (:mod:`trainer.ui.ct_landmarks`) so the instructor
confirms the numbering that :func:`trainer.core.anatomy.ct_spine.detect_column` found (or,
when it is uncertain or wrong, clicks the target body).  The image is a maximum-intensity slab
(:func:`sagittal_slab`) about the canal's median x; each vertebra is a box from its lower
to its upper disc around its body centre, labelled with its level (``#n`` counted from the
top when the numbering is uncertain).  A white dashed box marks the landmarks the editor shows
(:meth:`ColumnOverview.show_landmarks`: from the inferior to the superior endplate, around the
body centre), so the instructor sees which vertebra they are on and that it is the one numbered.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import QGraphicsRectItem, QVBoxLayout, QWidget

from trainer.ui.ct_slices import LEVELS_HU, plain_mm_axes

__all__ = ["ColumnOverview", "sagittal_slab", "vertebra_names"]

#: half-width (mm) of the sagittal slab about the canal's x
SLAB_HALF_MM = 12.0
_CHOSEN = "#ffd030"
_OTHER = "#7fb0ff"
_LANDMARKS = "#ffffff"
#: behind each level's label: near-black, mostly opaque, so the label reads on the bone it can fall on
#: (chest CT: T4-T11 on the bodies, 1.4-2.4:1 against their pixels without it; WCAG asks 3:1 of bold text)
_LABEL_FILL = (10, 12, 16, 215)
#: half the depth (y, mm) of a vertebra's box about its body centre
BOX_HALF_MM = 18.0


def sagittal_slab(volume, column) -> tuple[np.ndarray, float]:
    """(maximum HU over x within :data:`SLAB_HALF_MM` of the canal's median x, as (z, y); that x mm)."""
    g = volume.grid
    xy = np.asarray(column.canal_xy_mm, float) if column is not None else np.zeros((0, 2))
    ok = ~np.isnan(xy[:, 0]) if xy.size else np.zeros(0, bool)
    x0 = float(np.median(xy[ok, 0])) if ok.any() else float(g.origin_mm[0] + 0.5 * (g.shape[2] - 1) * g.spacing_xyz_mm[0])
    x = g.axis_mm("x")
    cols = np.flatnonzero(np.abs(x - x0) <= SLAB_HALF_MM)
    if not cols.size:
        cols = np.array([int(np.argmin(np.abs(x - x0)))])
    return volume.hu[:, :, cols[0]:cols[-1] + 1].max(axis=2), x0


def vertebra_names(column) -> list[str]:
    """Each vertebra's label on the overview: its level; the segment right below a numbered L5 is the
    sacrum (``S1``: never a target, so the numbering leaves it unnamed); else ``#n`` from the top."""
    names = []
    for i, v in enumerate(column.vertebrae):
        if v.level:
            names.append(v.level)
        elif i > 0 and column.vertebrae[i - 1].level == "L5":
            names.append("S1")
        else:
            names.append(f"#{i + 1}")
    return names


class ColumnOverview(QWidget):
    """Sagittal slab with one clickable box per detected vertebra.

    Attributes
    ----------
    boxes, texts : list
        The vertebrae's boxes (QGraphicsRectItem) and labels (TextItem), cranial first.
    landmarks_box : QGraphicsRectItem
        The box of the landmarks shown (hidden until :meth:`show_landmarks`).
    chosen : int or None
        Index of the highlighted vertebra.
    """

    vertebraClicked = Signal(int)      #: index into the column's vertebrae

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setMinimumSize(220, 300)
        pi = self.plot.getPlotItem()
        pi.setAspectLocked(True)
        pi.setMenuEnabled(False)
        pi.setLabel("bottom", "y (mm, posterior →)")
        pi.setLabel("left", "z (mm, superior ↑)")
        plain_mm_axes(pi)
        pi.setTitle("Column (sagittal)", color="#dcdcdc", size="11pt")
        self.image = pg.ImageItem(axisOrder="row-major")
        pi.addItem(self.image)
        self.boxes: list = []
        self.texts: list = []
        self.names: list[str] = []
        self.chosen: int | None = None
        self.column = None
        self.landmarks_box = QGraphicsRectItem()
        self.landmarks_box.setPen(pg.mkPen(_LANDMARKS, width=2, style=Qt.PenStyle.DashLine))
        self.landmarks_box.setZValue(6)
        self.landmarks_box.hide()
        pi.addItem(self.landmarks_box)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot)
        self.plot.scene().sigMouseClicked.connect(self._clicked)

    def show_column(self, volume, column, slab: np.ndarray | None = None, chosen: int | None = None) -> None:
        """Draw the slab of ``volume`` and the boxes of ``column``'s vertebrae."""
        pi = self.plot.getPlotItem()
        for item in self.boxes + self.texts:
            pi.removeItem(item)
        self.boxes, self.texts = [], []
        self.column = column
        g = volume.grid
        if slab is None:
            slab, _ = sagittal_slab(volume, column)
        lo = np.asarray(g.origin_mm) - 0.5 * np.asarray(g.spacing_xyz_mm)
        hi = g.upper_mm + 0.5 * np.asarray(g.spacing_xyz_mm)
        self.image.setImage(slab, levels=LEVELS_HU, autoLevels=False)
        self.image.setRect(QRectF(lo[1], lo[2], hi[1] - lo[1], hi[2] - lo[2]))
        self.names = vertebra_names(column) if column is not None else []
        for v, name in zip(column.vertebrae if column is not None else [], self.names):
            y = float(v.body_centre_mm[1])
            box = QGraphicsRectItem(y - BOX_HALF_MM, v.z_bottom_mm, 2 * BOX_HALF_MM, v.z_top_mm - v.z_bottom_mm)
            pi.addItem(box)
            text = pg.TextItem(name, anchor=(1.0, 0.5), fill=pg.mkBrush(*_LABEL_FILL))
            text.setZValue(7)                      # over the boxes' lines and the landmarks' box
            font = text.textItem.font()
            font.setPointSize(11)
            font.setBold(True)
            text.setFont(font)
            text.setPos(y - BOX_HALF_MM - 2.0, 0.5 * (v.z_top_mm + v.z_bottom_mm))
            pi.addItem(text)
            self.boxes.append(box)
            self.texts.append(text)
        self.set_chosen(chosen)
        self.fit_column()

    def fit_column(self) -> None:
        """Zoom to the detected column (the whole image when none was found)."""
        pi = self.plot.getPlotItem()
        col = self.column
        if col is None or not col.vertebrae:
            pi.autoRange()
            return
        zs = [v.z_bottom_mm for v in col.vertebrae] + [v.z_top_mm for v in col.vertebrae]
        ys = [v.body_centre_mm[1] for v in col.vertebrae] + [v.canal_centre_mm[1] for v in col.vertebrae]
        pi.setRange(xRange=(min(ys) - 60.0, max(ys) + 35.0), yRange=(min(zs) - 15.0, max(zs) + 15.0), padding=0.0)

    def set_chosen(self, index: int | None) -> None:
        """Highlight vertebra ``index`` (None: none); every label back to the column's name."""
        self.chosen = index
        for i, (box, text) in enumerate(zip(self.boxes, self.texts)):
            on = i == index
            text.setText(self.names[i])
            box.setPen(pg.mkPen(_CHOSEN if on else _OTHER, width=3 if on else 1))
            text.setColor(pg.mkColor(_CHOSEN if on else _OTHER))
            box.setZValue(5 if on else 4)

    def name_chosen(self, level: str) -> None:
        """Label the highlighted vertebra ``level`` with its own name after it, ``'T11 (T12)'``: the
        instructor took it as ``level`` against the numbering."""
        if self.chosen is not None and self.names[self.chosen] != level:
            self.texts[self.chosen].setText(f"{level} ({self.names[self.chosen]})")

    def show_landmarks(self, body_centre_mm, superior_z_mm: float, inferior_z_mm: float) -> None:
        """Mark the landmarks' vertebra: from ``inferior_z_mm`` to ``superior_z_mm``, :data:`BOX_HALF_MM`
        either side of the body centre's y (``body_centre_mm``: x, y, z mm); None hides the mark."""
        if body_centre_mm is None:
            self.landmarks_box.hide()
            return
        lo, hi = sorted((float(inferior_z_mm), float(superior_z_mm)))
        y = float(body_centre_mm[1])
        self.landmarks_box.setRect(QRectF(y - BOX_HALF_MM, lo, 2 * BOX_HALF_MM, hi - lo))
        self.landmarks_box.show()

    def index_at(self, y_mm: float, z_mm: float) -> int | None:
        """The vertebra whose box holds (y, z) mm, else None."""
        for i, box in enumerate(self.boxes):
            if box.rect().contains(y_mm, z_mm):
                return i
        return None

    def label_at(self, scene_pos) -> int | None:
        """The vertebra whose label (its number, left of its box) holds scene point ``scene_pos``, else None."""
        for i, text in enumerate(self.texts):
            if text.isVisible() and text.sceneBoundingRect().contains(scene_pos):
                return i
        return None

    def _clicked(self, ev) -> None:
        # the status line says "a click picks a vertebra under its number": the number itself takes the click too
        # (round 39's first use clicked the label "T12" and nothing happened; only the box to its right took clicks)
        vb = self.plot.getPlotItem().vb
        p = vb.mapSceneToView(ev.scenePos())
        i = self.index_at(p.x(), p.y())
        if i is None:
            i = self.label_at(ev.scenePos())
        if i is not None:
            self.vertebraClicked.emit(i)
