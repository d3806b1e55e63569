"""The HTML debrief, built as one self-contained string (images as base64 PNG).

The same HTML feeds the PDF (trainer/report_pdf.py renders it with Qt's QTextDocument),
so it sticks to what QTextDocument understands: tables, ``bgcolor``, simple CSS.
"""

from __future__ import annotations

import base64
import html as _html

import numpy as np

from trainer.core.scoring.figures import COLOURS, LANE_COLOURS, encode_png_rgb, shot_figure, timeline_figure
from trainer.core.scoring.metric import ScoringContext, view_of_pose, with_unit
from trainer.core.scoring.report import ScoreReport, tip_words
from trainer.core.xray.geometry import Pose

__all__ = ["debrief_html", "notes_html", "trocar_path", "STATUS_COLOURS"]

STATUS_COLOURS = {"pass": "#1e8e3e", "warn": "#b06000", "fail": "#c5221f", "n/a": "#777777"}
GROUP_TITLES = {"checklist": "Checklist", "trajectory": "Trajectory safety", "tip": "Final tip position",
                "cement": "Cement", "radiation": "Radiation", "efficiency": "Efficiency"}


def _e(s) -> str:
    return _html.escape(str(s))


def _hex(rgb) -> str:
    r, g, b = (int(c) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def _img(rgb: np.ndarray, width_px: int, alt: str) -> str:
    b64 = base64.b64encode(encode_png_rgb(rgb)).decode("ascii")
    return f'<img src="data:image/png;base64,{b64}" width="{width_px}" alt="{_e(alt)}">'


def trocar_path(events) -> tuple[np.ndarray | None, tuple | None]:
    """Tip positions of the last insertion (skin point first) and the final shaft (skin, tip)."""
    pts: list = []
    skin = None
    for e in events:
        if e.kind == "trocar_placed":
            skin = e.data.get("skin_mm")
            pts = [skin] if skin is not None else []
        elif e.kind == "trocar_moved" and e.data.get("tip_mm") is not None:
            pts.append(e.data["tip_mm"])
    if not pts:
        return None, None
    path = np.asarray(pts, float)
    return path, (None if skin is None else (np.asarray(skin, float), path[-1]))


def _fmt_value(v, unit: str) -> str:
    if v is None:
        return "-"
    return with_unit(f"{v:.2f}" if isinstance(v, float) else str(v), unit)


def _pose_of(img) -> Pose:
    p = img.pose
    if isinstance(p, Pose):
        return p
    return Pose(float(p["orbital_deg"]), float(p.get("tilt_deg", 0.0)), tuple(p.get("table_offset_mm", (0, 0, 0))))


def _figures_html(report: ScoreReport, ctx: ScoringContext, images: dict | None, width_px: int) -> str:
    if not any(e.kind == "shot" for e in report.events):
        return "<p><i>No shots were taken.</i></p>"
    if not images:
        return "<p><i>No shot images (the session was scored without rendering).</i></p>"
    path, shaft = trocar_path(report.events)
    cells = []
    for view in ("ap", "lateral"):
        img = images.get(view)
        if img is None:
            cells.append(f"<td><i>no {view.upper() if view == 'ap' else view} shot</i></td>")
            continue
        n = int(np.asarray(img.pixels).shape[0])
        scale = 2 if n <= 256 else 1
        rgb = shot_figure(img.pixels, _pose_of(img), view, ctx.geometry, ctx.landmarks, ctx.patient_roll_deg,
                          tip_path_mm=path, shaft_mm=shaft, cement_points_mm=ctx.cement_points_mm, scale=scale)
        t_img = float(getattr(img, "t_s", 0.0))
        title = f"{'AP' if view == 'ap' else 'Lateral'} - shot {getattr(img, 'index', '?')}, t = {t_img:.0f} s"
        later = sum(float(e.data.get("ml") or 0.0) for e in report.events
                    if e.kind == "cement_injected" and e.t_s > t_img)
        note = (f"<br><font size='2' color='{STATUS_COLOURS['warn']}'>{later:.2f} mL were injected after this "
                "shot and never imaged in this view</font>") if later > 0 else ""
        cells.append(f"<td align='center'>{_img(rgb, width_px, title)}<br><b>{_e(title)}</b>{note}</td>")
    legend = " &nbsp; ".join(
        f"<span style='color:{_hex(COLOURS[k])}'>&#9632;</span> {_e(t)}" for k, t in (
            ("anatomy", "pedicle outlines, midline / posterior wall"), ("target", "target band 0.67-0.90"),
            ("path", "tip path"), ("shaft", "trocar"), ("tip", "tip"),
            ("cement", "cement at the end of the procedure")))
    return (f"<table cellspacing='6'><tr>{''.join(cells)}</tr></table>"
            f"<p style='font-size:small'>{legend}</p>")


def _summary_html(report: ScoreReport) -> str:
    rad, tip = report.radiation, report.tip
    df = tip.get("depth_fraction")
    leaks = ", ".join(f"{lk['type']} ({_e(lk.get('region', ''))}) {lk['volume_ml']:.2f} mL" for lk in report.leaks)
    rows = [
        ("Radiation", f"{rad['shots']} shots, {rad['fluoro_s'] / 60:.2f} min fluoroscopy, "
                      f"DAP {rad['dap_gycm2']:.3f} Gy.cm2, entrance air kerma {rad['entrance_kerma_mgy']:.1f} mGy "
                      "(reference per level: 4.9 +/- 3.3 min, 2.9 Gy.cm2; FACTS.md 5.1)"),
        ("Tip", "no trocar placed" if df is None else
         f"{_e(tip_words(tip) or '')}; {tip['midline_offset_mm']:.1f} mm from the midline"),
        ("Cement", f"{report.cement_injected_ml:.2f} mL injected; leaks: {leaks or 'none'}"),
        ("Time", f"{report.total_time_s / 60:.1f} min simulated"),
    ]
    body = "".join(f"<tr><td><b>{_e(k)}</b></td><td>{v}</td></tr>" for k, v in rows)
    return f"<table border='0' cellpadding='3'>{body}</table>"


def _lessons_html(report: ScoreReport, limit: int = 5) -> str:
    """What to work on besides the critical errors: failed then warned metrics, heaviest first."""
    order = {"fail": 0, "warn": 1}
    todo = sorted((m for m in report.metrics if m.status in order and not m.critical_failed),
                  key=lambda m: (order[m.status], -m.weight))
    if not todo:
        return "<p>Every other metric met its target.</p>" if report.critical_errors else \
            "<p>Every metric met its target.</p>"
    items = "".join(f"<li><font color='{STATUS_COLOURS[m.status]}'><b>{_e(m.name)}</b></font>: {_e(m.detail)} "
                    f"<font size='2' color='#555555'>(target: {_e(m.target)}; {_e(m.source)})</font></li>"
                    for m in todo[:limit])
    more = f"<p><font size='2'>... and {len(todo) - limit} more in the metric table.</font></p>" \
        if len(todo) > limit else ""
    return f"<ul>{items}</ul>{more}"


def _metrics_html(report: ScoreReport) -> str:
    head = ("<tr bgcolor='#e8eaed'><th width='9%'>Status</th><th width='31%'>Metric (what was measured)</th>"
            "<th width='11%'>Value</th><th width='22%'>Target</th><th width='5%'>Pts</th>"
            "<th width='22%'>Source</th></tr>")
    rows = []
    groups = list(GROUP_TITLES)
    for g in groups:
        ms = [m for m in report.metrics if m.group == g]
        if not ms:
            continue
        rows.append(f"<tr bgcolor='#f1f3f4'><td colspan='6'><b>{_e(GROUP_TITLES[g])}</b> "
                    f"({sum(m.weight for m in ms):g} points)</td></tr>")
        for m in ms:
            colour = STATUS_COLOURS[m.status]
            crit = "<br><font size='2' color='#c5221f'><b>critical</b></font>" if m.critical_failed else ""
            rows.append(
                f"<tr><td><font color='{colour}'><b>{_e(m.status.upper())}</b></font>{crit}</td>"
                f"<td>{_e(m.name)}<br><font size='2' color='#444444'>{_e(m.detail)}</font></td>"
                f"<td>{_e(_fmt_value(m.value, m.unit))}</td><td><font size='2'>{_e(m.target)}</font></td>"
                f"<td align='right'>{m.weight:g}</td><td><font size='2'>{_e(m.source)}</font></td></tr>")
    return f"<table border='1' cellspacing='0' cellpadding='3' width='100%'>{head}{''.join(rows)}</table>"


def _timeline_html(report: ScoreReport, ctx: ScoringContext) -> str:
    def view_of(e):
        return view_of_pose(e.data.get("pose"), ctx.patient_roll_deg, e.data.get("view"))

    strip = timeline_figure(report.events, view_of, lambda tip: ctx.landmarks.depth_fraction(float(tip[1])))
    key = " &nbsp; ".join(f"<span style='color:{_hex(LANE_COLOURS[k])}'>&#9632;</span> {t}" for k, t in (
        ("shot_ap", "AP shot"), ("shot_lateral", "lateral shot"), ("depth", "tip depth (band: target)"),
        ("cement", "cement injected"), ("leak", "leak")))
    rows = "".join(f"<tr><td align='right'>{e.t_s:.0f}</td><td>{_e(e.kind)}</td><td>{_e(e.text)}</td></tr>"
                   for e in report.timeline)
    return (f"{_img(strip, 680, 'timeline')}<p style='font-size:small'>{key} (top: shots; middle: tip depth; "
            f"bottom: cement volume; x: simulated time 0-{report.total_time_s:.0f} s)</p>"
            f"<table border='0' cellpadding='1' style='font-size:small'><tr bgcolor='#e8eaed'><th>t (s)</th>"
            f"<th>what</th><th>detail</th></tr>{rows}</table>")


def notes_html(notes) -> str:
    """The "Assessment notes" block: each ``(label, text)`` as ``LABEL: text``, escaped; "" when there are none.

    The notes are the ones ``vptrainer assess`` prints for the session (its warnings and notes, in its words:
    :func:`trainer.core.session.notes.assessment_notes`), so that a report handed on says them too."""
    if not notes:
        return ""
    items = "".join(f"<li><b>{_e(label)}:</b> {_e(text)}</li>" for label, text in notes)
    return (f"<table border='1' cellspacing='0' cellpadding='6' width='100%'><tr><td bgcolor='#fef7e0'>"
            f"<b><font color='{STATUS_COLOURS['warn']}'>Assessment notes</font></b><ul>{items}</ul></td></tr></table>")


def debrief_html(report: ScoreReport, context: ScoringContext, images: dict | None = None,
                 title: str = "", image_width_px: int = 330, notes=()) -> str:
    """The debrief page.

    Parameters
    ----------
    report : ScoreReport
    context : ScoringContext
        Landmarks, geometry and cement used for the overlays.
    images : dict, optional
        ``'ap'`` / ``'lateral'`` -> object with ``pixels`` and ``pose`` (a ShotImage); the last
        shot in each view.
    title : str
        Scenario title or session name for the heading.
    image_width_px : int
        Display width of each shot.
    notes : sequence of (str, str)
        ``(label, text)`` pairs shown in an "Assessment notes" block under the heading (:func:`notes_html`);
        none: no block.
    """
    outcome = "PASSED" if report.passed else "FAILED"
    colour = STATUS_COLOURS["pass" if report.passed else "fail"]
    gr = report.global_rating
    crit = ""
    if report.critical_errors:
        items = "".join(f"<li>{_e(c)}</li>" for c in report.critical_errors)
        crit = f"<h3><font color='{STATUS_COLOURS['fail']}'>Critical errors</font></h3><ul>{items}</ul>"
    if report.major_errors:
        items = "".join(f"<li><b>{_e(m['name'])}</b>: {_e(m['detail'])}</li>" for m in report.major_errors)
        crit += (f"<h3><font color='{STATUS_COLOURS['warn']}'>Major errors (-{report.major_error_points:g} points "
                 f"each)</font></h3><ul>{items}</ul>")
    domains = ", ".join(f"{_e(k)} {v if v is not None else '-'}" for k, v in gr["domains"].items())
    rating = (f"<p><b>Global rating {gr['overall'] if gr['overall'] is not None else '-'} / 5</b> "
              f"({domains}).<br><font size='2'>{_e(gr['label'])}</font></p>")
    sha = _e(report.scenario_sha256[:12]) if report.scenario_sha256 else "-"
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>vptrainer debrief</title>
<style>
body {{ font-family: sans-serif; font-size: 10pt; color: #202124; }}
h1 {{ font-size: 16pt; margin-bottom: 2px; }} h2 {{ font-size: 13pt; margin-top: 14px; }}
th {{ text-align: left; }} td {{ vertical-align: top; }}
</style></head><body>
<h1>Vertebroplasty debrief{(' - ' + _e(title)) if title else ''}</h1>
<p><font size='2'>Scenario {_e(report.scenario_id or '-')} (sha256 {sha}...). Scored by replaying the recorded
actions through the simulator; stored results are never trusted.</font></p>
{notes_html(notes)}
<table cellpadding='6'><tr><td bgcolor='{colour}'><font color='white' size='5'><b>{outcome}</b></font></td>
<td><font size='5'><b>{report.score:.1f}</b> / 100</font><br>to pass: a score of at least
{report.pass_score:g} and no critical error</td></tr></table>
{crit}
{rating}
<h2>Summary</h2>
{_summary_html(report)}
<h2>Last AP and lateral shots</h2>
{_figures_html(report, context, images, image_width_px)}
<h2>What to work on{' besides the critical errors' if report.critical_errors else ''}</h2>
{_lessons_html(report)}
<h2 style="page-break-before: always">Metrics</h2>
<p><font size='2'>Each metric shows what was measured, its target and where the target comes from
(seed documents by file name, FACTS.md by section). Credit: pass 1, warn 0.5, fail 0; the score is the
weighted mean over the metrics that apply, less {report.major_error_points:g} points for each major error
(a marked metric that fails outright; at most one per group).</font></p>
{_metrics_html(report)}
<h2 style="page-break-before: always">Timeline</h2>
{_timeline_html(report, context)}
</body></html>
"""
