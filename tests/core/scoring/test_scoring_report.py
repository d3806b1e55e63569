"""Targets table, overrides, the report JSON, the debrief figures and HTML (no Qt, no anatomy)."""

import base64
import re
import zlib

import numpy as np
import pytest
import scoring_streams as S

from trainer.core.errors import ParameterError
from trainer.core.scenario.targets import band_status, load_targets, validate_overrides
from trainer.core.scoring import build_context, score_events
from trainer.core.scoring.figures import COLOURS, encode_png_rgb, shot_figure, timeline_figure
from trainer.core.scoring.html import debrief_html, trocar_path
from trainer.core.xray.geometry import CArmGeometry, Pose, frame_for, project


def test_target_table_weights_follow_the_score_sheet():
    t = load_targets()
    for approach in ("unipedicular", "bipedicular"):     # the approach-specific metrics exclude each other
        by_group = {}
        for s in t.specs.values():
            if s.params.get("approach", approach) == approach:
                by_group[s.group] = by_group.get(s.group, 0.0) + s.weight
        assert by_group == pytest.approx({"trajectory": 30, "tip": 20, "cement": 20, "radiation": 15,
                                          "efficiency": 10, "checklist": 5})
        assert by_group == pytest.approx(t.groups)
    crit = {s.id for s in t.specs.values() if s.critical}
    from trainer.core.scoring.policy import RULES
    assert crit == {"candidacy", "checklist_gates", "medial_wall_rule", "canal_foramen_breach", "anterior_cortex",
                    "tip_depth", "cement_phase", "cement_volume", "stop_rule", "leak_canal_foramen",
                    "canal_wall_temperature", "ap_checks"}
    assert crit == {r.metric for r in RULES}          # every critical metric is a documented policy rule


def test_band_status():
    s = load_targets()["cement_volume"]
    assert [band_status(v, s) for v in (3.0, 2.5, 4.0, 5.0, 2.2, 1.0, 7.0, None)] == \
        ["pass", "pass", "pass", "fail", "warn", "fail", "fail", "fail"]


def test_overrides_apply_and_bad_ones_are_named():
    t = load_targets().with_overrides({"cement_volume": {"pass": [3, 5], "warn": [2, 7]}, "shots_max": 30})
    assert t["cement_volume"].pass_band == (3.0, 5.0) and t["exposures"].pass_band == (0.0, 30.0)
    probs = validate_overrides({"cement_volum": {"pass": [1, 2]}, "tip_depth": {"pass": [0.9, 0.5]},
                                "shots_max": -1, "dap": {"colour": 1}}, load_targets())
    fields = [p[0] for p in probs]
    assert fields == ["targets.cement_volum", "targets.tip_depth.pass", "targets.shots_max", "targets.dap.colour"]
    with pytest.raises(ParameterError, match="targets.cement_volum"):
        load_targets().with_overrides({"cement_volum": {}}, "case.toml [targets]")


def test_report_json_is_plain_and_complete():
    lm = S.landmarks()
    r = score_events(S.expert().events, build_context(landmarks=lm, expected=S.EXPECTED))
    j = r.to_json()
    import json
    assert json.loads(json.dumps(j)) == j
    assert j["tip"]["depth_fraction"] == pytest.approx(lm.depth_fraction(S.TARGET[1]), abs=1e-3)
    assert j["radiation"]["shots"] == 19 and j["radiation"]["fluoro_s"] == pytest.approx(9.5)
    assert j["radiation"]["exposures"] == 19 and j["failed_rules"] == []
    assert len(j["metrics"]) == 32 and all(m["status"] in ("pass", "warn", "fail", "n/a") for m in j["metrics"])
    assert any(e["text"].startswith("advance") and "steps" in e["text"] for e in j["timeline"])


def _png_pixels(data: bytes):
    """Decode an 8-bit RGB PNG written by encode_png_rgb (filter 0 rows)."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    w, h = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    idat = re.search(rb"IDAT", data).start()
    n = int.from_bytes(data[idat - 4:idat], "big")
    raw = np.frombuffer(zlib.decompress(data[idat + 4:idat + 4 + n]), np.uint8).reshape(h, w * 3 + 1)
    return raw[:, 1:].reshape(h, w, 3)


def test_png_round_trip():
    rgb = np.random.default_rng(1).integers(0, 255, (7, 5, 3), dtype=np.uint8)
    assert np.array_equal(_png_pixels(encode_png_rgb(rgb)), rgb)


def test_shot_figure_draws_the_tip_where_geometry_projects_it():
    lm = S.landmarks()
    geom = CArmGeometry(pixels=128)
    pose = Pose(0.0, 0.0)
    img = np.zeros((128, 128), np.uint8) + 128
    tip = np.array([3.0, -8.5, 0.0])
    path = np.array([[19.5, 32.0, 5.0], tip])
    rgb = shot_figure(img, pose, "ap", geom, lm, tip_path_mm=path, cement_points_mm=np.array([[0, 0, 0.0]]))
    c, r = np.rint(project(frame_for(geom, pose), tip)).astype(int)
    assert tuple(rgb[r, c]) == COLOURS["tip"]
    # the left pedicle outline passes through its projected lateral edge
    ped = lm.pedicle_left
    edge = project(frame_for(geom, pose), np.array(ped.centre_mm) + [ped.width_mm / 2, 0, 0])
    ec, er = np.rint(edge).astype(int)
    patch = rgb[er - 1:er + 2, ec - 1:ec + 2].reshape(-1, 3)
    assert any(tuple(p) == COLOURS["anatomy"] for p in patch)
    assert (rgb == COLOURS["cement"]).all(axis=-1).any()
    # patient left is on the image's left on AP (geometry convention): the left pedicle projects left
    assert edge[0] < 64


def test_timeline_figure_marks_shots_in_their_view_colour():
    s = S.expert()
    rgb = timeline_figure(s.events, lambda e: e.data["view"], lambda tip: 0.5, width=400, height=180)
    assert rgb.shape == (180, 400, 3)
    top = rgb[8:38].reshape(-1, 3)
    assert any(tuple(p) == (40, 110, 220) for p in top) and any(tuple(p) == (230, 120, 20) for p in top)


def test_debrief_html_shows_outcome_metrics_sources_and_images():
    lm = S.landmarks()
    ctx = build_context(landmarks=lm, expected=S.EXPECTED)
    s = S.Stream().decide(S.EXPECTED).align()
    s.place((15.0, 34.0, 5.0), (-6.0, -8.0, 0.0)).advance_to_y(-8.0).finish()
    r = score_events(s.events, ctx)
    path, shaft = trocar_path(r.events)
    assert path.shape[1] == 3 and np.allclose(shaft[1], path[-1])

    class Img:
        def __init__(self, view, orbital):
            self.pixels = np.linspace(0, 3, 64 * 64, dtype=np.float32).reshape(64, 64)
            self.pose, self.view, self.index, self.t_s = Pose(orbital, 0.0), view, 1, 10.0

    html = debrief_html(r, ctx, {"ap": Img("ap", 0.0), "lateral": Img("lateral", 90.0)}, title="test case")
    assert "FAILED" in html and "Critical errors" in html and "Medial-wall rule" in html
    assert "What to work on besides the critical errors" in html and "Fluoroscopic shots" not in \
        html.split("What to work on")[1].split("<h2")[0]         # passed metrics are not lessons
    assert "FACTS.md 2 (Safety rule for the medial wall" in html
    assert html.count("data:image/png;base64,") == 3
    b64 = re.search(r'data:image/png;base64,([A-Za-z0-9+/=]+)', html).group(1)
    assert _png_pixels(base64.b64decode(b64)).shape == (128, 128, 3)    # small shots are drawn at 2x
    no_images = debrief_html(r, ctx, None)
    assert "scored without rendering" in no_images and no_images.count("data:image/png") == 1


def test_golden_master_event_stream():
    """A committed event stream scores to the committed metric values (STYLE.md 12).

    If a target or metric changes on purpose, regenerate both files from
    ``scoring_streams.expert()`` and review the diff of the expected JSON.
    """
    import json
    from pathlib import Path

    data = Path(__file__).resolve().parents[2] / "data"
    events = json.loads((data / "scoring_expert_events.json").read_text())["events"]
    expected = json.loads((data / "scoring_expert_expected.json").read_text())
    r = score_events(events, build_context(landmarks=S.landmarks(), expected=S.EXPECTED))
    assert r.score == pytest.approx(expected["score"], abs=1e-3) and r.passed == expected["passed"]
    got = {m.id: m for m in r.metrics}
    assert set(got) == set(expected["metrics"])
    for mid, exp in expected["metrics"].items():
        assert got[mid].status == exp["status"], mid
        if isinstance(exp["value"], (int, float)):
            assert got[mid].value == pytest.approx(exp["value"], abs=1e-4), mid      # stored rounded
        else:
            assert got[mid].value == exp["value"], mid
