"""The editor's status and coverage lines hold their room in the font they are drawn with (round 28).

A label's room computed at construction used the unpolished 9 pt font; the application's 10.5 pt style sheet
(``trainer.ui.app.STYLE``) reaches it only when it is shown, so two lines of the drawn font did not fit and the
views under it moved 4 px whenever the text changed between one and two lines.  Oracle: Qt's own metrics of a
10.5 pt font (``QFontMetrics``), computed apart from the label.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QVBoxLayout, QWidget

from trainer.ui.held_lines_label import HeldLinesLabel

ONE_LINE = "Series: covers T4 to L2."


#: the theme's font size as a style sheet (``trainer.ui.app.STYLE``'s)
STYLED = "QWidget { font-size: 10.5pt; }"


def test_the_room_is_two_lines_of_the_styled_font_and_a_second_line_moves_nothing(qtbot):
    # the style sheet on the window, not the application: it reaches the label, as the application's does, only
    # when the label is shown; set on the application it re-polished every widget earlier tests left alive (33 s of
    # round 45's CI, 0.06 s alone)
    top = QWidget()
    top.setStyleSheet(STYLED)
    qtbot.addWidget(top)
    lay = QVBoxLayout(top)
    label = HeldLinesLabel(ONE_LINE, lines=2, pad_px=2)
    below = QWidget()
    lay.addWidget(label)
    lay.addWidget(below, 1)
    top.resize(420, 300)
    top.show()
    qtbot.waitExposed(top)
    font = QFont(label.font())
    font.setPointSizeF(10.5)
    two_lines_px = 2 * QFontMetrics(font).lineSpacing() + 2
    assert label.font().pointSizeF() == pytest.approx(10.5)
    assert label.minimumHeight() == two_lines_px
    fm = QFontMetrics(font)
    two = ONE_LINE
    while fm.horizontalAdvance(two) < 1.4 * label.contentsRect().width():   # about a line and a half
        two += " needs 15 mm more below"
    y0 = below.y()
    label.setText(two)
    qtbot.wait(20)
    assert label.heightForWidth(label.width()) <= two_lines_px    # the text does take two lines here
    assert label.heightForWidth(label.width()) > QFontMetrics(font).lineSpacing() + 2
    assert below.y() == y0
    label.setText(ONE_LINE)
    qtbot.wait(20)
    assert below.y() == y0


def test_a_font_changed_later_is_measured_again(qtbot):
    label = HeldLinesLabel("x", lines=3, pad_px=4)
    qtbot.addWidget(label)
    font = QFont(label.font())
    font.setPointSizeF(20.0)
    label.setFont(font)
    assert label.minimumHeight() == 3 * QFontMetrics(font).lineSpacing() + 4
