"""A run's throughput: the one definition every stage uses. Pure.

``EndpointStats.rps`` in run.json is requests over the run's wall time (start-up and drain included);
the throughput a run *achieved* is :func:`active_rps`, over the seconds that carried load. The
analysis (``Analysis.achieved_rps``), the capacity points and ``recommend --verify`` all use it.
"""

from __future__ import annotations

from scalectl.models import RunResult


def active_rps(run: RunResult) -> float:
    """Throughput over the intervals that carried load (first to last with requests, without those two
    partial seconds when there are four or more), not over the wall time of the run, which includes
    start-up and drain seconds; warm-up seconds are left out; ``total.rps`` when there is no series."""
    busy = [i for i, iv in enumerate(run.series) if iv.requests > 0 and not iv.warmup]
    if not busy:
        return run.total.rps
    span = run.series[busy[0] : busy[-1] + 1]
    if len(span) >= 4:
        # the first and last busy seconds are partial (start-up, drain); after a warm-up the first is whole
        span = span[0 if run.warmup_s else 1 : -1]
    seconds = sum(iv.duration_s for iv in span)
    return sum(iv.requests for iv in span) / seconds if seconds > 0 else run.total.rps
