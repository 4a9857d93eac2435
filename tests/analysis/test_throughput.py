"""The one throughput definition (analysis/throughput.py) and the stages that show it."""

from __future__ import annotations

from scalectl.analysis import analyze_run
from scalectl.analysis.throughput import active_rps
from scalectl.capacity.evidence import collect
from tests.factories import make_run


def test_active_rps_counts_the_seconds_that_carried_load() -> None:
    run = make_run(rps=[0, 7, 20, 20, 20, 20, 9, 0, 0], seconds=9)
    assert run.total.rps < 12  # requests over the wall time, start-up and drain included
    assert active_rps(run) == 20.0


def test_no_series_falls_back_to_the_stored_rate() -> None:
    run = make_run(rps=30.0, seconds=5)
    assert active_rps(run.model_copy(update={"series": []})) == run.total.rps


def test_analysis_and_capacity_show_the_same_throughput() -> None:
    run = make_run(rps=[0, 7, 20, 20, 20, 20, 9, 0, 0], seconds=9, slo=["p95<10s"])
    ev = collect([("r", [run], None)])
    assert analyze_run(run).achieved_rps == ev.points[0].rps == active_rps(run) == 20.0
