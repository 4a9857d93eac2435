from __future__ import annotations

import pytest

from scalectl.capacity.colocation import host_capacity


def test_a_free_core_leaves_the_capacity_alone() -> None:
    assert host_capacity(80.0, replicas=1, cores=2, target_cpu_s=0.02, generator_cpu_s=0.002) == 80.0


def test_replicas_on_every_core_pay_for_the_generator() -> None:
    # 20 ms of target CPU and 5 ms of generator CPU per request: the replicas get 80% of the cores
    assert host_capacity(
        100.0, replicas=2, cores=2, target_cpu_s=0.020, generator_cpu_s=0.005
    ) == pytest.approx(80.0)
    assert host_capacity(100.0, replicas=4, cores=2, target_cpu_s=0.020, generator_cpu_s=0.0) == 100.0


def test_unknown_costs_change_nothing() -> None:
    assert host_capacity(50.0, replicas=2, cores=2, target_cpu_s=None, generator_cpu_s=0.01) == 50.0
    assert host_capacity(50.0, replicas=2, cores=2, target_cpu_s=0.01, generator_cpu_s=None) == 50.0


def test_costs_are_read_from_the_runs() -> None:
    from scalectl.capacity.colocation import host_capacity_from_runs
    from scalectl.models.run import TelemetrySeries
    from tests.factories import make_run

    def proc(role: str, cpu: float) -> TelemetrySeries:
        return TelemetrySeries(
            source=role, kind="process", role=role, t=list(range(10)), metrics={"cpu_percent": [cpu] * 10}
        )

    run = make_run(rps=20.0, seconds=10, telemetry=[proc("target", 80.0), proc("generator", 20.0)])
    # 40 ms target + 10 ms generator per request: 80% of the cores for the replicas
    assert host_capacity_from_runs(50.0, 2, 2, [run]) == pytest.approx(40.0)
    assert host_capacity_from_runs(50.0, 2, 2, [make_run(rps=20.0, seconds=10)]) is None


def test_a_service_that_waits_keeps_its_capacity_beside_the_generator() -> None:
    """Issue 13: --verify said "this host can show about 29 req/s of the model's 70" for a service that
    sleeps (0.5 % CPU), then measured 35: the generator's CPU only matters when the CPUs run out."""
    assert host_capacity(70.0, replicas=6, cores=2, target_cpu_s=0.0005, generator_cpu_s=0.002) == 70.0
    # CPU-bound: 2 cores / 25 ms = 80 req/s, below the model's 100
    assert host_capacity(
        100.0, replicas=2, cores=2, target_cpu_s=0.020, generator_cpu_s=0.005
    ) == pytest.approx(80.0)
