"""Database advice: each branch from synthetic evidence."""

from __future__ import annotations

import math

import pytest

from scalectl.capacity import queueing
from scalectl.capacity.dbadvice import DbEvidence, advise, read_share
from scalectl.capacity.planner import PlanInputs
from scalectl.capacity.recommend import recommend
from scalectl.models import Analysis, Evidence, Finding
from tests.capacity.conftest import evidence_of
from tests.capacity.synth import make_baseline


def test_read_share_from_the_scenario_weights() -> None:
    sc = {
        "requests": [
            {"method": "GET", "path": "/a", "weight": 8},
            {"method": "POST", "path": "/b", "weight": 2},
        ]
    }
    assert read_share(sc) == pytest.approx(0.8)
    assert read_share({"requests": [{"path": "/a"}]}) == 1.0  # GET is the default method
    assert read_share(None) is None and read_share({}) is None


def test_read_heavy_gives_read_replicas_by_the_model() -> None:
    ev = DbEvidence(target_rps=300, peak_rps=300, node_rps=100, utilization=0.7, read_share=0.9)
    (a,) = advise(ev)
    assert a.kind == "read_replicas"
    assert a.read_replicas == math.ceil(300 * 0.9 / (100 * 0.7))  # 270 / 70 → 4
    assert "4 read replica" in a.summary


def test_connection_budget_gives_a_pooler_with_pool_sizes() -> None:
    ev = DbEvidence(
        target_rps=400,
        peak_rps=400,
        node_rps=0,
        utilization=0.7,
        read_share=None,
        hold_s=0.02,
        replicas=10,
        pool_size=8,
        max_overflow=4,
        usable_connections=80,
        budget_exceeded=True,
    )
    (a,) = advise(ev)
    assert a.kind == "pooler" and "PgBouncer" in a.summary and "transaction" in a.summary
    assert a.pgbouncer_max_client_conn == 10 * (8 + 4)
    assert a.pgbouncer_default_pool_size == queueing.min_servers(400, 0.02)
    assert a.pgbouncer_default_pool_size <= 80


@pytest.mark.parametrize(("share", "peak"), [(0.3, 100.0), (0.8, 600.0)])
def test_writes_dominate_gives_partitioning_unsized(share: float, peak: float) -> None:
    ev = DbEvidence(target_rps=peak, peak_rps=peak, node_rps=100, utilization=0.7, read_share=share)
    (a,) = advise(ev)
    assert a.kind == "partitioning" and "not sized" in a.summary
    assert a.read_replicas is None


def test_no_advice_without_a_database_limit() -> None:
    assert advise(DbEvidence(target_rps=10, peak_rps=10, node_rps=0, utilization=0.7, read_share=0.9)) == []


def _db_analysis(run_id: str) -> Analysis:
    return Analysis(
        run_id=run_id,
        performance_ok=False,
        findings=[
            Finding(
                rule="db_pool_saturated",
                category="database",
                severity="high",
                confidence=0.9,
                title="connection pool exhausted",
                evidence=[Evidence(metric="db_pool_checked_out", observed=10, threshold=10)],
                action="raise DB_POOL_SIZE",
            )
        ],
    )


def test_recommend_gives_read_replicas_when_the_database_limits(monkeypatch) -> None:
    b = make_baseline(60.0, pool=(5, 5), pool_hold_ms=50.0)
    ev = evidence_of([b])
    analyses = {s.run.run_id: _db_analysis(s.run.run_id) for s in b.steps}
    rec = recommend(ev, 200.0, analyses=analyses, plan=PlanInputs(read_share=0.9))
    assert rec.limited_by == "database"
    kinds = [a.kind for a in rec.db_advice]
    assert "read_replicas" in kinds
    rr = next(a for a in rec.db_advice if a.kind == "read_replicas")
    knee = max(c.knee_rps for c in ev.capacities)
    assert rr.read_replicas == math.ceil(200.0 * 0.9 / (knee * 0.7) - 1e-9)
