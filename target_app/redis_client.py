"""One shared ``redis.asyncio`` client (or None), with short timeouts so an outage is noticed fast."""

from __future__ import annotations

import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from target_app.config import Settings

#: Exceptions that mean "Redis is unavailable right now" (callers degrade instead of failing).
REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)


class RedisHandle:
    """The client plus a short back-off: after a failure, skip Redis for ``retry_s`` seconds."""

    def __init__(self, settings: Settings, retry_s: float = 1.0) -> None:
        self.prefix = settings.redis_key_prefix
        self.retry_s = retry_s
        self._down_until = 0.0
        self.client: Redis | None = None
        if settings.redis_url:
            self.client = Redis.from_url(
                settings.redis_url,
                socket_timeout=settings.redis_timeout_s,
                socket_connect_timeout=settings.redis_timeout_s,
                health_check_interval=0,
                retry_on_timeout=False,
            )

    @property
    def available(self) -> bool:
        return self.client is not None and time.monotonic() >= self._down_until

    def mark_down(self) -> None:
        self._down_until = time.monotonic() + self.retry_s

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
