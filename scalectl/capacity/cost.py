"""What the replicas cost. Pure.

Per replica and hour: CPU request (cores) × vCPU price + memory request (GiB) × GiB price; a month
is 730 hours (8,760 / 12, as cloud price sheets count). With named instance types, the replicas
are packed onto instances: every replica asks the same CPU and memory, so an instance type holds
``min(⌊vCPU / cpu⌋, ⌊GiB / mem⌋)`` of them and the cheapest packing is an unbounded covering
knapsack over the replica count, solved exactly by dynamic programming (``best[n] = min over types
(price + best[n − fits])``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scalectl.errors import InputError
from scalectl.models.recommendation import CostEstimate, InstancePacking, InstanceType, Prices

HOURS_PER_MONTH = 730.0
PACKING_METHOD = "exact dynamic programming over the replica count (identical replicas: covering knapsack)"


def per_replica_hourly(cpu_cores: float, memory_gib: float, prices: Prices) -> float | None:
    """CPU request × vCPU price + memory request × GiB price, or None without unit prices."""
    if prices.vcpu_hour is None and prices.gib_hour is None:
        return None
    return cpu_cores * (prices.vcpu_hour or 0.0) + memory_gib * (prices.gib_hour or 0.0)


def replicas_per_instance(it: InstanceType, cpu_cores: float, memory_gib: float) -> int:
    by_cpu = math.floor(it.vcpu / cpu_cores + 1e-9) if cpu_cores > 0 else 10**6
    by_mem = math.floor(it.memory_gib / memory_gib + 1e-9) if memory_gib > 0 else 10**6
    return max(min(by_cpu, by_mem), 0)


def cheapest_packing(
    replicas: int, cpu_cores: float, memory_gib: float, types: Sequence[InstanceType]
) -> InstancePacking:
    """The cheapest set of instances that hosts ``replicas`` replicas (see the module doc)."""
    fits = {it.name: replicas_per_instance(it, cpu_cores, memory_gib) for it in types}
    usable = [it for it in types if fits[it.name] > 0]
    if not usable:
        raise InputError(
            f"no instance type holds one replica ({cpu_cores:g} vCPU, {memory_gib:.2f} GiB): "
            f"add a larger type to the price file"
        )
    n = max(replicas, 0)
    best = [0.0] + [math.inf] * n
    choice: list[InstanceType | None] = [None] * (n + 1)
    for k in range(1, n + 1):
        for it in usable:
            cost = it.hourly + best[max(k - fits[it.name], 0)]
            if cost < best[k] - 1e-12:
                best[k], choice[k] = cost, it
    counts: dict[str, int] = {}
    k = n
    while k > 0:
        it = choice[k]
        assert it is not None
        counts[it.name] = counts.get(it.name, 0) + 1
        k = max(k - fits[it.name], 0)
    by_name = {it.name: it for it in usable}
    rows = [
        {"type": name, "count": c, "replicas_each": fits[name], "hourly": by_name[name].hourly}
        for name, c in sorted(counts.items())
    ]
    return InstancePacking(
        method=PACKING_METHOD, instances=rows, hourly=best[n], monthly=best[n] * HOURS_PER_MONTH
    )


def estimate(replicas: int, cpu_cores: float, memory_gib: float, prices: Prices) -> CostEstimate:
    """Cost of ``replicas`` replicas: by the requests (unit prices) and, with instance types, packed."""
    hourly = per_replica_hourly(cpu_cores, memory_gib, prices)
    packing = (
        cheapest_packing(replicas, cpu_cores, memory_gib, prices.instance_types)
        if prices.instance_types
        else None
    )
    if hourly is not None:
        monthly = replicas * hourly * HOURS_PER_MONTH
        basis = "requests"
    elif packing is not None:
        monthly = packing.monthly
        hourly = packing.hourly / replicas if replicas else 0.0
        basis = "instances"
    else:
        raise InputError("prices: give a vCPU and/or GiB price per hour, or instance types")
    return CostEstimate(
        per_replica_hourly=hourly,
        monthly=monthly,
        currency=prices.currency,
        replicas=replicas,
        cpu_request_cores=cpu_cores,
        memory_request_gib=memory_gib,
        hours_per_month=HOURS_PER_MONTH,
        basis=basis,
        packing=packing,
        prices=prices,
    )


def monthly_cost(replicas: int, cpu_cores: float, memory_gib: float, prices: Prices) -> float:
    """The monthly figure :func:`estimate` gives for ``replicas`` (one formula for every screen)."""
    return estimate(replicas, cpu_cores, memory_gib, prices).monthly


def parse_prices(data: object, *, source: str = "prices") -> Prices:
    """A price file's parsed YAML → :class:`Prices` (errors name the field)."""
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping with vcpu_hour / gib_hour / instance_types")
    try:
        return Prices.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        field = ".".join(str(p) for p in e["loc"])
        raise InputError(f"{source}: field {field}: {e['msg']}") from None
