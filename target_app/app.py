"""The FastAPI application factory: lifespan (seed, loop-lag watcher, drain), error mapping, routers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from target_app.breaker import BreakerOpen
from target_app.config import Settings
from target_app.context import AppContext
from target_app.db import PoolExhausted
from target_app.guard import GuardMiddleware
from target_app.limits import BodyLimitMiddleware, validation_error
from target_app.llm import LlmBusy, UpstreamError
from target_app.metrics import MetricsMiddleware, watch_event_loop_lag
from target_app.routers import admin, analytics, content, generate, health, ratelimits, research, seo
from target_app.seed import ensure_seeded


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    context = AppContext.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await ensure_seeded(context.db, settings.seed_content_rows)
        context.db.enable_slow_queries()
        lag = asyncio.create_task(watch_event_loop_lag(context.metrics, settings.event_loop_lag_interval_s))
        try:
            yield
        finally:
            context.draining = True
            if context.background:  # let research jobs finish briefly, then stop them
                _, pending = await asyncio.wait(set(context.background), timeout=settings.job_drain_s)
                for task in pending:
                    task.cancel()
                if pending:  # each cancelled job records "failed" (bounded: the lease covers the rest)
                    await asyncio.wait(pending, timeout=2.0)
            lag.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lag
            await context.db.dispose()
            await context.redis.close()

    app = FastAPI(
        title="ALwrity reference backend",
        version="1.0",
        lifespan=lifespan,
    )
    app.state.ctx = context

    @app.exception_handler(PoolExhausted)
    async def _pool(_: Request, exc: PoolExhausted) -> JSONResponse:
        return JSONResponse(
            {"detail": "database pool exhausted, retry later"},
            status_code=503,
            headers={"Retry-After": str(exc.retry_after_s)},
        )

    @app.exception_handler(BreakerOpen)
    async def _breaker(_: Request, exc: BreakerOpen) -> JSONResponse:
        return JSONResponse(
            {"detail": "LLM provider unavailable (circuit open), retry later"},
            status_code=503,
            headers={"Retry-After": str(exc.retry_after)},
        )

    @app.exception_handler(LlmBusy)
    async def _busy(_: Request, exc: LlmBusy) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "1"})

    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]

    @app.exception_handler(UpstreamError)
    async def _upstream(_: Request, exc: UpstreamError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=502)

    modules = (health, content, generate, research, analytics, seo, ratelimits, admin)
    for module in modules:
        app.include_router(module.router)
    routes = [r for m in modules for r in m.router.routes if isinstance(r, APIRoute)]
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(GuardMiddleware, routes=routes, context=context)
    app.add_middleware(MetricsMiddleware, metrics=context.metrics)
    return app
