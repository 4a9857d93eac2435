"""The pool fails fast: an exhausted pool answers 503 + Retry-After within the pool timeout."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.target_app.conftest import MakeClient
from tests.target_app.helpers import metric


@pytest.mark.integration
async def test_exhausted_pool_answers_503_fast(make_client: MakeClient) -> None:
    client = await make_client(
        DB_POOL_SIZE="1",
        DB_MAX_OVERFLOW="0",
        DB_POOL_TIMEOUT="0.3",
        DB_SLOW_QUERY_MS="1200",
        CACHE_ENABLED="0",
    )

    async def timed(i: int) -> tuple[httpx.Response, float]:
        start = time.perf_counter()
        r = await client.get(f"/api/content/{i}")
        return r, time.perf_counter() - start

    results = await asyncio.gather(*(timed(i) for i in range(1, 4)))
    codes = sorted(r.status_code for r, _ in results)
    assert codes == [200, 503, 503]
    for r, took in results:
        if r.status_code == 503:
            assert r.headers["Retry-After"] == "1"
            assert took < 1.8  # the pool timeout (0.3 s), not the slow request (2 queries of 1.2 s)
    text = (await client.get("/metrics")).text
    assert metric(text, "db_pool_timeouts_total") == 2
    assert metric(text, "db_pool_wait_seconds_count") >= 3


async def test_slow_query_knob_holds_the_connection(make_client: MakeClient) -> None:
    client = await make_client(DB_SLOW_QUERY_MS="100", CACHE_ENABLED="0")
    start = time.perf_counter()
    assert (await client.get("/api/content", params={"limit": 1})).status_code == 200
    assert time.perf_counter() - start >= 0.1
