"""The per-app object graph (settings, metrics, db, redis, cache, limiter, LLM) and the caller's identity."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from fastapi import Request

from target_app.cache import Cache
from target_app.chaos import Chaos
from target_app.config import MAX_TOKEN_CHARS, Settings
from target_app.db import Database
from target_app.identity import Identity, identify
from target_app.llm import LlmProvider
from target_app.metrics import Metrics
from target_app.ratelimit import RateLimiter
from target_app.redis_client import RedisHandle

#: Routes limited by RATE_LIMIT_GENERATE (exact route templates).
GENERATE_ROUTES = frozenset(
    {"/api/content/generate", "/api/linkedin/generate-post", "/api/blog/section/generate"}
)


@dataclass
class AppContext:
    settings: Settings
    metrics: Metrics
    db: Database
    redis: RedisHandle
    cache: Cache
    limiter: RateLimiter
    llm: LlmProvider
    chaos: Chaos = field(default_factory=Chaos)
    draining: bool = False
    background: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        metrics = Metrics()
        redis = RedisHandle(settings)
        chaos = Chaos()
        return cls(
            settings=settings,
            metrics=metrics,
            db=Database(settings, metrics, chaos),
            redis=redis,
            cache=Cache(settings, metrics, redis),
            limiter=RateLimiter(redis, metrics),
            llm=LlmProvider(settings, metrics, chaos),
            chaos=chaos,
        )

    def identify(self, request: Request) -> Identity:
        s = self.settings
        return identify(request, s.trusted_proxies, s.api_tokens, MAX_TOKEN_CHARS)

    def spawn(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self.background.add(task)
        task.add_done_callback(self.background.discard)


def ctx(request: Request) -> AppContext:
    return request.app.state.ctx


def current_identity(request: Request) -> Identity:
    """The caller (set by the guard middleware on API routes; computed otherwise)."""
    who = request.scope.get("state", {}).get("identity")
    return who if who is not None else ctx(request).identify(request)


def current_user(request: Request) -> str:
    return current_identity(request).key
