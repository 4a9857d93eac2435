"""Per-user fixed-window rate limits: shared in Redis when configured, in-process otherwise.

With Redis, every replica increments the same counter (one atomic Lua script: INCR, set the expiry on
the first hit, read the remaining time), so N replicas do not multiply the limit. If Redis fails, the
replica falls back to its own in-process window until Redis answers again (fail open, per replica).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from target_app.cache import glob_escape
from target_app.config import Rate
from target_app.metrics import Metrics
from target_app.redis_client import REDIS_ERRORS, RedisHandle

_SCRIPT = """
local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {c, ttl}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: float  # seconds until the window resets

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_s))

    def headers(self) -> dict[str, str]:
        h = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(max(0, math.ceil(self.reset_s))),
        }
        if not self.allowed:
            h["Retry-After"] = str(self.retry_after)
        return h


class RateLimiter:
    def __init__(self, redis: RedisHandle, metrics: Metrics) -> None:
        self.redis = redis
        self.metrics = metrics
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window end, count)
        self._script = redis.client.register_script(_SCRIPT) if redis.client is not None else None

    def _local(self, key: str, rate: Rate) -> tuple[int, float]:
        now = time.monotonic()
        end, count = self._windows.get(key, (0.0, 0))
        if now >= end:
            end, count = now + rate.window_s, 0
            if len(self._windows) > 100_000:  # drop expired windows now and then
                self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
        count += 1
        self._windows[key] = (end, count)
        return count, end - now

    async def hit(self, bucket: str, user: str, rate: Rate, route: str) -> Decision:
        key = self.redis.key("rl", bucket, user)
        count, reset_s = 0, 0.0
        shared = False
        if self._script is not None and self.redis.available:
            try:
                count, ttl_ms = await self._script(keys=[key], args=[rate.window_s * 1000])
                reset_s, shared = int(ttl_ms) / 1000.0, True
                count = int(count)
            except REDIS_ERRORS:
                self.redis.mark_down()
        if not shared:
            count, reset_s = self._local(key, rate)
        allowed = count <= rate.limit
        if not allowed:
            self.metrics.rate_limited.labels(route).inc()
        return Decision(allowed, rate.limit, max(0, rate.limit - count), reset_s)

    async def peek(self, bucket: str, user: str, rate: Rate) -> Decision:
        """The budget left to ``user`` in ``bucket`` without spending any of it."""
        key = self.redis.key("rl", bucket, user)
        count, reset_s = 0, float(rate.window_s)
        if self._script is not None and self.redis.available:
            try:
                raw, ttl_ms = await self.redis.client.pipeline().get(key).pttl(key).execute()  # type: ignore[union-attr]
                if raw is not None and int(ttl_ms) > 0:
                    count, reset_s = int(raw), int(ttl_ms) / 1000.0
                return Decision(count < rate.limit, rate.limit, max(0, rate.limit - count), reset_s)
            except REDIS_ERRORS:
                self.redis.mark_down()
        end, n = self._windows.get(key, (0.0, 0))
        now = time.monotonic()
        if now < end:
            count, reset_s = n, end - now
        return Decision(count < rate.limit, rate.limit, max(0, rate.limit - count), reset_s)

    async def reset(self, buckets: list[str], user: str | None = None) -> int:
        """Forget the windows of ``user`` in ``buckets`` (every user's when None); returns how many."""
        prefix = self.redis.key("rl", "")
        if user is None:
            doomed = [k for k in self._windows if k.startswith(prefix)]
        else:
            doomed = [k for k in (self.redis.key("rl", b, user) for b in buckets) if k in self._windows]
        for k in doomed:
            del self._windows[k]
        deleted = len(doomed)
        client = self.redis.client
        if client is None:
            return deleted
        if user is not None:
            return deleted + int(await client.unlink(*(self.redis.key("rl", b, user) for b in buckets)))
        chunk: list[bytes] = []
        async for k in client.scan_iter(match=glob_escape(prefix) + "*", count=500):
            chunk.append(k)
            if len(chunk) >= 500:
                deleted += int(await client.unlink(*chunk))
                chunk = []
        if chunk:
            deleted += int(await client.unlink(*chunk))
        return deleted
