"""The per-app object graph (settings, metrics, db, redis, cache, limiter, LLM) and the caller's identity."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from fastapi import Request

from target_app.cache import Cache
from target_app.config import Settings
from target_app.db import Database
from target_app.identity import user_id
from target_app.llm import LlmProvider
from target_app.metrics import Metrics
from target_app.ratelimit import RateLimiter
from target_app.redis_client import RedisHandle

#: Routes limited by RATE_LIMIT_GENERATE (exact route templates).
GENERATE_ROUTES = frozenset({"/api/content/generate", "/api/linkedin/generate-post"})
PRO_PREFIX = "user:pro-"


@dataclass
class AppContext:
    settings: Settings
    metrics: Metrics
    db: Database
    redis: RedisHandle
    cache: Cache
    limiter: RateLimiter
    llm: LlmProvider
    draining: bool = False
    background: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        metrics = Metrics()
        redis = RedisHandle(settings)
        return cls(
            settings=settings,
            metrics=metrics,
            db=Database(settings, metrics),
            redis=redis,
            cache=Cache(settings, metrics, redis),
            limiter=RateLimiter(redis, metrics),
            llm=LlmProvider(settings, metrics),
        )

    def spawn(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self.background.add(task)
        task.add_done_callback(self.background.discard)


def ctx(request: Request) -> AppContext:
    return request.app.state.ctx


def user_of(request: Request) -> str:
    return user_id(request, ctx(request).settings.trusted_proxies)


def current_user(request: Request) -> str:
    """The caller's identity (set by the guard middleware on API routes; computed otherwise)."""
    user = request.scope.get("state", {}).get("user")
    return user if user is not None else user_of(request)
