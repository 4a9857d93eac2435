"""The open model's arrival schedule (no Locust here, so it is unit-testable)."""

from __future__ import annotations

import math
from typing import Any


class ArrivalSchedule:
    """Intended send times (epoch seconds) for constant or linearly ramping rate stages.

    The k-th arrival of a stage is at the time where the integral of the rate reaches k, computed in
    closed form (no accumulated rounding): constant rate r → k / r; ramp r0 → r1 over D → the root
    of (r1 - r0) / (2D) τ² + r0 τ = k. ``share`` is this process's part of the rate (1 / workers).
    """

    def __init__(self, stages: list[dict[str, Any]], share: float, t0: float) -> None:
        self.stages = stages
        self.share = share
        self.t0 = t0
        self.stage = 0
        self.k = 0
        self.stage_start = t0
        self.end = t0 + sum(s["duration"] for s in stages)

    def _offset(self, s: dict[str, Any], k: int) -> float:
        r1 = s["rps"] * self.share
        r0 = r1 if s.get("start_rps") is None else s["start_rps"] * self.share
        d = s["duration"]
        a = (r1 - r0) / d if d else 0.0
        if abs(a) < 1e-12:
            return k / r0 if r0 > 0 else math.inf
        disc = r0 * r0 + 2 * a * k
        return math.inf if disc < 0 else (-r0 + math.sqrt(disc)) / a

    def claim(self) -> float | None:
        while self.stage < len(self.stages):
            s = self.stages[self.stage]
            tau = self._offset(s, self.k)
            if tau < s["duration"]:
                self.k += 1
                return self.stage_start + tau
            self.stage_start += s["duration"]
            self.stage += 1
            self.k = 0
        return None
