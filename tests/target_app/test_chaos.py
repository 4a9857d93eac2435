"""Runtime fault injection and admin rate-limit reset (token-guarded), and the caller's own budgets."""

from __future__ import annotations

import asyncio
import time

from tests.target_app.conftest import MakeClient
from tests.target_app.helpers import auth

ADMIN = {"X-Admin-Token": "secret"}


async def test_chaos_requires_the_token(make_client: MakeClient) -> None:
    off = await make_client()
    assert (await off.post("/api/admin/chaos", json={"latency_ms": 5})).status_code == 403
    client = await make_client(ADMIN_TOKEN="secret")
    r = await client.post("/api/admin/chaos", json={"latency_ms": 5}, headers={"X-Admin-Token": "nope"})
    assert r.status_code == 403


async def test_chaos_latency_and_reset(make_client: MakeClient) -> None:
    client = await make_client(ADMIN_TOKEN="secret")
    r = await client.post("/api/admin/chaos", json={"latency_ms": 300}, headers=ADMIN)
    assert r.status_code == 200 and r.json()["chaos"]["latency_ms"] == 300
    start = time.perf_counter()
    assert (await client.get("/api/content/1")).status_code == 200
    assert time.perf_counter() - start >= 0.3
    r = await client.post("/api/admin/chaos", json={"reset": True}, headers=ADMIN)
    assert r.json()["chaos"] == {"latency_ms": 0.0, "llm_failure_rate": None, "db_pool_limit": None}


async def test_chaos_llm_failure_rate(make_client: MakeClient) -> None:
    client = await make_client(ADMIN_TOKEN="secret", BREAKER_FAILURE_THRESHOLD="100")
    await client.post("/api/admin/chaos", json={"llm_failure_rate": 1}, headers=ADMIN)
    assert (await client.post("/api/content/generate", json={"topic": "abc"})).status_code == 502
    await client.post("/api/admin/chaos", json={"clear_llm_failure_rate": True}, headers=ADMIN)
    assert (await client.post("/api/content/generate", json={"topic": "abc"})).status_code == 201


async def test_chaos_shrinks_the_pool(make_client: MakeClient) -> None:
    client = await make_client(
        ADMIN_TOKEN="secret", DB_SLOW_QUERY_MS="300", DB_POOL_TIMEOUT="0.1", CACHE_ENABLED="0",
        RATE_LIMIT_ENABLED="0",
    )  # fmt: skip
    codes = [r.status_code for r in await asyncio.gather(*(client.get("/api/content/1") for _ in range(3)))]
    assert codes == [200, 200, 200]  # the pool (5 + 5) holds three at once
    await client.post("/api/admin/chaos", json={"db_pool_limit": 1}, headers=ADMIN)
    codes = [r.status_code for r in await asyncio.gather(*(client.get("/api/content/1") for _ in range(3)))]
    assert sorted(codes) == [200, 503, 503]


async def test_rate_limit_status_shows_own_budgets_without_spending(make_client: MakeClient) -> None:
    client = await make_client(RATE_LIMIT_GENERATE="5/minute")
    await client.post("/api/content/generate", json={"topic": "abc"}, headers=auth("me"))
    body = (await client.get("/api/rate-limit/status", headers=auth("me"))).json()
    assert body["identity"] == "user:me" and body["plan"] == "free"
    budgets = {b["bucket"]: b for b in body["budgets"]}
    assert budgets["generate"]["limit"] == 5 and budgets["generate"]["remaining"] == 4
    again = (await client.get("/api/rate-limit/status", headers=auth("me"))).json()
    assert {b["bucket"]: b for b in again["budgets"]}["generate"]["remaining"] == 4
    other = (await client.get("/api/rate-limit/status", headers=auth("you"))).json()
    assert {b["bucket"]: b for b in other["budgets"]}["generate"]["remaining"] == 5


async def test_admin_rate_limit_reset(make_client: MakeClient) -> None:
    client = await make_client(RATE_LIMIT_GENERATE="1/minute", ADMIN_TOKEN="secret")
    gen = {"topic": "abc"}
    assert (await client.post("/api/content/generate", json=gen, headers=auth("a"))).status_code == 201
    assert (await client.post("/api/content/generate", json=gen, headers=auth("a"))).status_code == 429
    assert (await client.post("/api/admin/rate-limit/reset", json={})).status_code == 403
    r = await client.post("/api/admin/rate-limit/reset", json={"identity": "user:a"}, headers=ADMIN)
    assert r.status_code == 200 and r.json()["deleted"] >= 1
    assert (await client.post("/api/content/generate", json=gen, headers=auth("a"))).status_code == 201
    r = await client.post("/api/admin/rate-limit/reset", json={}, headers=ADMIN)
    assert r.status_code == 200
    assert (await client.post("/api/content/generate", json=gen, headers=auth("a"))).status_code == 201


async def test_blog_section_generate(client) -> None:
    body = {
        "section": {"id": "s1", "heading": "Why caching", "subheadings": ["TTL"], "key_points": ["speed"]},
        "keywords": ["cache"],
        "mode": "draft",
    }
    r = await client.post("/api/blog/section/generate", json=body, headers=auth("w"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["success"] and out["markdown"].startswith("## Why caching") and "### TTL" in out["markdown"]
    assert out["citations"][0]["title"] == "Source on cache"
    assert r.headers["X-RateLimit-Limit"] == "1000"  # the generation budget (TEST_ENV)
