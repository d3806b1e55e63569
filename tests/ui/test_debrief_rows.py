"""The debrief's metric table on a full-size window: each row as tall as its wrapped text, not more.

Round 23, an instructor finishing a patient-CT session at 1600 x 1000: every row of the metric table was
several hundred pixels tall ("Candidacy decision" alone filled the table's view), so the table showed one
metric at a time.  The rows were sized once, when the debrief was filled while hidden and its columns narrow,
and kept that height when the window laid the columns out wide.  Oracle: the height Qt's font metrics give each
cell's text wrapped at its column's width (QFontMetrics.boundingRect with word wrap), independent of the table.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt

#: cell padding and grid line allowance per row (px): well under one text line
PAD_PX = 12


def _needed_px(table, row: int) -> int:
    fm = table.fontMetrics()
    need = 0
    for col in range(table.columnCount()):
        item = table.item(row, col)
        if item is None:
            continue
        width = table.columnWidth(col) - 8
        rect = fm.boundingRect(QRect(0, 0, max(width, 1), 100_000), int(Qt.TextFlag.TextWordWrap), item.text())
        need = max(need, rect.height())
    return need


def test_each_metric_row_is_as_tall_as_its_text_on_a_full_size_window(checklist_done):
    w, d = checklist_done(size=(1600, 1000))
    for k in (Qt.Key.Key_1, Qt.Key.Key_S, Qt.Key.Key_2, Qt.Key.Key_S):
        d.key(k)
        d.idle()
    d.finish()
    d.pump(0.2)
    table = w.debrief.table
    assert table.isVisible() and table.rowCount() >= 3
    line = table.fontMetrics().lineSpacing()
    tall = []
    for row in range(table.rowCount()):
        need = _needed_px(table, row)
        if table.rowHeight(row) > need + PAD_PX:
            tall.append((table.item(row, 0).text(), table.rowHeight(row), need))
    assert not tall, f"rows taller than their wrapped text (+{PAD_PX} px; a line is {line} px): {tall}"
    # so a reviewer sees several metrics at once, not one
    visible = sum(1 for row in range(table.rowCount()) if table.rowViewportPosition(row) + table.rowHeight(row)
                  <= table.viewport().height())
    assert visible >= 3, visible


def test_the_gertzbein_robbins_row_reads_grade_then_number(make_window):
    """The expert's procedure played through the window (keys and clicks, GuiDriver): the Worst pedicle breach
    row's value reads "grade 0", as its own target column and FACTS.md 2 write a Gertzbein-Robbins grade.  Before
    (b160e72): "0 grade" (the round-27 walk-through on the chest T11 read "1 grade")."""
    from trainer.ui.demo import window_expert_plan

    w, d = make_window()
    picker = w.show_picker()
    assert picker.select("l1-wedge-default")
    d.start(picker)
    d.play(window_expert_plan({k: g["expected"] for k, g in w.scenario.decisions.gates.items()}))
    table = w.debrief.table
    rows = {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 3).text())
            for r in range(table.rowCount())}
    value, target = rows["Worst pedicle breach (Gertzbein-Robbins)"]
    assert target.startswith("grade 0") and value == "grade 0", (value, target)


def test_the_debrief_shows_a_missing_grade_without_its_unit():
    """The debrief's table writes a missing value "—" with no unit (the text report's "grade -", written with its
    unit first, is tested in tests/core/scoring/test_missing_grade_wording.py); a grade reads "grade 2" (FACTS.md 2)."""
    from trainer.ui.debrief import format_value

    assert format_value(None, "grade") == "—"
    assert format_value(2, "grade") == "grade 2"
