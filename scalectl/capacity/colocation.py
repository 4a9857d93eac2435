"""Capacity on the measuring host itself, when the load generator runs on the replicas' cores.

Measurements made here drive the target from the same machine (load goes to loopback). While the
replicas leave a core free, the generator runs there and the fitted per-replica capacity holds. Once
the replicas take every core, each request also costs the generator's CPU on those cores, so the
host's CPUs carry at most ``cores / (t + g)`` requests a second (t, g: CPU seconds per request of the
target and of the generator, both measured), and the host delivers the smaller of that and the
capacity: ``capacity × t / (t + g)`` for a CPU-bound service (capacity = cores / t), the capacity
itself for one that waits (a sleep, a pool, a slow upstream) and leaves the CPUs idle. Production has no generator on its cores: the model's own prediction is
the one to size with; this one is what a check on this host should expect (``recommend --verify``,
bench/bench_capacity.py).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable

from scalectl.capacity.signals import cpu_s_per_request
from scalectl.models import RunResult


def host_capacity(
    capacity: float, replicas: int, cores: int, target_cpu_s: float | None, generator_cpu_s: float | None
) -> float:
    """``capacity`` of ``replicas`` one-core replicas, as measurable on a host of ``cores`` cores that
    also runs the generator. Unknown CPU costs leave the capacity as it is."""
    if (
        replicas < cores
        or not target_cpu_s
        or not generator_cpu_s
        or target_cpu_s <= 0
        or generator_cpu_s < 0
    ):
        return capacity
    return min(capacity, cores / (target_cpu_s + generator_cpu_s))


def host_capacity_from_runs(
    capacity: float, replicas: int, cores: int, runs: Iterable[RunResult]
) -> float | None:
    """:func:`host_capacity` with the CPU per request of the target and of the generator taken as
    medians over the ``runs`` that recorded them; None when none did."""
    runs = list(runs)
    t = [v for v in (cpu_s_per_request(r, "target") for r in runs) if v]
    g = [v for v in (cpu_s_per_request(r, "generator") for r in runs) if v is not None]
    if not t or not g:
        return None
    return host_capacity(capacity, replicas, cores, statistics.median(t), statistics.median(g))
