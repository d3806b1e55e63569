"""What a first-time trainee hit (issue 16): each test drives the window with real events."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from trainer.core.session.reader import read_session


def _start(w, d, scenario: str):
    picker = w.show_picker()
    assert picker.select(scenario)
    d.start(picker)
    return picker


# ------------------------------------------------------------------ 1. stale checklist answers
def test_a_new_session_shows_no_answer_of_the_previous_patient(make_window):
    w, d = make_window()
    _start(w, d, "l1-wedge-default")
    d.click(w.chart.buttons[("inr", "acceptable")])
    d.idle()
    assert w.chart.buttons[("inr", "acceptable")].isChecked()
    _start(w, d, "l1-inr-high")
    assert w.view.decisions == {}
    checked = [key for key, b in w.chart.buttons.items() if b.isChecked()]
    assert checked == []


# ------------------------------------------------------------------ 2. keyboard auto-repeat on F
def _send_key(w, kind, auto_repeat: bool) -> None:
    ev = QKeyEvent(kind, Qt.Key.Key_F, Qt.KeyboardModifier.NoModifier, "f", auto_repeat)
    QApplication.sendEvent(w.stack, ev)


@pytest.mark.parametrize("marked", [True, False], ids=["repeat-marked", "repeat-unmarked"])
def test_a_held_f_with_auto_repeat_is_one_exposure(make_window, marked):
    """X auto-repeat arrives as release/press pairs every ~40 ms; Qt marks them auto-repeat only
    when it can tell (``marked``).  Either way the pedal never came up: one exposure."""
    w, d = make_window()
    _start(w, d, "l1-wedge-default")
    d.answer_checklist({"candidacy": "proceed"})
    d.key(Qt.Key.Key_1)
    d.idle()
    n_before = len(read_session(w.controller.path).actions)
    w.activateWindow()
    _send_key(w, QEvent.Type.KeyPress, False)
    d.pump(0.3)
    for _ in range(20):                                   # 20 repeats, 40 ms apart
        _send_key(w, QEvent.Type.KeyRelease, marked)
        _send_key(w, QEvent.Type.KeyPress, marked)
        d.pump(0.04)
    _send_key(w, QEvent.Type.KeyRelease, False)
    d.wait_until(lambda: not w.carm.fluoro_on, "the pedal to come up")
    d.idle()
    shots = [a for a in read_session(w.controller.path).actions[n_before:] if a["type"] == "shot"]
    assert shots, "the held key took no image"
    starts = [a for a in shots if not a.get("continuous")]
    assert len(starts) == 1                               # one exposure, however many repeats
    assert len(shots) <= 8                                # one action per 250 ms tick at most, not per repeat


# ------------------------------------------------------------------ 3. PDF debrief without stub pages
POOR_ACTIONS = """\
{"type": "decide", "item": "candidacy", "answer": "proceed"}
{"type": "carm", "preset": "ap"}
{"type": "shot"}
{"type": "carm", "preset": "lateral"}
{"type": "shot"}
"""


def _pdf_pages(pdf) -> list[str]:
    """Text of each page, by poppler's pdftotext (an independent reader of the PDF)."""
    import subprocess

    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    n = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    return [subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout for i in range(1, n + 1)]


def _ink_fraction(pdf, page: int) -> float:
    """Share of non-white pixels of a page rendered by pdftoppm at 30 dpi."""
    import subprocess

    import numpy as np

    out = subprocess.run(["pdftoppm", "-r", "30", "-gray", "-f", str(page), "-l", str(page), str(pdf)],
                         capture_output=True, check=True).stdout
    # binary PGM: P5\n<w> <h>\n255\n<data>
    head, rest = out.split(b"\n", 3)[:3], out.split(b"\n", 3)[3]
    w, h = (int(v) for v in head[1].split())
    pix = np.frombuffer(rest[: w * h], np.uint8)
    return float((pix < 200).mean())


def test_pdf_debrief_has_no_nearly_blank_page(tmp_path, capsys):
    """A poor attempt (many lessons, a long metric table): no page is a stub before a forced break."""
    from trainer.cli import main as cli_main

    actions = tmp_path / "poor.jsonl"
    expert = [line for line in open("tests/data/expert_l1_left.jsonl") if line.startswith("{")
              and '"decide"' not in line and '"finish"' not in line]
    actions.write_text(POOR_ACTIONS + "".join(expert[:40]) + '{"type": "finish"}\n')
    session = tmp_path / "poor-session.jsonl"
    assert cli_main(["play", "--actions", str(actions), "--out", str(session), "--pixels", "128"]) == 0
    pdf = tmp_path / "debrief.pdf"
    assert cli_main(["assess", str(session), "--pdf", str(pdf)]) == 0
    capsys.readouterr()
    pages = _pdf_pages(pdf)
    text = "".join(pages)
    for needle in ("Vertebroplasty debrief", "What to work on", "Metrics", "Timeline",
                   "Cement volume injected", "Fluoroscopic shots"):
        assert needle in text
    assert 3 <= len(pages) <= 5
    for i, page in enumerate(pages, 1):
        assert len(page.strip()) > 600, f"page {i} of {len(pages)} is nearly blank: {page.strip()[:80]!r}"
        assert _ink_fraction(pdf, i) > 0.02, f"page {i} renders nearly blank"
