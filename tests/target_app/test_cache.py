"""In-process cache: falsy values cached, TTL with jitter, single flight, prefix invalidation."""

from __future__ import annotations

import asyncio

import pytest

from target_app.cache import Cache
from target_app.config import Settings
from target_app.metrics import Metrics
from target_app.redis_client import RedisHandle


def _cache(**kw: object) -> Cache:
    s = Settings(**kw)  # type: ignore[arg-type]
    return Cache(s, Metrics(), RedisHandle(s))


@pytest.mark.parametrize("value", [None, 0, "", [], {}, False])
async def test_falsy_values_are_cached(value: object) -> None:
    cache = _cache()
    calls = 0

    async def load() -> object:
        nonlocal calls
        calls += 1
        return value

    assert await cache.get_or_load("t", "k", load) == value
    assert await cache.get_or_load("t", "k", load) == value
    assert calls == 1


async def test_single_flight_shares_one_load() -> None:
    cache = _cache()
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return 42

    assert await asyncio.gather(*(cache.get_or_load("t", "hot", load) for _ in range(20))) == [42] * 20
    assert calls == 1


async def test_single_flight_propagates_errors_and_retries_next_time() -> None:
    cache = _cache()

    async def bad() -> int:
        await asyncio.sleep(0.01)
        raise RuntimeError("db down")

    results = await asyncio.gather(
        *(cache.get_or_load("t", "k", bad) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)

    async def good() -> int:
        return 1

    assert await cache.get_or_load("t", "k", good) == 1


def test_ttl_jitter_stays_in_bounds() -> None:
    cache = _cache(cache_ttl_s=100.0, cache_ttl_jitter=0.1)
    ttls = [cache._ttl(None) for _ in range(500)]
    assert 90.0 <= min(ttls) < max(ttls) <= 110.0
    assert len(set(ttls)) > 100


async def test_expiry_and_invalidate_prefix() -> None:
    cache = _cache(cache_ttl_s=0.05, cache_ttl_jitter=0.0)
    await cache.set("t", "content:u:1", {"a": 1})
    await cache.set("t", "content:u:2", {"a": 2})
    await cache.set("t", "analytics:30", {"b": 1}, ttl_s=60)
    assert await cache.invalidate_prefix("content:u:1") == 1
    await asyncio.sleep(0.08)
    hit, _ = await cache.lookup("t", "content:u:2")
    assert not hit  # expired
    assert (await cache.lookup("t", "analytics:30")) == (True, {"b": 1})


async def test_disabled_cache_always_loads() -> None:
    cache = _cache(cache_enabled=False)
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        return 1

    await cache.get_or_load("t", "k", load)
    await cache.get_or_load("t", "k", load)
    assert calls == 2


async def test_in_process_cache_is_bounded() -> None:
    cache = _cache(cache_max_entries=100)
    for i in range(250):
        await cache.set("t", f"k{i}", i)
    assert len(cache._local) <= 100
    assert (await cache.lookup("t", "k249")) == (True, 249)  # the newest writes stay
    assert (await cache.lookup("t", "k0"))[0] is False
