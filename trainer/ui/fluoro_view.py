"""One fluoroscopy monitor: the last image of a view, window/level, invert, labels, picking.

The image sits in an aspect-locked pyqtgraph ViewBox (no pan or zoom: a monitor, not a
viewer).  Labels (view name, C-arm pose, shot number and time, LIH) are plain Qt labels
laid over the picture so they stay readable at any size.  A click on the image emits the
detector pixel ``(col, row)`` under the cursor (``pixelClicked``), mapped back through
the display flips, so the core's :func:`pixel_rays` can turn it into a ray.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from trainer.core.xray.display import to_display

__all__ = ["FluoroMonitor", "CARM_WINDOW"]

SLIDER_STEPS = 1000
#: window and level ``(window, level)`` of a stored shot: the C-arm's processing
#: (:func:`trainer.core.xray.display.carm_image`) already windowed it to [0, 1] (0 white, 1 black),
#: and ``vptrainer render`` writes its PNG with this window, so the monitor shows the same picture.
#: (Until round 9 the monitor took a second automatic window of the processed image, 0.5-99.5 %:
#: on the l2-discitis AP 8.5 grey levels paler than the CLI's, 2-9 levels off on every built-in case.)
CARM_WINDOW = (1.0, 0.5)


class _Overlay(QLabel):
    def __init__(self, parent, align, size_pt=13, bold=False):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAlignment(align)
        weight = "bold" if bold else "normal"
        self.setStyleSheet(f"color: #f0d36a; background: rgba(0,0,0,110); padding: 2px 6px;"
                           f"font-size: {size_pt}pt; font-weight: {weight};")


class FluoroMonitor(QWidget):
    """A monitor for one view (``'ap'``, ``'lateral'`` or ``'oblique'``).

    Signals
    -------
    pixelClicked(float, float)
        Detector pixel (col, row) under a left click, display flips undone.
    """

    pixelClicked = Signal(float, float)

    TITLES = {"ap": "AP", "lateral": "LATERAL", "oblique": "OBLIQUE"}

    def __init__(self, view: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.view = view
        self._image: np.ndarray | None = None     # detector image as received (float)
        self._shape = (0, 0)
        self._window = 1.0
        self._level = 0.0
        self._range = (0.0, 1.0)
        self._invert = False
        self._flip_h = False
        self._flip_v = False
        self._pick_enabled = False
        self._active = None

        self.frame = QFrame(self)
        self.frame.setObjectName("monitorFrame")
        self.graphics = pg.GraphicsLayoutWidget(self.frame)
        self.graphics.setBackground("#000000")
        self.graphics.ci.setContentsMargins(0, 0, 0, 0)
        self.viewbox = self.graphics.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.viewbox.setMouseEnabled(False, False)
        self.viewbox.setDefaultPadding(0.0)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.viewbox.addItem(self.image_item)
        self.marker = pg.ScatterPlotItem(size=18, symbol="+", pen=pg.mkPen("#00e0ff", width=2), brush=None)
        self.viewbox.addItem(self.marker)
        self.graphics.scene().sigMouseClicked.connect(self._on_click)
        self.graphics.viewport().installEventFilter(self)   # right-drag: window/level
        self._drag = None

        fl = QVBoxLayout(self.frame)
        fl.setContentsMargins(3, 3, 3, 3)
        fl.addWidget(self.graphics)

        top = Qt.AlignmentFlag.AlignTop
        bottom = Qt.AlignmentFlag.AlignBottom
        left, right = Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignRight
        self.title_label = _Overlay(self.graphics, top | Qt.AlignmentFlag.AlignHCenter, 16, bold=True)
        self.title_label.setText(self.TITLES.get(view, view.upper()))
        self.shot_label = _Overlay(self.graphics, top | right)
        self.pose_label = _Overlay(self.graphics, bottom | left)
        self.hold_label = _Overlay(self.graphics, bottom | right, 12, bold=True)
        self.empty_label = QLabel("No image yet\ntake a shot in this view", self.graphics)
        self.empty_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet("color: #888; font-size: 14pt;")

        self.window_slider = QSlider(Qt.Orientation.Horizontal)
        self.level_slider = QSlider(Qt.Orientation.Horizontal)
        for s in (self.window_slider, self.level_slider):
            s.setRange(1, SLIDER_STEPS)
            s.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            s.valueChanged.connect(self._on_slider)
        self.window_slider.setToolTip("Window (contrast)")
        self.level_slider.setToolTip("Level (brightness)")
        self.auto_button = QPushButton("Reset")
        self.auto_button.setToolTip("Back to the C-arm's own window and level (the picture as the C-arm "
                                    "processed it, the same as 'vptrainer render' writes)")
        self.auto_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.auto_button.clicked.connect(self.auto_levels)
        self.invert_box = QCheckBox("Invert")
        self.invert_box.setToolTip("Show dense structures white instead of dark (this monitor)")
        self.invert_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.invert_box.toggled.connect(self.set_invert)

        self.controls = QWidget(self)
        controls = QHBoxLayout(self.controls)
        controls.setContentsMargins(2, 0, 2, 0)
        controls.addWidget(QLabel("W"))
        controls.addWidget(self.window_slider, 1)
        controls.addWidget(QLabel("L"))
        controls.addWidget(self.level_slider, 1)
        controls.addWidget(self.auto_button)
        controls.addWidget(self.invert_box)
        # no layout for the frame: :meth:`_place_square` keeps it square (a C-arm monitor shows a
        # square detector image; a layout stretched it into a tall panel, black above and below)
        self.setMinimumSize(160, 160 + self.CONTROLS_GAP_PX + self.controls.sizeHint().height())
        self.set_active(False)

    #: space between the picture's frame and the window/level row under it (px)
    CONTROLS_GAP_PX = 2

    # ------------------------------------------------------------------ state
    @property
    def has_image(self) -> bool:
        return self._image is not None

    @property
    def window_level(self) -> tuple[float, float]:
        return self._window, self._level

    def set_active(self, active: bool) -> None:
        """Mark the monitor of the view the C-arm points at now."""
        if self._active is not None and self._active == bool(active):
            return          # restyling is costly (style sheets): only on a real change
        self._active = bool(active)
        title = self.TITLES.get(self.view, self.view.upper())
        self.title_label.setText(f"{title}  <span style='color:#e0a020'>● C-arm</span>" if active else title)
        colour = "#e0a020" if active else "#303030"
        self.frame.setStyleSheet(f"#monitorFrame {{ border: 3px solid {colour}; background: black; }}")
        self._update_hold()

    def set_flips(self, flip_h: bool, flip_v: bool) -> None:
        self._flip_h, self._flip_v = bool(flip_h), bool(flip_v)
        self._render()

    def set_invert(self, invert: bool) -> None:
        self._invert = bool(invert)
        if self.invert_box.isChecked() != self._invert:
            self.invert_box.setChecked(self._invert)
        self._render()

    def set_pick_enabled(self, enabled: bool) -> None:
        """Whether a click picks a point (AP monitor while the trocar is not placed)."""
        self._pick_enabled = bool(enabled)
        self.graphics.setCursor(Qt.CursorShape.CrossCursor if enabled else Qt.CursorShape.ArrowCursor)

    def set_marker(self, col_row: tuple[float, float] | None) -> None:
        """Show a cross at detector pixel ``(col, row)`` (None hides it)."""
        if col_row is None:
            self.marker.setData([], [])
            return
        x, y = self._to_display_xy(*col_row)
        self.marker.setData([x], [y])

    def show_image(self, pixels: np.ndarray, pose_text: str, shot_text: str) -> None:
        """Show a new image of this view (the held image until the next one)."""
        first = self._image is None or self._image.shape != pixels.shape
        self._image = np.asarray(pixels, dtype=np.float32)
        self._shape = self._image.shape
        self.pose_label.setText(pose_text)
        self.shot_label.setText(shot_text)
        self.empty_label.hide()
        if first:
            lo, hi = float(np.min(self._image)), float(np.max(self._image))
            self._range = (lo, hi if hi > lo else lo + 1.0)
            self.auto_levels()
        else:
            self._render()
        self._update_hold()
        self._place_overlays()

    def clear(self) -> None:
        self._image = None
        self.image_item.clear()
        self.marker.setData([], [])
        self.shot_label.setText("")
        self.pose_label.setText("")
        self.empty_label.show()
        self._update_hold()

    def auto_levels(self) -> None:
        """Back to the C-arm's window and level (:data:`CARM_WINDOW`)."""
        if self._image is None:
            return
        self._window, self._level = CARM_WINDOW
        self._sync_sliders()
        self._render()

    def set_window_level(self, window: float, level: float) -> None:
        self._window, self._level = max(float(window), 1e-6), float(level)
        self._sync_sliders()
        self._render()

    def displayed_pixels(self) -> np.ndarray | None:
        """The uint8 picture on screen (after window/level, invert and flips)."""
        return None if self._image is None else self._display_array()

    # ------------------------------------------------------------------ internals
    def _display_array(self) -> np.ndarray:
        img = to_display(self._image, self._window, self._level, invert=self._invert)
        if self._flip_h:
            img = img[:, ::-1]
        if self._flip_v:
            img = img[::-1, :]
        return np.ascontiguousarray(img)

    def _render(self) -> None:
        if self._image is None:
            return
        self.image_item.setImage(self._display_array(), autoLevels=False, levels=(0, 255))
        self.viewbox.setRange(xRange=(0, self._shape[1]), yRange=(0, self._shape[0]), padding=0)

    def _sync_sliders(self) -> None:
        lo, hi = self._range
        span = hi - lo
        for slider, value in ((self.window_slider, self._window / (2 * span)),
                              (self.level_slider, (self._level - lo) / span)):
            slider.blockSignals(True)
            slider.setValue(int(np.clip(round(value * SLIDER_STEPS), 1, SLIDER_STEPS)))
            slider.blockSignals(False)

    def _on_slider(self) -> None:
        lo, hi = self._range
        span = hi - lo
        self._window = max(2 * span * self.window_slider.value() / SLIDER_STEPS, 1e-6)
        self._level = lo + span * self.level_slider.value() / SLIDER_STEPS
        self._render()

    def set_fluoro(self, on: bool) -> None:
        """Show that continuous fluoroscopy is running into this monitor."""
        self._fluoro = bool(on)
        self._update_hold()

    def _update_hold(self) -> None:
        style = "background: rgba(0,0,0,110); padding: 2px 6px; font-size: 12pt; font-weight: bold;"
        fluoro = getattr(self, "_fluoro", False)
        self.hold_label.setText("● FLUORO" if fluoro else ("" if self._image is None else "LIH"))
        sheet = ("color: #ff4040;" if fluoro else "color: #f0d36a;") + style
        if self.hold_label.styleSheet() != sheet:
            self.hold_label.setStyleSheet(sheet)
        self._place_overlays()

    def _to_display_xy(self, col: float, row: float) -> tuple[float, float]:
        n_rows, n_cols = self._shape if self._image is not None else (0, 0)
        if self._flip_h:
            col = n_cols - 1 - col
        if self._flip_v:
            row = n_rows - 1 - row
        return col + 0.5, row + 0.5

    def _on_click(self, event) -> None:
        if not self._pick_enabled or self._image is None or event.button() != Qt.MouseButton.LeftButton:
            return
        p = self.viewbox.mapSceneToView(event.scenePos())
        self.pick_display_xy(p.x(), p.y())

    def pick_display_xy(self, x: float, y: float) -> None:
        """Handle a pick at image-item coordinates ``(x, y)`` (pixel corners at integers)."""
        n_rows, n_cols = self._shape
        if not (0 <= x < n_cols and 0 <= y < n_rows):
            return
        col, row = x - 0.5, y - 0.5
        if self._flip_h:
            col = n_cols - 1 - col
        if self._flip_v:
            row = n_rows - 1 - row
        self.pixelClicked.emit(float(col), float(row))

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        """Right-drag on the image: left/right narrows/widens the window, up/down the level."""
        from PySide6.QtCore import QEvent

        et = event.type()
        if et == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.RightButton:
            if self._image is not None:
                self._drag = (event.position(), self._window, self._level)
            return True
        if et == QEvent.Type.MouseMove and self._drag is not None:
            start, w0, l0 = self._drag
            d = event.position() - start
            self.drag_window_level(w0, l0, d.x(), d.y())
            return True
        if et == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.RightButton:
            self._drag = None
            return True
        return super().eventFilter(obj, event)

    def drag_window_level(self, window0: float, level0: float, dx_px: float, dy_px: float) -> None:
        """Window/level after a right-drag of ``(dx_px, dy_px)`` from ``(window0, level0)``.

        200 px to the right doubles the window; 100 px down raises the level by a tenth of
        the image's value range (the picture gets darker, as on a radiology workstation).
        """
        span = self._range[1] - self._range[0]
        self.set_window_level(window0 * 2.0 ** (dx_px / 200.0), level0 + dy_px / 100.0 * 0.1 * span)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        self._place_square()
        self._place_overlays()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._place_square()
        self._place_overlays()

    def square_side(self) -> int:
        """Side (px) of the picture's square frame: as large as the widget allows, the
        window/level row under it included."""
        ch = self.controls.sizeHint().height()
        return max(1, min(self.width(), self.height() - ch - self.CONTROLS_GAP_PX))

    def _place_square(self) -> None:
        """The square frame and the window/level row under it, centred in the widget."""
        side = self.square_side()
        ch = self.controls.sizeHint().height()
        x = (self.width() - side) // 2
        y = max(0, (self.height() - side - self.CONTROLS_GAP_PX - ch) // 2)
        self.frame.setGeometry(x, y, side, side)
        self.controls.setGeometry(x, y + side + self.CONTROLS_GAP_PX, side, ch)

    def _place_overlays(self) -> None:
        w, h = self.graphics.width(), self.graphics.height()
        for lab in (self.title_label, self.shot_label, self.pose_label, self.hold_label):
            lab.adjustSize()
        m = 6
        # the view's name top centre: the upper-left corner holds the side marker burned into the image
        self.title_label.move(max(m, (w - self.title_label.width()) // 2), m)
        self.shot_label.move(w - self.shot_label.width() - m, m)
        self.pose_label.move(m, h - self.pose_label.height() - m)
        self.hold_label.move(w - self.hold_label.width() - m, h - self.hold_label.height() - m)
        self.empty_label.setGeometry(0, 0, w, h)
        for lab in (self.title_label, self.shot_label, self.pose_label, self.hold_label):
            lab.setVisible(bool(lab.text()))
            lab.raise_()
