"""A run's throughput: the one definition every stage uses. Pure.

``EndpointStats.rps`` in run.json is requests over the run's wall time (start-up and drain included);
the throughput a run *achieved* is :func:`active_rps`, over the seconds that carried load. The
analysis (``Analysis.achieved_rps``), the capacity points and ``recommend --verify`` all use it.
"""

from __future__ import annotations

from scalectl.models import RunResult


def active_rps(run: RunResult) -> float:
    """Throughput over the intervals that carried load (``RunResult.loaded_seconds``: first to last
    with requests, without those two partial seconds when there are four or more), not over the wall
    time of the run, which includes start-up and drain seconds; warm-up seconds are left out;
    ``total.rps`` when there is no series (``RunResult.active_rps``, the one definition)."""
    return run.active_rps()
