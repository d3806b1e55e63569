"""A metric's trend is over the finished attempts, as the score's (round 40, assessor3).

An unfinished attempt (a session without an accepted finish, recorded by ``assess --store``) was already a failure
on the CUSUM and no point of the score chart or the score trend (round 39), but its progress-only metric values
still counted in each metric's trend: in ``progress TRAINEE --json``, its text and the cohort's ``trend_<metric>``
columns (and the cohort view, which reads the same rows).  Here it is left out of them and named apart; the
per-attempt CSV still says what it stored, beside its ``finished`` 0.

The store: res's attempts 1, 3, 4 finished with DAP 1.0, 0.6, 0.5 Gy.cm2 and scores 80, 70, 90; attempt 2
unfinished with DAP 5.0 (a made-up outlier, so that counting it shows) and a progress-only 99.
Oracle, by hand over x = 1, 3, 4: mean x = 8/3, Sxx = 25/9 + 1/9 + 16/9 = 42/9;
DAP: mean 0.7, Sxy = (-5/3)(0.3) + (1/3)(-0.1) + (4/3)(-0.2) = -0.8, slope = -0.8 / (42/9) = -0.171429 per attempt
(with attempt 2: -0.59); score: mean 80, Sxy = (1/3)(-10) + (4/3)(10) = 10, slope = 10 / (42/9) = 2.142857.
numpy.polyfit agrees.
"""

import csv
import json
from dataclasses import replace

import numpy as np
import pytest
from core.records.records_helpers import attempt

from trainer.cli import main
from trainer.core.records.store import open_store

ATTEMPTS = [(1.0, 80.0, True), (5.0, 99.0, False), (0.6, 70.0, True), (0.5, 90.0, True)]   # dap, score, finished
DAP_SLOPE = round(-0.8 / (42 / 9), 6)
SCORE_SLOPE = round(10 / (42 / 9), 6)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "records.sqlite3"
    with open_store(path) as st:
        for i, (dap, score, done) in enumerate(ATTEMPTS):
            a = attempt("res", f"r{i}", passed=done, score=score, dap=dap, started=f"2026-12-0{i + 1}T09:00:00+00:00")
            st.record_attempt(replace(a, complete=done))
    return path


def test_progress_trends_each_metric_over_the_finished_attempts_and_names_the_unfinished(db, tmp_path, capsys):
    # the hand computation checked against another library first
    fit_dap, fit_score = (np.polyfit([1, 3, 4], ys, 1)[0] for ys in ([1.0, 0.6, 0.5], [80.0, 70.0, 90.0]))
    assert (fit_dap, fit_score) == pytest.approx((DAP_SLOPE, SCORE_SLOPE), abs=1e-6)
    assert main(["progress", "res", "--store", str(db), "--json"]) == 0
    prog = json.loads(capsys.readouterr().out)
    dap = prog["metrics"]["dap"]
    assert dap["slope_per_attempt"] == DAP_SLOPE                  # failed before: -0.59, attempt 2's 5.0 counted
    assert dap["values"] == [1.0, None, 0.6, 0.5] and dap["last"] == 0.5 and dap["finished_values"] == 3
    assert prog["score_trend_per_attempt"] == SCORE_SLOPE and prog["unfinished_attempts"] == [2]

    assert main(["progress", "res", "--store", str(db)]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0] == "res: 4 attempts, 3 passed (75 %), 1 unfinished (attempt 2)"
    start = text.index("Trends per attempt over the 3 finished attempts (attempt 2 unfinished, left out):")
    trends = {ln.split()[0]: ln.split()[1] for ln in text[start + 1:]}
    assert float(trends["dap"]) == pytest.approx(DAP_SLOPE, abs=5e-5)
    assert float(trends["score"]) == pytest.approx(SCORE_SLOPE, abs=5e-4)

    cohort = tmp_path / "cohort.csv"
    assert main(["progress", "--store", str(db), "--csv", str(cohort)]) == 0
    with open(cohort, newline="", encoding="utf-8") as fh:
        (row,) = csv.DictReader(fh)
    assert float(row["trend_dap"]) == DAP_SLOPE                   # failed before: -0.59
    assert (row["attempts"], row["unfinished"], row["unfinished_attempts"]) == ("4", "1", "2")

    per = tmp_path / "res.csv"
    assert main(["progress", "res", "--store", str(db), "--csv", str(per)]) == 0
    with open(per, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    # each attempt's row still says what it stored; its finished flag says how to read it
    assert [(r["finished"], float(r["dap"])) for r in rows] == [("1", 1.0), ("0", 5.0), ("1", 0.6), ("1", 0.5)]


def test_my_progress_and_the_cohort_leave_the_unfinished_attempt_off_the_metric_chart_and_trends(db, qtbot):
    from trainer.ui.cohort_window import TREND_METRICS, CohortWindow
    from trainer.ui.progress_window import ProgressWindow

    w = ProgressWindow(db, "res")
    qtbot.addWidget(w)
    w.metric_box.setCurrentText("dap")
    drawn = {}
    for item in w.metric_plot.listDataItems():
        if item.opts.get("symbol") is not None:
            xs, ys = item.getData()
            drawn.update({int(x): float(y) for x, y in zip(xs, ys)})
    assert drawn == {1: 1.0, 3: 0.6, 4: 0.5}                      # failed before: attempt 2's 5.0 drawn
    assert "1 unfinished (attempt 2)" in w.summary.text()

    c = CohortWindow(db)
    qtbot.addWidget(c)
    headers = [c.table.horizontalHeaderItem(i).text() for i in range(c.table.columnCount())]
    cell = c.table.item(0, headers.index(f"{TREND_METRICS[0]} trend"))
    assert TREND_METRICS[0] == "dap" and float(cell.text()) == pytest.approx(DAP_SLOPE, abs=5e-4)  # 3 figures shown
    assert c.table.item(0, headers.index("Unfinished")).text() == "1"
    assert cell.toolTip() == "trends per attempt over the 3 finished attempts; unfinished, left out: attempt 2"


def test_a_first_attempt_says_in_one_line_that_no_trend_is_there_yet(tmp_path, capsys):
    """After one finished attempt (and one unfinished) ``progress TRAINEE`` said "- (fewer than 2 values)" on 33
    rows, the score's and every metric's (round 40, pass 202: a first-time assessor's screen of dashes).  Now one
    line says why.  Oracle: the attempts counted by hand, 1 finished and attempt 2 unfinished."""
    path = tmp_path / "records.sqlite3"
    with open_store(path) as st:
        for i, done in enumerate((True, False)):
            a = attempt("ann", f"a{i}", passed=done, score=80.0, dap=1.0, started=f"2026-12-0{i + 1}T09:00:00+00:00")
            st.record_attempt(replace(a, complete=done))
    assert main(["progress", "ann", "--store", str(path)]) == 0
    text = capsys.readouterr().out.splitlines()
    assert "fewer than 2 values" not in "\n".join(text)
    trend = [ln for ln in text if ln.startswith("Trends per attempt")]
    assert trend == ["Trends per attempt: none yet (a trend needs 2 finished attempts; 1 so far, attempt 2 "
                     "unfinished)"], text
    assert text[-1] == trend[0], text
