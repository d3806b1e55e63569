"""Radiation as a C-arm counts it: exposures, fluoroscopy time, pulses, air kerma and DAP.

An *exposure* is one press of the footswitch or one single shot: a held fluoroscopy run
is one exposure however long it lasts (its continuation shots carry ``continuous``).
Fluoroscopy seconds, pulses, the entrance (reference-point) air kerma and the
dose-area product are summed over every pulse.  Reference levels: FACTS.md 5.1 (4.9 +/-
3.3 min of fluoroscopy and 2.9 Gy.cm2 per level), FACTS.md 7 (novice alarm above 2x),
FACTS.md 5.2 (7.5 pulses/s; 45 uGy per pulse [D]); the exposure count has no literature
value (FACTS.md 7) and is the project's [D] reference.
"""

from __future__ import annotations

from trainer.core.scoring.metric import Metric, StreamState, fmt

__all__ = ["RadiationTally", "Exposures", "FluoroTime", "Pulses", "AirKerma", "Dap"]


class RadiationTally(Metric):
    """Sums the per-shot dose figures of the ``shot`` events."""

    def _reset(self):
        self.shots = 0
        self.exposures = 0
        self.pulses = 0
        self.fluoro_s = 0.0
        self.dap_gycm2 = 0.0
        self.kerma_mgy = 0.0

    def update(self, event, state: StreamState):
        if event.kind != "shot":
            return
        d = event.data
        self.shots += 1
        if not d.get("continuous"):
            self.exposures += 1
        self.pulses += int(d.get("pulses") or 0)
        self.fluoro_s += float(d.get("fluoro_s") or 0.0)
        self.dap_gycm2 += float(d.get("dap_gycm2") or 0.0)
        self.kerma_mgy += float(d.get("entrance_kerma_mgy") or 0.0)

    def totals(self) -> dict:
        """The running totals (the report's ``radiation`` block)."""
        return {"exposures": self.exposures, "shots": self.shots, "pulses": self.pulses, "fluoro_s": self.fluoro_s,
                "dap_gycm2": self.dap_gycm2, "entrance_kerma_mgy": self.kerma_mgy}


def _ref(spec) -> str:
    return f"reference {spec.pass_band[1]:g} {spec.unit}, fails above {spec.warn_band[1]:g}"


class Exposures(RadiationTally):
    id = "exposures"

    def result(self):
        held = self.shots - self.exposures
        extra = f" ({held} continuation shot(s) of held runs)" if held else ""
        return self.make(self.exposures, None, f"{self.exposures} exposures{extra}; {_ref(self.spec)}")


class FluoroTime(RadiationTally):
    id = "fluoro_time"

    def result(self):
        return self.make(self.fluoro_s, None, f"{fmt(self.fluoro_s / 60, 2)} min of fluoroscopy "
                                              f"(clinical 4.9 +/- 3.3 min per level); {_ref(self.spec)}")


class Pulses(RadiationTally):
    id = "pulses"

    def result(self):
        return self.make(self.pulses, None, f"{self.pulses} pulses; {_ref(self.spec)}")


class AirKerma(RadiationTally):
    id = "air_kerma"

    def result(self):
        return self.make(self.kerma_mgy, None, f"{fmt(self.kerma_mgy, 1)} mGy entrance air kerma; {_ref(self.spec)}")


class Dap(RadiationTally):
    id = "dap"

    def result(self):
        return self.make(self.dap_gycm2, None, f"{fmt(self.dap_gycm2, 3)} Gy.cm2 (clinical median 2.9 per level); "
                                               f"{_ref(self.spec)}")
