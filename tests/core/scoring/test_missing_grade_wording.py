"""A Gertzbein-Robbins grade that does not apply reads "grade -" in the text report, never "- grade".

A grade is written before its number (FACTS.md 2: "grade 0" inside the pedicle, "grade 1" under 2 mm), as the metric's
own target column writes it; a missing value keeps that order, with the report's "-" for the number (round 27's review
mend, ``with_unit``; before it the text report read "- grade").  The debrief's table shows a missing value as "—" with
no unit at all.

Oracle: the metric's own target text (the unit before the number) and a stream whose trocar was never advanced
(hand-made: no breach can be graded, so the value is missing).
"""

import scoring_streams as S

from trainer.core.scoring import build_context, score_events


def _line(report, name: str) -> str:
    return next(line for line in report.to_text().splitlines() if f"] {name}: " in line)


def test_an_ungraded_breach_reads_grade_dash_and_a_graded_one_grade_number():
    lm = S.landmarks()
    never = S.Stream().decide(S.EXPECTED).align().finish()
    r = score_events(never.events, build_context(landmarks=lm, expected=S.EXPECTED))
    m = r.metric("breach_grade")
    assert m.value is None and m.unit == "grade" and m.target.startswith("grade 0")
    line = _line(r, m.name)
    assert f"{m.name}: grade -  (target: grade 0" in line, line
    assert "- grade" not in line, line
    # the same row with a grade: "grade 0", the order the target writes
    s = S.Stream().decide(S.EXPECTED).align()
    s.place(S.ENTRY, S.TARGET).advance_to_y(S.TARGET[1], shots_every=0)
    done = score_events(s.shot(0.0).shot(90.0).mix_and_wait(300.0).inject(3.0).finish().events,
                        build_context(landmarks=lm, expected=S.EXPECTED))
    assert f"{m.name}: grade 0  (target: grade 0" in _line(done, m.name)

