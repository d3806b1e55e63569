"""Events the procedure emits; metrics, the GUI and the session log read them.

An :class:`Event` is ``(kind, t_s, data)`` with JSON-safe ``data``.  The kinds and
their ``data`` keys are listed in :data:`EVENT_KINDS` and documented in
docs/session-format.md.  Events are derived by replaying actions, never trusted from
a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Event", "EVENT_KINDS"]

#: kind -> the keys of ``data`` (all distances mm, angles deg, volumes mL, doses as named)
EVENT_KINDS: dict[str, tuple[str, ...]] = {
    "decision": ("item", "answer"),
    "carm_moved": ("pose", "view", "moved_deg", "moved_mm"),
    "shot": ("index", "view", "pose", "pulses", "entrance_kerma_mgy", "dap_gycm2", "fluoro_s",
             "tip_mm", "cement_ml", "image_sha256", "continuous"),
    "trocar_placed": ("side", "gauge", "outer_diameter_mm", "entry_mm", "target_mm", "skin_mm", "direction", "length_mm",
                      "insertion"),
    "trocar_selected": ("side", "tip_mm", "tissue"),
    "trocar_aimed": ("direction", "change_deg", "redirection", "tip_mm", "tissue"),
    "trocar_moved": ("delta_mm", "depth_mm", "tip_mm", "tissue", "shaft_tissues", "removed", "breach_mm",
                     "grade", "medial_margin_mm"),
    "wall_crossed": ("wall", "side", "point_mm", "inward", "breach_mm", "grade", "tissue_from", "tissue_to"),
    "breach": ("side", "wall", "breach_mm", "grade", "tip_mm"),
    "cement_mixed": ("product", "batch"),
    "waited": ("s",),
    "cement_injected": ("ml", "tip_mm", "phase", "viscosity_pa_s", "injected_ml", "in_body_ml",
                        "leaked_ml", "posterior_extent_fraction", "delivered_ml", "flags"),
    "leak": ("type", "region", "volume_ml", "first_t_s", "pe_risk"),
    "leak_seen": ("type", "region", "view", "volume_ml"),
    "refused": ("action", "reason"),
    "finished": (),
}


@dataclass(frozen=True, slots=True)   # slots: a million-action session keeps a million of these
class Event:
    """One thing that happened, at simulated time ``t_s`` (seconds since the session start)."""

    kind: str
    t_s: float
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"kind": self.kind, "t_s": round(float(self.t_s), 6), **self.data}
