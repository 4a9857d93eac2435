from __future__ import annotations

import pytest

from scalectl.capacity.sizing import fit_connection_budget, size_replicas, usable_connections
from scalectl.capacity.usl import fit_usl, model_throughput, usl_throughput
from scalectl.models import UslModel


def _model(lam: float, sigma: float, kappa: float) -> UslModel:
    pts = [(n, float(usl_throughput(n, lam, sigma, kappa))) for n in range(1, 9)]
    return fit_usl(pts)


def test_smallest_n_covering_the_target_plus_redundancy() -> None:
    m = _model(100.0, 0.0, 0.0)  # linear: 100 req/s per replica
    plan = size_replicas(m, 350.0, utilization=0.7)
    # 350 / 0.7 = 500 → 5 replicas, +1
    assert plan.reachable and plan.needed == 5 and plan.replicas == 6
    assert size_replicas(m, 350.0, utilization=0.7, redundancy=2).replicas == 7
    assert size_replicas(m, 350.0, utilization=0.7, redundancy=0).replicas == 5


def test_beyond_the_peak_is_unreachable_without_an_absurd_count() -> None:
    m = _model(100.0, 0.05, 0.01)  # N* ≈ 9.7, peak ≈ 530 req/s
    plan = size_replicas(m, 1000.0)
    assert not plan.reachable
    assert plan.needed <= m.peak_n + 1
    assert plan.best_rps >= 0.85 * m.peak_throughput
    assert plan.replicas <= 12
    assert any("beyond the USL peak" in r for r in plan.reasoning)


def test_linear_model_capped_by_max_replicas() -> None:
    plan = size_replicas(_model(10.0, 0.0, 0.0), 10_000.0, max_replicas=50)
    assert not plan.reachable and plan.needed == 50


@pytest.mark.parametrize("model", [(100.0, 0.0, 0.0), (100.0, 0.05, 0.001), (80.0, 0.2, 0.01)])
def test_higher_target_never_fewer_replicas(model: tuple[float, float, float]) -> None:
    m = _model(*model)
    counts = [size_replicas(m, t).replicas for t in range(10, 3000, 37)]
    assert counts == sorted(counts)


@pytest.mark.parametrize("util", [0.3, 0.5, 0.7, 0.9])
def test_lower_utilization_never_fewer_replicas(util: float) -> None:
    m = _model(100.0, 0.05, 0.001)
    full = size_replicas(m, 500.0, utilization=1.0).replicas
    assert size_replicas(m, 500.0, utilization=util).replicas >= full


@pytest.mark.parametrize(
    ("replicas", "pool", "over", "max_conn"),
    [(4, 5, 5, 100), (10, 10, 5, 100), (50, 3, 2, 100), (200, 2, 1, 100), (3, 50, 50, 500), (1, 1, 0, 2)],
)
def test_connection_budget_always_respected(replicas: int, pool: int, over: int, max_conn: int) -> None:
    b = fit_connection_budget(replicas, pool, over, max_conn)
    assert b.total_connections <= usable_connections(max_conn) < max_conn
    assert b.fits == (b.pool_size >= pool and b.replicas == replicas)


def test_an_asymptote_is_not_chased_to_max_replicas() -> None:
    m = fit_usl([(1, 114.0), (2, 160.0)])  # σ ≈ 0.42, κ = 0: X → λ/σ ≈ 270 req/s, never reached
    plan = size_replicas(m, 200.0)  # needs 286 req/s at 0.7 utilization
    assert not plan.reachable and plan.needed < 40
    assert plan.needed <= 8 and plan.best_rps >= 0.75 * model_throughput(m, 100)
    assert any("ceiling" in r for r in plan.reasoning)
