"""The per-app object graph (settings, metrics, db, redis, cache, limiter, LLM) and request guards."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from fastapi import HTTPException, Request, Response

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


async def current_user(request: Request) -> str:
    """Dependency: the caller's identity (async, so FastAPI does not send it to a thread pool)."""
    return user_of(request)


def route_template(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", request.url.path)


async def guard(request: Request, response: Response) -> None:
    """App-wide dependency: injected latency (regression simulation), then per-user rate limits."""
    c = ctx(request)
    s = c.settings
    template = route_template(request)
    is_api = template.startswith("/api/")
    delay_ms = s.inject_latency_routes.get(template, 0.0) + (s.inject_latency_ms if is_api else 0.0)
    if delay_ms > 0:
        await asyncio.sleep(delay_ms / 1000.0)
    if not (s.rate_limit_enabled and is_api) or template in s.rate_limit_exempt:
        return
    user = user_of(request)
    if template in GENERATE_ROUTES:
        bucket = "generate"
        rate = s.rate_limit_generate_pro if user.startswith(PRO_PREFIX) else s.rate_limit_generate
    else:
        bucket, rate = "default", s.rate_limit_default
    decision = await c.limiter.hit(bucket, user, rate, template)
    if not decision.allowed:
        raise HTTPException(429, detail="rate limit exceeded", headers=decision.headers())
    response.headers.update(decision.headers())
