"""Efficiency: progress per shot, total time, redirections and instrument movements
(FACTS.md 7: SpineST-01 progress between shots; Fuerst 2015 instrument movements and duration;
FACTS.md 5.1 operating time)."""

from __future__ import annotations

from trainer.core.scoring.metric import Metric, StreamState, fmt

__all__ = ["ProgressPerShot", "TotalTime", "Redirections", "InstrumentMovements"]


class ProgressPerShot(Metric):
    """Millimetres the trocar advanced per shot taken during access (placement to first injection)."""

    id = "progress_per_shot"

    def _reset(self):
        self.advance_mm = 0.0
        self.shots = 0
        self.placed = False
        self.done = False

    def update(self, event, state: StreamState):
        if event.kind == "trocar_placed":
            self.placed = True
        if not self.placed or self.done:
            return
        if event.kind == "cement_injected":
            self.done = True
        elif event.kind == "trocar_moved":
            self.advance_mm += max(0.0, float(event.data.get("delta_mm") or 0.0))
        elif event.kind == "shot":
            self.shots += 1

    def result(self):
        if not self.placed:
            return self.missing("the trocar was never placed")
        v = self.advance_mm / max(self.shots, 1)
        return self.make(v, None, f"{fmt(self.advance_mm)} mm advanced over {self.shots} access shot(s)")


class TotalTime(Metric):
    id = "total_time"

    def _reset(self):
        self.t_s = 0.0

    def update(self, event, state: StreamState):
        self.t_s = state.t_s

    def result(self):
        return self.make(self.t_s / 60.0, None, f"{fmt(self.t_s / 60.0)} min of simulated time")


class Redirections(Metric):
    id = "redirections"

    def _reset(self):
        self.count = 0
        self.placed = False

    def update(self, event, state: StreamState):
        if event.kind == "trocar_placed":
            self.placed = True
        elif event.kind == "trocar_aimed" and event.data.get("redirection"):
            self.count += 1

    def result(self):
        if not self.placed:
            return self.missing("the trocar was never placed")
        return self.make(self.count, None, f"{self.count} redirection(s) in bone")


class InstrumentMovements(Metric):
    """Deliberate movements of the instrument (FACTS.md 7, Fuerst 2015: movements between arrest periods).

    A movement is a run of steps of one kind with no image taken between them: aim steps (any axis), or
    advance steps in one direction (a withdrawal after an advance is a new one).  A shot, a placement or a
    change of trocar ends the run.  The keyboard's unit steps are not movements by themselves: the window's
    expert lays its trocar on the plan's line with 30 or more arrow presses between two shots (realct-log,
    the pass of round 25 "smalls"), one re-aim as the headless plan's single ``place``.
    """

    id = "instrument_movements"

    def _reset(self):
        self.moves = 0
        self.placed = False
        self.run: str | None = None      # the current run's kind: "aim", "advance", "withdraw" or None

    def update(self, event, state: StreamState):
        if event.kind in ("trocar_placed", "trocar_selected", "shot"):
            self.placed = self.placed or event.kind == "trocar_placed"
            self.run = None
        elif event.kind in ("trocar_moved", "trocar_aimed"):
            kind = "aim" if event.kind == "trocar_aimed" else (
                "withdraw" if float(event.data.get("delta_mm", 0.0)) < 0 else "advance")
            if kind != self.run:
                self.moves += 1
            self.run = kind

    def result(self):
        if not self.placed:
            return self.missing("the trocar was never placed")
        return self.make(self.moves, None, f"{self.moves} movement(s): runs of advance, withdraw or aim steps "
                                           f"between images")
