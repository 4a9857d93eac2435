from __future__ import annotations

import time

from tests.target_app.conftest import MakeClient


async def test_injected_latency_per_route_and_global(make_client: MakeClient) -> None:
    client = await make_client(INJECT_LATENCY_ROUTES="/health=150", INJECT_LATENCY_MS="100")
    start = time.perf_counter()
    assert (await client.get("/health")).status_code == 200
    assert time.perf_counter() - start >= 0.15
    start = time.perf_counter()
    assert (await client.get("/api/content/1")).status_code == 200
    assert time.perf_counter() - start >= 0.1


async def test_event_loop_lag_is_measured(make_client: MakeClient) -> None:
    import asyncio

    from tests.target_app.helpers import metric

    client = await make_client(EVENT_LOOP_LAG_INTERVAL_S="0.02")
    await asyncio.sleep(0.03)
    time.sleep(0.2)  # block the loop: the watcher wakes up late
    await asyncio.sleep(0.05)
    assert metric((await client.get("/metrics")).text, "event_loop_lag_seconds") >= 0.1
