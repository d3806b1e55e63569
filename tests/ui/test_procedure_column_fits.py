"""At 1600 x 1000 the Procedure column shows every control without scrolling, down to the Wait row and Finish.

Round 44's walk-through (docs/realct-log.md pass 229: real X events on Xvfb, 1600 x 1000, no window manager)
found the cement panel's Wait row (30 s (W), 1 min, 2 min, real time) cut in half by the status bar and the
**Finish procedure…** button below it out of sight: a resident told "Wait (W) for the working phase" could not
read the buttons, nor see how to finish, without finding the column's scroll bar.  Oracle: Qt's geometry of
the widgets mapped into the scroll area's viewport, against the viewport's own rectangle.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect


def _inside_viewport(scroll, widget) -> tuple[bool, QRect, QRect]:
    view = scroll.viewport()
    top_left = widget.mapTo(view, QPoint(0, 0))
    rect = QRect(top_left, widget.size())
    return view.rect().contains(rect), rect, view.rect()


def test_the_wait_row_and_finish_are_in_view_at_1600_by_1000(checklist_done):
    w, d = checklist_done(size=(1600, 1000))
    d.align()
    w.tabs.setCurrentIndex(1)
    d.pump(0.3)
    scroll = w.tabs.widget(1)
    assert scroll.verticalScrollBar().value() == 0
    for widget in (*w.cement.wait_buttons.values(), w.cement.realtime, w.cement.inject_button, w.finish_button):
        inside, rect, view = _inside_viewport(scroll, widget)
        assert inside, (widget.text(), rect, view)
