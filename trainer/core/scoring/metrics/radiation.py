"""Radiation: shots, fluoroscopy time and dose-area product against the clinical reference
(FACTS.md 5.1: 4.9 +/- 3.3 min and 2.9 Gy.cm2 per level; FACTS.md 7: novice alarm above 2x)."""

from __future__ import annotations

from trainer.core.scoring.metric import Metric, StreamState, fmt

__all__ = ["RadiationTally", "Shots", "FluoroTime", "Dap"]


class RadiationTally(Metric):
    """Sums the per-shot dose figures of the ``shot`` events."""

    def _reset(self):
        self.shots = 0
        self.pulses = 0
        self.fluoro_s = 0.0
        self.dap_gycm2 = 0.0
        self.kerma_mgy = 0.0

    def update(self, event, state: StreamState):
        if event.kind != "shot":
            return
        d = event.data
        self.shots += 1
        self.pulses += int(d.get("pulses") or 0)
        self.fluoro_s += float(d.get("fluoro_s") or 0.0)
        self.dap_gycm2 += float(d.get("dap_gycm2") or 0.0)
        self.kerma_mgy += float(d.get("entrance_kerma_mgy") or 0.0)


class Shots(RadiationTally):
    id = "shots"

    def result(self):
        return self.make(self.shots, None, f"{self.shots} shots, {self.pulses} pulses")


class FluoroTime(RadiationTally):
    id = "fluoro_time"

    def result(self):
        return self.make(self.fluoro_s, None, f"{fmt(self.fluoro_s / 60, 2)} min of fluoroscopy "
                                              f"(reference 4.9 +/- 3.3 min per level)")


class Dap(RadiationTally):
    id = "dap"

    def result(self):
        return self.make(self.dap_gycm2, None, f"{fmt(self.dap_gycm2, 3)} Gy.cm2, entrance air kerma "
                                               f"{fmt(self.kerma_mgy, 1)} mGy (reference 2.9 Gy.cm2 per level)")
