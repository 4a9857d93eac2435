"""Against the machine's real Redis (unique key prefix per test): shared cache, shared rate limits,
SCAN+UNLINK invalidation, and an unreachable Redis degrading to misses instead of errors."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from tests.target_app.conftest import MakeClient
from tests.target_app.helpers import auth, metric

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


async def _replicas(make_client: MakeClient, tmp_path: Path, **env: str) -> tuple[httpx.AsyncClient, ...]:
    db = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/shared.db"}
    return (await make_client(**db, **env), await make_client(**db, **env))


async def test_cache_is_shared_and_hits_are_counted(
    make_client: MakeClient, redis_env: dict[str, str], tmp_path: Path
) -> None:
    a, b = await _replicas(make_client, tmp_path, **redis_env)
    first = await a.get("/api/content/5", headers=auth("u"))
    second = await b.get("/api/content/5", headers=auth("u"))
    assert first.json() == second.json()
    assert metric((await a.get("/metrics")).text, "cache_misses_total", cache="content") == 1
    assert metric((await b.get("/metrics")).text, "cache_hits_total", cache="content") == 1
    ready = (await a.get("/health/ready")).json()
    assert ready["components"] == {"database": "ok", "redis": "ok"}


async def test_rate_limit_holds_in_total_across_two_replicas(
    make_client: MakeClient, redis_env: dict[str, str], tmp_path: Path
) -> None:
    a, b = await _replicas(make_client, tmp_path, RATE_LIMIT_DEFAULT="4/minute", **redis_env)
    codes = [
        (await (a if i % 2 else b).get("/api/content", headers=auth("same"))).status_code for i in range(8)
    ]
    assert codes == [200] * 4 + [429] * 4
    other = await a.get("/api/content", headers=auth("other"))
    assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "3"


async def test_invalidation_scans_and_unlinks_only_the_prefix(
    make_client: MakeClient, redis_env: dict[str, str]
) -> None:
    from redis.asyncio import Redis

    client = await make_client(ADMIN_TOKEN="t", **redis_env)
    for i in (1, 2, 3):
        await client.get(f"/api/content/{i}", headers=auth("u"))
    await client.get("/api/analytics/content")
    r = await client.post(
        "/api/admin/cache/invalidate", json={"prefix": "content:"}, headers={"X-Admin-Token": "t"}
    )
    assert r.json()["deleted"] == 3
    redis = Redis.from_url(redis_env["REDIS_URL"])
    left = sorted(
        [k.decode() async for k in redis.scan_iter(match=redis_env["REDIS_KEY_PREFIX"] + "cache:*")]
    )
    await redis.aclose()
    assert left == [redis_env["REDIS_KEY_PREFIX"] + "cache:analytics:30"]


async def test_research_job_state_is_visible_from_the_other_replica(
    make_client: MakeClient, redis_env: dict[str, str], tmp_path: Path
) -> None:
    import asyncio

    a, b = await _replicas(make_client, tmp_path, **redis_env)
    task = (await a.post("/api/blog/research/start", json={"keywords": ["x"]}, headers=auth("u"))).json()
    for _ in range(200):
        body = (await b.get(f"/api/blog/research/status/{task['task_id']}", headers=auth("u"))).json()
        if body["status"] == "completed":
            break
        await asyncio.sleep(0.02)
    assert body["status"] == "completed"
    # the result went to the shared cache: the other replica answers the same request from it
    again = (await b.post("/api/blog/research/start", json={"keywords": ["x"]}, headers=auth("u"))).json()
    assert again["status"] == "completed"


async def test_unreachable_redis_degrades_to_misses(make_client: MakeClient) -> None:
    client = await make_client(
        REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0", RATE_LIMIT_DEFAULT="3/minute"
    )
    for _ in range(2):
        r = await client.get("/api/content/1", headers=auth("u"))
        assert r.status_code == 200
    text = (await client.get("/metrics")).text
    assert metric(text, "cache_misses_total", cache="content") == 2
    assert metric(text, "cache_errors_total", cache="content") >= 1
    ready = await client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["components"]["database"] == "ok"
    assert ready.json()["components"]["redis"].startswith("error")
    # rate limits fall back to this replica's own window
    codes = [(await client.get("/api/content", headers=auth("v"))).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert (await client.post("/api/content/generate", json={"topic": "Outage"})).status_code == 201


async def test_two_uvicorn_replicas_share_the_limit(redis_env: dict[str, str], tmp_path: Path) -> None:
    """The same, with real processes: scalectl's target runner, two replicas, one Redis."""
    from scalectl.target import running_target

    env = {**redis_env, "RATE_LIMIT_DEFAULT": "4/minute", "SEED_CONTENT_ROWS": "100"}
    with running_target(replicas=2, env=env, workdir=tmp_path) as info:
        urls = [r.url for r in info.replicas]
        codes = [httpx.get(f"{urls[i % 2]}/api/content", headers=auth("p")).status_code for i in range(6)]
    assert codes == [200] * 4 + [429] * 2
