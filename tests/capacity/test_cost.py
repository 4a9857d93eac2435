from __future__ import annotations

import itertools

import pytest

from scalectl.capacity.cost import (
    HOURS_PER_MONTH,
    cheapest_packing,
    estimate,
    parse_prices,
    replicas_per_instance,
)
from scalectl.errors import InputError
from scalectl.models.plan import InstanceType, Prices

TYPES = [
    InstanceType(name="small", vcpu=2, memory_gib=4, hourly=0.10),
    InstanceType(name="medium", vcpu=4, memory_gib=8, hourly=0.19),
    InstanceType(name="large", vcpu=8, memory_gib=16, hourly=0.40),
]


@pytest.mark.parametrize("replicas", [1, 2, 3, 7, 20])
@pytest.mark.parametrize(
    ("cpu", "mem", "vcpu_p", "gib_p"),
    [(0.5, 0.5, 0.04, 0.005), (1.0, 2.0, 0.0316, 0.0042), (0.25, 0.25, 0.1, 0.0)],
)
def test_monthly_cost_arithmetic_is_exact(
    replicas: int, cpu: float, mem: float, vcpu_p: float, gib_p: float
) -> None:
    c = estimate(replicas, cpu, mem, Prices(vcpu_hour=vcpu_p, gib_hour=gib_p, currency="EUR"))
    assert c.per_replica_hourly == cpu * vcpu_p + mem * gib_p
    assert c.monthly == replicas * (cpu * vcpu_p + mem * gib_p) * 730
    assert c.hours_per_month == HOURS_PER_MONTH == 730 and c.currency == "EUR" and c.basis == "requests"


def _brute(replicas: int, cpu: float, mem: float) -> float:
    fits = [replicas_per_instance(t, cpu, mem) for t in TYPES]
    best = float("inf")
    for counts in itertools.product(range(replicas + 1), repeat=len(TYPES)):
        if sum(c * f for c, f in zip(counts, fits, strict=True)) >= replicas:
            best = min(best, sum(c * t.hourly for c, t in zip(counts, TYPES, strict=True)))
    return best


@pytest.mark.parametrize("replicas", [1, 2, 3, 5, 8, 11])
@pytest.mark.parametrize(("cpu", "mem"), [(1.0, 1.0), (1.5, 1.0), (0.5, 3.0), (2.0, 2.0)])
def test_packing_is_the_cheapest_by_brute_force(replicas: int, cpu: float, mem: float) -> None:
    p = cheapest_packing(replicas, cpu, mem, TYPES)
    assert p.hourly == pytest.approx(_brute(replicas, cpu, mem), abs=1e-12)
    assert sum(int(r["count"]) * int(r["replicas_each"]) for r in p.instances) >= replicas
    assert p.monthly == pytest.approx(p.hourly * 730) and "exact" in p.method


def test_packing_fits_by_memory_too() -> None:
    # 1 vCPU / 3 GiB replicas: the small type (2 vCPU, 4 GiB) holds one, not two
    assert replicas_per_instance(TYPES[0], 1.0, 3.0) == 1


def test_instance_types_alone_price_by_the_packing() -> None:
    c = estimate(4, 1.0, 1.0, Prices(instance_types=TYPES))
    assert c.basis == "instances" and c.monthly == c.packing.monthly
    assert c.per_replica_hourly == pytest.approx(c.packing.hourly / 4)


def test_no_instance_holds_a_replica() -> None:
    with pytest.raises(InputError, match="no instance type"):
        cheapest_packing(2, 16.0, 1.0, TYPES)


def test_no_prices_at_all() -> None:
    with pytest.raises(InputError, match="prices"):
        estimate(2, 1.0, 1.0, Prices())


def test_parse_prices_names_the_field() -> None:
    with pytest.raises(InputError, match="instance_types.0.vcpu"):
        parse_prices(
            {"instance_types": [{"name": "x", "vcpu": -1, "memory_gib": 1, "hourly": 1}]}, source="p.yaml"
        )
    with pytest.raises(InputError, match="p.yaml"):
        parse_prices([1, 2], source="p.yaml")
    assert parse_prices({"vcpu_hour": 0.04, "currency": "EUR"}).currency == "EUR"
