"""Admin routes, guarded by ``X-Admin-Token`` = ``ADMIN_TOKEN`` (unset: 403): cache invalidation by key
prefix (SCAN + UNLINK in Redis), rate-limit reset, and runtime fault injection (chaos, per replica)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import BaseModel, Field

from target_app.context import AppContext, ctx
from target_app.redis_client import REDIS_ERRORS
from target_app.schemas import STRICT, Str

router = APIRouter(prefix="/api/admin", tags=["admin"])


class InvalidateRequest(BaseModel):
    model_config = STRICT
    prefix: str = Field(pattern=r"^[A-Za-z0-9:_\-./]*$", max_length=100)


class RateLimitResetRequest(BaseModel):
    model_config = STRICT
    identity: Str(200, 1) | None = Field(None, description="e.g. 'user:alice' or 'ip:10.0.0.7'; omit: all")


class ChaosRequest(BaseModel):
    """Fields left out keep their current value; ``reset`` clears everything first."""

    model_config = STRICT
    reset: bool = False
    latency_ms: float | None = Field(None, ge=0, le=60_000)
    llm_failure_rate: float | None = Field(None, ge=0, le=1)
    db_pool_limit: int | None = Field(None, ge=1, le=10_000)
    clear_llm_failure_rate: bool = False
    clear_db_pool_limit: bool = False


def _admin(request: Request, token: str | None) -> AppContext:
    c = ctx(request)
    expected = c.settings.admin_token
    if expected is None:
        raise HTTPException(403, detail="admin routes are disabled (ADMIN_TOKEN is not set)")
    if token is None or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(403, detail="invalid admin token")
    return c


AdminToken = Header(None, max_length=200)


@router.post("/cache/invalidate")
async def invalidate(
    body: InvalidateRequest, request: Request, x_admin_token: str | None = AdminToken
) -> dict[str, object]:
    c = _admin(request, x_admin_token)
    try:
        deleted = await c.cache.invalidate_prefix(body.prefix)
    except REDIS_ERRORS:
        raise HTTPException(503, detail="cache backend unavailable", headers={"Retry-After": "1"}) from None
    return {"prefix": body.prefix, "deleted": deleted}


@router.post("/rate-limit/reset")
async def reset_rate_limits(
    body: RateLimitResetRequest, request: Request, x_admin_token: str | None = AdminToken
) -> dict[str, object]:
    """Forget the rate-limit windows of one identity, or of everyone."""
    c = _admin(request, x_admin_token)
    buckets = ["default", "generate", "generate-client", *c.settings.rate_limit_routes]
    try:
        deleted = await c.limiter.reset(buckets, body.identity)
    except REDIS_ERRORS:
        raise HTTPException(
            503, detail="rate-limit store unavailable", headers={"Retry-After": "1"}
        ) from None
    return {"identity": body.identity, "deleted": deleted}


@router.post("/chaos")
async def chaos(
    body: ChaosRequest, request: Request, x_admin_token: str | None = AdminToken
) -> dict[str, object]:
    """Inject faults at run time on this replica: added latency, LLM failure rate, a shrunken DB pool."""
    c = _admin(request, x_admin_token)
    ch = c.chaos
    if body.reset:
        ch.reset()
    if body.latency_ms is not None:
        ch.latency_ms = body.latency_ms
    if body.clear_llm_failure_rate:
        ch.llm_failure_rate = None
    if body.llm_failure_rate is not None:
        ch.llm_failure_rate = body.llm_failure_rate
    if body.clear_db_pool_limit:
        ch.set_pool_limit(None)
    if body.db_pool_limit is not None:
        ch.set_pool_limit(body.db_pool_limit)
    return {"chaos": ch.as_dict()}
