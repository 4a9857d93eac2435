"""The flowchart's Monitor box (``analysis/monitor.py``): SLOs, error rate, achieved vs offered load,
the busiest resource and the headroom left."""

from __future__ import annotations

import pytest

from scalectl.analysis.monitor import cpu_allotment_cores, monitor, utilization
from scalectl.analysis.params import AnalysisParams
from scalectl.analysis.signals import build_signals
from scalectl.analysis.throughput import active_rps
from scalectl.models import Environment
from scalectl.models.run import TargetSpec
from tests.factories import lognormal_latency, make_run, telemetry_series

P = AnalysisParams()
EP = {"GET /a": lognormal_latency(50.0, 0.2)}


def _monitor(run, slo):
    return monitor(run, build_signals(run), slo, P)


def test_a_healthy_run_is_ok_with_the_one_throughput() -> None:
    run = make_run(endpoints=EP, rps=50, seconds=12)
    mon = _monitor(run, ["p95<1s", "error_rate<1%"])
    assert mon.performance_ok and mon.problems == []
    assert mon.achieved_rps == pytest.approx(active_rps(run))
    assert mon.offered_rps is None and mon.shortfall is None
    assert mon.latency_limit_ms == 1000.0
    assert mon.utilization is None and mon.headroom is None  # no telemetry


def test_missed_slos_and_errors_are_problems() -> None:
    run = make_run(endpoints=EP, rps=50, seconds=12, failure_rate=0.05, seed=4)
    mon = _monitor(run, ["p95<10ms", "p99<2s"])
    assert not mon.performance_ok
    assert mon.problems[0].startswith("SLO p95<10ms (overall) missed: ")
    assert mon.problems[1] == f"error rate {run.total.failure_rate:.2%} above 1.00%"
    assert len(mon.problems) == 2
    assert mon.latency_limit_ms == 10.0  # the tightest overall latency SLO
    # per-endpoint views are listed, never counted as problems of their own
    assert any(r.scope == "GET /a" for r in mon.slo)


def test_an_open_model_short_of_its_offered_rate() -> None:
    run = make_run(endpoints=EP, rps=60, seconds=12, offered_rps=[100.0] * 12, load_model="open")
    mon = _monitor(run, [])
    assert mon.offered_rps == pytest.approx(100.0)
    assert mon.shortfall == pytest.approx(1 - mon.achieved_rps / 100.0)
    assert mon.problems == [
        f"achieved {mon.achieved_rps:.4g} req/s of 100 offered ({mon.shortfall:.0%} short)"
    ]


def test_no_requests_is_a_problem() -> None:
    mon = _monitor(make_run(endpoints=EP, rps=0, seconds=5), [])
    assert "no requests were measured" in mon.problems
    assert mon.achieved_rps == 0.0


def _with_cpu(run, cpu_percent: float, pool: float | None = None):
    n = len(run.series)
    metrics = {"cpu_percent": [cpu_percent] * n, "rss_bytes": [1e8] * n}
    tel = [telemetry_series("replica-0", metrics, kind="process")]
    if pool is not None:
        tel.append(
            telemetry_series(
                "replica-0",
                {
                    "db_pool_size": [10.0] * n,
                    "db_pool_max_overflow": [0.0] * n,
                    "db_pool_checked_out": [10 * pool] * n,
                },
            )
        )
    return run.model_copy(update={"telemetry": tel})


def test_the_busiest_resource_and_the_headroom() -> None:
    run = _with_cpu(make_run(endpoints=EP, rps=50, seconds=12, environment=Environment(cpu_count=4)), 60.0)
    mon = _monitor(run, [])
    assert mon.utilization == pytest.approx(0.6)
    assert mon.utilization_of == "CPU of 1 core(s) per replica"
    assert mon.headroom == pytest.approx(P.headroom_target - 0.6)
    pooled = _with_cpu(run, 60.0, pool=0.9)
    util, of = utilization(build_signals(pooled), pooled, P)
    assert (round(util, 3), of) == (0.9, "database pool")


@pytest.mark.parametrize(
    ("environment", "target", "processes", "cores"),
    [
        (Environment(cpu_count=8), None, 1, 1.0),  # one Python process per replica by default
        (Environment(cpu_count=8, cpus_per_replica=2.0), None, 1, 2.0),
        (Environment(cpu_count=8, cpus_per_replica=4.0), None, 4, 2.0),  # capped by the host's share
        (Environment(cpu_count=8), TargetSpec(kind="command", command="app {port}"), 1, 8.0),
        (
            Environment(cpu_count=8),
            TargetSpec(kind="command", command="app {port}", cpus_per_replica=3),
            1,
            3.0,
        ),
    ],
)
def test_cpu_allotment(environment, target, processes, cores) -> None:
    run = make_run(endpoints=EP, seconds=3, environment=environment).model_copy(update={"target": target})
    assert cpu_allotment_cores(run, P, processes) == cores
