"""The knee: the highest throughput among load levels that met the SLO. Pure.

The one knee finder: the baseline sweep (overall and per endpoint) and the capacity evidence (per
replica count) both call :func:`find_knee`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadPoint:
    #: How hard the level was driven (users, offered rate, or the step's order); higher is heavier.
    level: float
    #: Throughput measured at the level (req/s).
    rps: float
    #: The level met the SLO and the error-rate guard (``scalectl.slo.meets``).
    ok: bool


@dataclass(frozen=True)
class Knee:
    #: Index of the knee in the points given.
    index: int
    #: The SLO never broke at or beyond the knee, and the knee is the most loaded level measured: the
    #: real capacity lies beyond the last step.
    beyond_last_step: bool


def find_knee(points: Sequence[LoadPoint]) -> Knee | None:
    """The SLO-meeting point of highest throughput (the first of equals); None when none met it."""
    ok = [i for i, p in enumerate(points) if p.ok]
    if not ok:
        return None
    best = max(ok, key=lambda i: points[i].rps)
    level = points[best].level
    heaviest = max(p.level for p in points)
    beyond = level >= heaviest and not any(not p.ok and p.level >= level for p in points)
    return Knee(index=best, beyond_last_step=beyond)
