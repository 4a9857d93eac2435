"""Liveness (no I/O), readiness (database and Redis, 1 s timeout each) and /metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from target_app.context import ctx
from target_app.redis_client import REDIS_ERRORS

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    c = ctx(request)
    components: dict[str, str] = {}
    try:
        await c.db.ping(1.0)
        components["database"] = "ok"
    except Exception as exc:  # any failure means not ready; say which
        components["database"] = f"error: {type(exc).__name__}"
    if c.redis.client is None:
        components["redis"] = "not configured"
    else:
        try:
            await asyncio.wait_for(c.redis.client.ping(), 1.0)
            components["redis"] = "ok"
        except REDIS_ERRORS as exc:
            components["redis"] = f"error: {type(exc).__name__}"
    if c.draining:
        components["replica"] = "draining"
    ok = all(v in ("ok", "not configured") for v in components.values())
    return JSONResponse(
        {"status": "ready" if ok else "unavailable", "components": components}, status_code=200 if ok else 503
    )


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    return Response(generate_latest(ctx(request).metrics.registry), media_type=CONTENT_TYPE_LATEST)
