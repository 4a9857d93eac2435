"""Circuit breaker: opens after the threshold, rejects fast, half-open lets a limited number of probes."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from target_app.breaker import CLOSED, HALF_OPEN, OPEN, BreakerOpen, CircuitBreaker
from target_app.metrics import Metrics
from tests.target_app.conftest import MakeClient
from tests.target_app.helpers import metric


class Boom(Exception):
    pass


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _breaker(clock: Clock, probes: int = 1) -> CircuitBreaker:
    return CircuitBreaker("t", Metrics(), 3, 10.0, probes, (Boom,), clock=clock)


async def _fail() -> None:
    raise Boom


async def _ok() -> str:
    return "ok"


async def test_opens_after_threshold_and_recovers() -> None:
    clock = Clock()
    b = _breaker(clock)
    for _ in range(3):
        with pytest.raises(Boom):
            await b.call(_fail)
    assert b.state == OPEN
    with pytest.raises(BreakerOpen) as exc:
        await b.call(_ok)
    assert exc.value.retry_after == 10
    clock.now = 10.0
    assert b.state == HALF_OPEN
    assert await b.call(_ok) == "ok"
    assert b.state == CLOSED


async def test_other_errors_do_not_count() -> None:
    b = _breaker(Clock())
    for _ in range(5):
        with pytest.raises(ValueError):
            await b.call(lambda: _raise(ValueError()))
    assert b.state == CLOSED


async def _raise(exc: Exception) -> None:
    raise exc


@pytest.mark.parametrize("probes", [1, 2])
async def test_half_open_limits_concurrent_probes(probes: int) -> None:
    clock = Clock()
    b = _breaker(clock, probes=probes)
    for _ in range(3):
        with pytest.raises(Boom):
            await b.call(_fail)
    clock.now = 11.0
    gate = asyncio.Event()

    async def slow() -> str:
        await gate.wait()
        return "ok"

    tasks = [asyncio.create_task(b.call(slow)) for _ in range(probes + 2)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert sum(r == "ok" for r in results) == probes
    assert sum(isinstance(r, BreakerOpen) for r in results) == 2
    assert b.state == CLOSED


async def test_failed_probe_reopens() -> None:
    clock = Clock()
    b = _breaker(clock)
    for _ in range(3):
        with pytest.raises(Boom):
            await b.call(_fail)
    clock.now = 10.0
    with pytest.raises(Boom):
        await b.call(_fail)
    assert b.state == OPEN
    clock.now = 19.0
    assert b.state == OPEN


async def test_llm_failures_open_the_breaker_then_it_recovers(make_client: MakeClient) -> None:
    client = await make_client(LLM_FAILURE_RATE="1", BREAKER_FAILURE_THRESHOLD="2", BREAKER_RECOVERY_S="0.5")
    body = {"topic": "Breakers"}
    assert [(await client.post("/api/content/generate", json=body)).status_code for _ in range(2)] == [
        502,
        502,
    ]
    calls = metric((await client.get("/metrics")).text, "upstream_duration_seconds_count", name="llm")
    rejected = await client.post("/api/content/generate", json=body)
    assert rejected.status_code == 503 and int(rejected.headers["Retry-After"]) >= 1
    text = (await client.get("/metrics")).text
    assert metric(text, "upstream_duration_seconds_count", name="llm") == calls == 2  # provider not called
    assert metric(text, "circuit_breaker_state", name="llm") == OPEN
    assert metric(text, "circuit_breaker_rejections_total", name="llm") == 1
    # the provider recovers; after the recovery window one probe closes the breaker
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    ctx.llm.settings = dataclasses.replace(ctx.llm.settings, llm_failure_rate=0.0)
    await asyncio.sleep(0.6)
    assert (await client.post("/api/content/generate", json=body)).status_code == 201
    text = (await client.get("/metrics")).text
    assert metric(text, "circuit_breaker_state", name="llm") == CLOSED


async def test_llm_timeouts_count_as_failures(make_client: MakeClient) -> None:
    client = await make_client(LLM_LATENCY_SCALE="1", LLM_TIMEOUT_S="0.05", BREAKER_FAILURE_THRESHOLD="1")
    r = await client.post("/api/content/generate", json={"topic": "Slow provider"})
    assert r.status_code == 502 and "timed out" in r.json()["detail"]
    assert (await client.post("/api/content/generate", json={"topic": "Slow provider"})).status_code == 503


async def test_llm_concurrency_cap(make_client: MakeClient) -> None:
    # each call sleeps at least 0.8 s x 0.25 x 0.75 = 0.15 s; with one slot three calls take >= 0.45 s
    client = await make_client(LLM_LATENCY_SCALE="0.25", LLM_MAX_CONCURRENCY="1")
    start = time.perf_counter()
    codes = await asyncio.gather(
        *(client.post("/api/content/generate", json={"topic": f"Cap {i}"}) for i in range(3))
    )
    assert [r.status_code for r in codes] == [201] * 3
    assert time.perf_counter() - start >= 0.45


async def test_a_success_admitted_before_opening_does_not_close_it() -> None:
    clock = Clock()
    b = _breaker(clock)
    release = asyncio.Event()

    async def slow_ok() -> str:
        await release.wait()
        return "ok"

    slow = asyncio.ensure_future(b.call(slow_ok))  # admitted while closed
    await asyncio.sleep(0)
    for _ in range(3):
        with pytest.raises(Boom):
            await b.call(_fail)
    assert b.state == OPEN
    release.set()
    assert await slow == "ok"
    assert b.state == OPEN  # the old success says nothing about the provider now
    clock.now = 10.0
    assert b.state == HALF_OPEN and await b.call(_ok) == "ok" and b.state == CLOSED


async def test_a_late_failure_does_not_reopen_a_newer_state() -> None:
    clock = Clock()
    b = _breaker(clock)
    release = asyncio.Event()

    async def slow_fail() -> None:
        await release.wait()
        raise Boom

    slow = asyncio.ensure_future(b.call(slow_fail))
    await asyncio.sleep(0)
    for _ in range(3):
        with pytest.raises(Boom):
            await b.call(_fail)
    clock.now = 10.0
    assert await b.call(_ok) == "ok" and b.state == CLOSED
    release.set()
    with pytest.raises(Boom):
        await slow
    assert b.state == CLOSED and b.failures == 0
