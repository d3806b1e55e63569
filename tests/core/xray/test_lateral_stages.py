"""benchmarks/lateral_stages.py against benchmarks/image_quality.py (docs/imaging.md, round 6 table).

Oracle: the image-quality benchmark's ``grey_body_vs_prevert`` reads the displayed picture
(:func:`~trainer.core.xray.display.carm_image`: window applied, clipped to [0, 1]) of the same
lateral shot (seed 1), with the boxes sampled there; the stages script divides the processed
difference by the window itself.  Inside the body and the band nothing clips, so the two agree.
"""

import pytest
from bench_loader import load_benchmark

from trainer.core.scenario.build import build_scenario_patient
from trainer.core.scenario.loader import load_scenario

pytestmark = pytest.mark.slow


def test_stage_grey_is_the_benchmarks_grey_and_the_stages_keep_its_sign():
    stages_mod, iq = load_benchmark("lateral_stages"), load_benchmark("image_quality")
    s = load_scenario("t12-biconcave")
    p = build_scenario_patient(s)
    st = stages_mod.stages(p, s.carm)
    lat = next(r for r in iq.measure(p, s.carm, "t12") if r["view"] == "lateral")
    assert st["grey"] == pytest.approx(-lat["grey_body_vs_prevert"], abs=0.6)
    # the band in front of T12 lies under the dome: denser than the body's row at every stage
    assert st["water_mm"] > 0 and st["li"] > 0 and st["raw"] > 0 and st["proc"] > 0
