"""analyze_run never fails on odd but valid runs (it runs at the end of every loadtest)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scalectl.analysis import analyze_run
from scalectl.models import Analysis, RunResult, TelemetrySeries
from tests.analysis.helpers import N, base_run, const, process, prom, set_errors


def _empty_series(run: RunResult) -> RunResult:
    run.series = []
    return run


def _no_endpoints_in_intervals(run: RunResult) -> RunResult:
    for s in run.series:
        s.endpoints = {}
    return run


def _one_second(run: RunResult) -> RunResult:
    run.series = run.series[:1]
    return run


def _tel(*series: TelemetrySeries) -> Callable[[RunResult], RunResult]:
    def apply(run: RunResult) -> RunResult:
        run.telemetry = list(series)
        return run

    return apply


def _half_seconds(run: RunResult) -> RunResult:
    for i, s in enumerate(run.series):
        s.t, s.duration_s = i * 0.5, 0.5
    return run


CASES: dict[str, Callable[[RunResult], RunResult]] = {
    "half-second-intervals": _half_seconds,
    "no-series": _empty_series,
    "no-series-with-telemetry": lambda r: _tel(prom("r0", {"db_pool_checked_out": const(1)}))(
        _empty_series(r)
    ),
    "intervals-without-endpoints": _no_endpoints_in_intervals,
    "one-second": _one_second,
    "telemetry-without-samples": _tel(TelemetrySeries(source="r0", kind="prometheus")),
    "all-none-samples": _tel(
        prom("r0", {"db_pool_checked_out": [None] * N, "process_cpu_seconds_total": [None] * N})
    ),
    "unparsable-key": _tel(prom("r0", {'weird{a="': const(1), "ok_metric": const(2)})),
    "zero-pool": _tel(
        prom(
            "r0",
            {"db_pool_size": const(0), "db_pool_max_overflow": const(0), "db_pool_checked_out": const(0)},
        )
    ),
    "generator-only": _tel(process("gen", 20.0, role="generator")),
    "short-metric-lists": _tel(prom("r0", {"db_pool_checked_out": const(1, 5), "db_pool_size": const(5)})),
    "locustfile-run": lambda r: r.model_copy(
        update={"load_model": "locustfile", "scenario": {"name": "x", "locustfile": "f.py"}}
    ),
    "odd-mapping": lambda r: r.model_copy(update={"scenario": {"telemetry": {"metric_names": [1, 2]}}}),
    "all-failed": lambda r: set_errors(r, "connection", 10**6),
    "load-balancer-process": _tel(process("lb", 50.0, role="load_balancer")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_analyze_run_survives(name: str) -> None:
    run = CASES[name](base_run())
    a = analyze_run(run)
    assert isinstance(a, Analysis)
    assert a.path and a.path[0].step == "monitor"
    assert Analysis.model_validate_json(a.model_dump_json()) == a


def test_half_second_intervals_are_summed_into_seconds() -> None:
    from scalectl.analysis.signals import build_signals

    run = _half_seconds(base_run())
    load = build_signals(run).load
    assert list(load.index) == list(range(N // 2))
    assert load["requests"].tolist() == [80.0] * (N // 2)
    assert load["achieved_rps"].tolist() == [80.0] * (N // 2)
    assert load.columns[0] == "achieved_rps" and "error_rate" in load.columns
