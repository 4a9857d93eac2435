"""Cache-aside: in-process TTL cache by default, Redis when ``REDIS_URL`` is set.

* TTLs get ±``CACHE_TTL_JITTER`` random jitter so keys written together do not expire together.
* Single flight: concurrent misses on one key in a replica share one load.
* Values are stored as JSON text, so ``None`` (``null``), ``0``, ``[]`` and ``{}`` are cached like any
  value (a missing key and a cached ``None`` differ). Hot paths can take the JSON text as is
  (``get_or_load_raw``) and send it without decoding and re-encoding it.
* A Redis error counts in ``cache_errors_total`` and degrades to a miss (the loader runs), never a 500.
* Invalidation by prefix uses SCAN + UNLINK (never KEYS), in batches.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from target_app.config import Settings
from target_app.metrics import Metrics
from target_app.redis_client import REDIS_ERRORS, RedisHandle

_MISS = object()


def _dumps(value: Any) -> bytes:
    return json.dumps(value, default=str, separators=(",", ":")).encode()


def glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class Cache:
    def __init__(self, settings: Settings, metrics: Metrics, redis: RedisHandle) -> None:
        self.settings = settings
        self.metrics = metrics
        self.redis = redis
        self._local: dict[str, tuple[float, bytes]] = {}
        self._inflight: dict[str, asyncio.Future[Any]] = {}
        self._rng = random.Random()

    def _ttl(self, ttl_s: float | None) -> float:
        base = self.settings.cache_ttl_s if ttl_s is None else ttl_s
        j = self.settings.cache_ttl_jitter
        return max(0.001, base * (1 + self._rng.uniform(-j, j)))

    def _evict(self) -> None:
        """Drop expired entries; if still over the bound, the oldest writes (a tenth of the bound)."""
        now = time.monotonic()
        self._local = {k: v for k, v in self._local.items() if v[0] > now}
        excess = len(self._local) - self.settings.cache_max_entries
        if excess > 0:
            for k in list(self._local)[: excess + self.settings.cache_max_entries // 10]:
                del self._local[k]

    async def get_raw(self, name: str, key: str) -> bytes | None:
        """The cached JSON text, or None on a miss (use ``get_or_load`` normally)."""
        full = self.redis.key("cache", key)
        if self.redis.client is not None:
            if not self.redis.available:
                self.metrics.cache_errors.labels(name).inc()
                return None
            try:
                raw = await self.redis.client.get(full)
            except REDIS_ERRORS:
                self.redis.mark_down()
                self.metrics.cache_errors.labels(name).inc()
                return None
        else:
            entry = self._local.get(full)
            raw = None
            if entry is not None:
                if entry[0] > time.monotonic():
                    raw = entry[1]
                else:
                    self._local.pop(full, None)
        return raw

    async def get(self, name: str, key: str) -> Any:
        """The cached value, or the module's ``_MISS`` sentinel."""
        raw = await self.get_raw(name, key)
        return _MISS if raw is None else json.loads(raw)

    async def set(self, name: str, key: str, value: Any, ttl_s: float | None = None) -> None:
        await self.set_raw(name, key, _dumps(value), ttl_s)

    async def set_raw(self, name: str, key: str, raw: bytes, ttl_s: float | None = None) -> None:
        full = self.redis.key("cache", key)
        ttl = self._ttl(ttl_s)
        if self.redis.client is None:
            self._local.pop(full, None)  # re-insert: dict order is write order, oldest first
            self._local[full] = (time.monotonic() + ttl, raw)
            if len(self._local) > self.settings.cache_max_entries:
                self._evict()
            return
        if not self.redis.available:
            return
        try:
            await self.redis.client.set(full, raw, px=max(1, int(ttl * 1000)))
        except REDIS_ERRORS:
            self.redis.mark_down()
            self.metrics.cache_errors.labels(name).inc()

    async def lookup(self, name: str, key: str) -> tuple[bool, Any]:
        """(hit, value) without loading on a miss; hits and misses are counted."""
        if not self.settings.cache_enabled:
            return False, None
        value = await self.get(name, key)
        if value is _MISS:
            self.metrics.cache_misses.labels(name).inc()
            return False, None
        self.metrics.cache_hits.labels(name).inc()
        return True, value

    async def get_or_load(
        self, name: str, key: str, loader: Callable[[], Awaitable[Any]], ttl_s: float | None = None
    ) -> Any:
        """Cache-aside read with single flight. ``name`` is the metrics label (e.g. "content")."""
        if not self.settings.cache_enabled:
            return await loader()
        return json.loads(await self.get_or_load_raw(name, key, loader, ttl_s))

    async def get_or_load_raw(
        self, name: str, key: str, loader: Callable[[], Awaitable[Any]], ttl_s: float | None = None
    ) -> bytes:
        """Like ``get_or_load`` but returns the value's JSON text, ready to send."""
        if not self.settings.cache_enabled:
            return _dumps(await loader())
        raw = await self.get_raw(name, key)
        if raw is not None:
            self.metrics.cache_hits.labels(name).inc()
            return raw
        self.metrics.cache_misses.labels(name).inc()
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            raw = _dumps(await loader())
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it, nobody else must
            raise
        else:
            future.set_result(raw)
            await self.set_raw(name, key, raw, ttl_s)
            return raw
        finally:
            self._inflight.pop(key, None)

    async def invalidate_prefix(self, prefix: str, batch: int = 500) -> int:
        """Delete every cache key starting with ``prefix``; returns how many were deleted."""
        pattern = self.redis.key("cache", prefix)
        if self.redis.client is None:
            doomed = [k for k in self._local if k.startswith(pattern)]
            for k in doomed:
                del self._local[k]
            return len(doomed)
        deleted = 0
        match = glob_escape(pattern) + "*"
        chunk: list[str] = []
        async for k in self.redis.client.scan_iter(match=match, count=batch):
            chunk.append(k)
            if len(chunk) >= batch:
                deleted += await self.redis.client.unlink(*chunk)
                chunk = []
        if chunk:
            deleted += await self.redis.client.unlink(*chunk)
        return deleted
