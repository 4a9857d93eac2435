"""End to end on the bundled target: stepped open-model runs → evidence → recommendation.

A CPU-bound configuration (SEO_CPU_WORK high) gets more replicas than a light one for the same rate;
a database-bound one (DB_POOL_SIZE=1, DB_MAX_OVERFLOW=0, DB_SLOW_QUERY_MS=50, no cache) is told that
replicas will not help and what to change. Each takes ~30-60 s on this machine: marked slow.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from scalectl.capacity.evidence import collect
from scalectl.capacity.recommend import default_analyzer, recommend
from scalectl.models import Recommendation, RunResult

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HERE = Path(__file__).parent / "scenarios"
COMMON_ENV = {"SEED_CONTENT_ROWS": "400", "RATE_LIMIT_ENABLED": "0"}


PG = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A scratch PostgreSQL database (DATABASE_URL for the target); SQLite would serialise the SEO
    analyses' writes across the event loop and make every configuration database-bound."""
    import asyncio
    import uuid

    asyncpg = pytest.importorskip("asyncpg")
    name = f"scalectl_capacity_{uuid.uuid4().hex[:8]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(PG, timeout=3)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(run(f"CREATE DATABASE {name}"))
    except (OSError, TimeoutError) as exc:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 ({exc})")
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def stepped_runs(
    scenario: Path, env: Mapping[str, str], rates: Sequence[float], root: Path, step_s: float = 4.0
) -> list[RunResult]:
    pytest.importorskip("scalectl.target", reason="the bundled target is not merged")
    from scalectl.models.run import TargetSpec
    from scalectl.pipeline import RunOptions, run_load, start_target

    runs = []
    spec = TargetSpec(kind="bundled", replicas=1, env={**COMMON_ENV, **env})
    with start_target(spec) as running:
        for rate in rates:
            opts = RunOptions(scenario=scenario, rps=rate, duration=step_s, root=root)
            run, _ = run_load(opts, running=running)
            runs.append(run)
            if run.total.latency_ms.p95 > 2000 or run.total.failure_rate > 0.2:
                break  # well past the knee
    return runs


def _recommend(runs: list[RunResult], target_rps: float) -> Recommendation:
    ev = collect([("steps", runs, None)], ["p95<300ms", "error_rate<1%"])
    return recommend(ev, target_rps, analyzer=default_analyzer())


def test_cpu_bound_configuration_gets_more_replicas(tmp_path: Path, pg_database: str) -> None:
    rates = [10, 40, 120]
    db = {"DATABASE_URL": pg_database}
    light = stepped_runs(HERE / "seo_cpu.yaml", {**db, "SEO_CPU_WORK": "1"}, rates, tmp_path)
    heavy = stepped_runs(HERE / "seo_cpu.yaml", {**db, "SEO_CPU_WORK": "40"}, rates, tmp_path)
    r_light, r_heavy = _recommend(light, 150.0), _recommend(heavy, 150.0)
    assert r_heavy.per_replica_capacity_rps < r_light.per_replica_capacity_rps
    assert r_heavy.replicas > r_light.replicas, (r_light.reasoning, r_heavy.reasoning)
    assert r_heavy.limited_by != "database", r_heavy.reasoning


def test_database_bound_configuration_is_told_replicas_will_not_help(tmp_path: Path) -> None:
    env = {"DB_POOL_SIZE": "1", "DB_MAX_OVERFLOW": "0", "DB_SLOW_QUERY_MS": "50", "CACHE_ENABLED": "0"}
    runs = stepped_runs(HERE / "content_read.yaml", env, [5, 12, 40], tmp_path)
    rec = _recommend(runs, 100.0)
    assert rec.limited_by == "database", rec.reasoning
    assert not rec.reachable
    assert any("will not help" in line for line in rec.reasoning)
    assert any("DB_POOL_SIZE" in a for a in rec.advice)
