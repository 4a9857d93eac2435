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
